"""Reads for the supervisor dashboards. Every page starts from the mentors the
user supervises (`logs_app.permissions.get_supervised_mentors`) and the logs
the user may read (`InteractionLog.objects.visible_to`); figures are aggregated
in the database, so the number of queries does not grow with mentors,
participants or logs.

Weeks are ISO weeks of `contact_date`, which is already a site-local date: a
Monday-to-Sunday range of contact dates is the site-time-zone week."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from core.timeutils import local_today
from logs_app.models import InteractionLog, RoleFunction
from mentors.models import Assignment, Mentor, mentor_tz
from participants.models import Participant

MET = InteractionLog.Outcome.MET
DRAFT = InteractionLog.Status.DRAFT
CESSATION_CODE = "cessation"
ROLE_MIX_WEEKS = 12


def team_today(mentors: list[Mentor], now: dt.datetime | None = None) -> dt.date:
    """Today for the team as a whole: in the first mentor's home time zone (a
    supervisor's mentors work at the same site or nearby ones), else in the
    server's. Only used to pick the default week."""
    tz = mentor_tz(mentors[0]) if mentors else timezone.get_current_timezone()
    return local_today(tz, now)


def _filed_logs(user, mentors: list[Mentor]) -> QuerySet[InteractionLog]:
    """Filed (not draft), not voided logs of `mentors` that `user` may read."""
    return (
        InteractionLog.objects.visible_to(user)
        .filter(mentor__in=[m.pk for m in mentors], is_voided=False)
        .exclude(status=DRAFT)
    )


# --- Team week -----------------------------------------------------------------------
@dataclass(frozen=True)
class WeekFigures:
    met: int = 0
    attempted: int = 0
    minutes: int = 0
    seen: int = 0
    assigned: int = 0
    reflections: int = 0
    concerns: int = 0
    safety: int = 0
    awaiting: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    def __add__(self, other: "WeekFigures") -> "WeekFigures":
        return WeekFigures(
            **{
                name: getattr(self, name) + getattr(other, name)
                for name in self.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class TeamWeekRow:
    mentor: Mentor
    figures: WeekFigures


@dataclass(frozen=True)
class TeamWeek:
    week_start: dt.date
    week_end: dt.date
    rows: list[TeamWeekRow]
    totals: WeekFigures


def team_week_get(
    *, user, mentors: list[Mentor], week: tuple[dt.date, dt.date]
) -> TeamWeek:
    """One row of figures per mentor for the ISO week `week` (Monday, Sunday),
    and their sums. Two queries: the log figures grouped by mentor, and the
    participants assigned at any point in the week, grouped by mentor."""
    monday, sunday = week
    met = Q(outcome=MET)
    by_mentor = {
        row.pop("mentor"): row
        for row in _filed_logs(user, mentors)
        .filter(contact_date__range=week)
        .order_by()  # the default ordering would split the groups
        .values("mentor")
        .annotate(
            met=Count("pk", filter=met),
            attempted=Count(
                "pk", filter=Q(outcome__in=InteractionLog.ATTEMPT_OUTCOMES)
            ),
            minutes=Sum("duration_minutes", filter=met, default=0),
            seen=Count("participant", filter=met, distinct=True),
            reflections=Count(
                "pk",
                filter=~Q(reflection_feelings="")
                | ~Q(reflection_concerns="")
                | ~Q(concern=""),
            ),
            # The mentor's concerns (issue 14): questions are not counted here.
            concerns=Count("pk", filter=~Q(concern="")),
            safety=Count("pk", filter=Q(safety_concern=True)),
            awaiting=Count("pk", filter=Q(status=InteractionLog.Status.SUBMITTED)),
        )
    }
    assigned = dict(
        Assignment.objects.visible_to(user)
        .filter(mentor__in=[m.pk for m in mentors], start_date__lte=sunday)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=monday))
        .order_by()
        .values("mentor")
        .annotate(n=Count("participant", distinct=True))
        .values_list("mentor", "n")
    )
    rows = [
        TeamWeekRow(
            mentor=mentor,
            figures=WeekFigures(
                **by_mentor.get(mentor.pk, {}), assigned=assigned.get(mentor.pk, 0)
            ),
        )
        for mentor in mentors
    ]
    totals = sum((row.figures for row in rows), WeekFigures())
    return TeamWeek(week_start=monday, week_end=sunday, rows=rows, totals=totals)


# --- Role-function mix ---------------------------------------------------------------
@dataclass(frozen=True)
class FunctionCounts:
    function: RoleFunction
    counts: list[int]  # met contacts serving the function, per week


@dataclass(frozen=True)
class MentorRoleMix:
    mentor: Mentor
    met: list[int]  # met contacts per week
    functions: list[FunctionCounts]  # in `position` order
    # Share (0–1) of met contacts serving cessation in the first and the last
    # half of the weeks; None without a met contact in that half.
    cessation_before: float | None = None
    cessation_after: float | None = None

    @property
    def has_contacts(self) -> bool:
        return any(self.met)


@dataclass(frozen=True)
class RoleMix:
    week_starts: list[dt.date]
    functions: list[RoleFunction]
    mentors: list[MentorRoleMix] = field(default_factory=list)
    cessation: RoleFunction | None = None

    @property
    def week_labels(self) -> list[str]:
        return [f"W{monday.isocalendar().week:02d}" for monday in self.week_starts]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def role_mix_get(
    *,
    user,
    mentors: list[Mentor],
    last_monday: dt.date,
    weeks: int = ROLE_MIX_WEEKS,
) -> RoleMix:
    """Per mentor and ISO week (the `weeks` weeks ending with the one starting
    `last_monday`): met contacts, and how many served each role function.
    Two queries: the role functions, and one row per (met log, role function)
    — a log without any function gives one row with None, so it still counts
    as a contact."""
    first_monday = last_monday - dt.timedelta(weeks=weeks - 1)
    last_sunday = last_monday + dt.timedelta(days=6)
    rows = (
        _filed_logs(user, mentors)
        .filter(outcome=MET, contact_date__range=(first_monday, last_sunday))
        .order_by()
        .values_list("mentor_id", "contact_date", "pk", "role_functions")
    )
    met: dict[int, list[set[int]]] = {
        m.pk: [set() for _ in range(weeks)] for m in mentors
    }
    served: dict[tuple[int, int], list[int]] = {}
    for mentor_id, day, log_id, function_id in rows:
        week = (day - first_monday).days // 7
        met[mentor_id][week].add(log_id)
        if function_id is not None:
            served.setdefault((mentor_id, function_id), [0] * weeks)[week] += 1
    # Retired functions stay on old logs: show them only where they were used.
    used = {function_id for _mentor, function_id in served}
    functions = [f for f in RoleFunction.objects.all() if f.is_active or f.pk in used]
    cessation = next((f for f in functions if f.code == CESSATION_CODE), None)
    half = weeks // 2
    result = []
    for mentor in mentors:
        met_counts = [len(logs) for logs in met[mentor.pk]]
        counts = {f.pk: served.get((mentor.pk, f.pk), [0] * weeks) for f in functions}
        before = after = None
        if cessation is not None:
            before = _share(sum(counts[cessation.pk][:half]), sum(met_counts[:half]))
            after = _share(sum(counts[cessation.pk][half:]), sum(met_counts[half:]))
        result.append(
            MentorRoleMix(
                mentor=mentor,
                met=met_counts,
                functions=[FunctionCounts(f, counts[f.pk]) for f in functions],
                cessation_before=before,
                cessation_after=after,
            )
        )
    return RoleMix(
        week_starts=[first_monday + dt.timedelta(weeks=i) for i in range(weeks)],
        functions=functions,
        mentors=result,
        cessation=cessation,
    )


# --- Engagement gaps -----------------------------------------------------------------
@dataclass(frozen=True)
class EngagementGap:
    participant: Participant
    mentor: Mentor
    last_contact: dt.date | None
    days_since: int | None  # None: never met


def engagement_gap_list(
    *, user, mentors: list[Mentor], min_days: int, now: dt.datetime | None = None
) -> list[EngagementGap]:
    """Active participants assigned today to one of `mentors` whose last met contact
    with that mentor (filed, not voided) is `min_days` or more days ago, or who
    have none; never-met first, then the longest gap. "Today" is the
    participant's site's date. One query: a day either side of the UTC date
    covers every time zone, and each row is then checked against its own
    site's today."""
    now = now or timezone.now()
    utc_today = now.astimezone(dt.UTC).date()
    logs = "participant__logs__"
    assignments = (
        Assignment.objects.visible_to(user)
        .filter(
            mentor__in=[m.pk for m in mentors],
            # Paused, withdrawn or completed: not someone to reach out to now.
            participant__status=Participant.Status.ACTIVE,
            start_date__lte=utc_today + dt.timedelta(days=1),
        )
        .filter(
            Q(end_date__isnull=True) | Q(end_date__gte=utc_today - dt.timedelta(days=1))
        )
        .select_related("participant__site", "mentor__user")
        .annotate(
            last_contact=Max(
                f"{logs}contact_date",
                filter=Q(
                    **{
                        f"{logs}mentor": F("mentor"),
                        f"{logs}outcome": MET,
                        f"{logs}is_voided": False,
                    }
                )
                & ~Q(**{f"{logs}status": DRAFT}),
            )
        )
        .order_by("pk")
    )
    gaps: dict[tuple[int, int], EngagementGap] = {}
    for assignment in assignments:
        today = local_today(assignment.participant.site.tzinfo, now)
        if not assignment.covers(today):
            continue
        last = assignment.last_contact
        days = (today - last).days if last else None
        if days is not None and days < min_days:
            continue
        # Two overlapping assignments of the same pair are one row.
        gaps[(assignment.mentor_id, assignment.participant_id)] = EngagementGap(
            participant=assignment.participant,
            mentor=assignment.mentor,
            last_contact=last,
            days_since=days,
        )
    return sorted(
        gaps.values(),
        key=lambda gap: (
            gap.days_since is not None,
            -(gap.days_since or 0),
            gap.participant.study_id,
        ),
    )


# --- Reflections ---------------------------------------------------------------------
def team_reflection_list(
    *, user, mentors: list[Mentor], week: tuple[dt.date, dt.date]
) -> QuerySet[InteractionLog]:
    """Filed, not voided logs of `mentors` in `week` whose mentor wrote how the
    contact affected them, newest first, with participant and mentor."""
    return (
        _filed_logs(user, mentors)
        .filter(contact_date__range=week)
        .exclude(reflection_feelings="")
        .select_related("participant", "mentor__user")
        .order_by("-contact_date", "-start_time", "-pk")
    )

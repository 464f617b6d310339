"""What a supervisor's digest says: a read, built from the dashboard selectors,
in a constant number of queries whatever the number of logs. No participant
details or narrative text (DP-5): figures and links only."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q
from django.utils import timezone

from core.roles import Role, user_roles
from core.timeutils import local_today
from logs_app.attention import awaiting_review_q
from logs_app.dose import doses_for
from logs_app.hooks import ItemCounts, digest_counts_get
from logs_app.models import InteractionLog
from logs_app.selectors_dashboard import (
    TeamWeekRow,
    WeekFigures,
    engagement_gap_list,
    role_mix_get,
    team_week_get,
)
from mentors.models import Assignment, Mentor
from participants.models import Site

GAP_DAYS = 14


@dataclass(frozen=True)
class Escalation:
    site: Site
    waiting: int  # logs unreviewed for longer than the site's threshold
    oldest_days: int


@dataclass
class Digest:
    start: dt.date
    end: dt.date
    rows: list[TeamWeekRow] = field(default_factory=list)
    totals: WeekFigures = field(default_factory=WeekFigures)
    gaps: dict[int, int] = field(default_factory=dict)  # mentor id → participants
    role_shares: list[tuple[str, int]] = field(default_factory=list)  # label, %
    escalations: list[Escalation] = field(default_factory=list)
    # Follow-up items the user owns (open, overdue), from the app above.
    items: ItemCounts | None = None
    # Planned contacts (logs_app.dose) overdue now: due, undelivered, their
    # window still open; and missed ones (window closed) to date.
    contacts_overdue: int = 0
    contacts_missed: int = 0

    @property
    def gap_total(self) -> int:
        return sum(self.gaps.values())

    @property
    def is_empty(self) -> bool:
        return not self.rows and not self.escalations and self.items is None


def supervised_mentors(user) -> list[Mentor]:
    if Role.SUPERVISOR not in user_roles(user):
        return []
    return list(
        Mentor.objects.visible_to(user)
        .filter(supervisor=user)
        .select_related("user")
        .prefetch_related("sites")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def digest_get(
    *, user, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> Digest:
    """The digest for `user` over the local dates `start`–`end`: per supervised
    mentor the team-week figures, participants not met for 14+ days, the team's
    role-function mix, (for site leads) logs waiting too long for review, and
    the counts of their open and overdue follow-up items."""
    now = now or timezone.now()
    mentors = supervised_mentors(user)
    digest = Digest(
        start=start,
        end=end,
        escalations=_escalations(user, now),
        items=digest_counts_get(user=user, now=now),
    )
    if not mentors:
        return digest
    week = team_week_get(user=user, mentors=mentors, week=(start, end))
    digest.rows, digest.totals = week.rows, week.totals
    digest.contacts_overdue, digest.contacts_missed = _dose_counts(mentors, now)
    for gap in engagement_gap_list(
        user=user, mentors=mentors, min_days=GAP_DAYS, now=now
    ):
        digest.gaps[gap.mentor.pk] = digest.gaps.get(gap.mentor.pk, 0) + 1
    monday = start - dt.timedelta(days=start.weekday())
    mix = role_mix_get(user=user, mentors=mentors, last_monday=monday, weeks=1)
    met = sum(m.met[0] for m in mix.mentors)
    if met:
        for function in mix.functions:
            served = sum(
                counts.counts[0]
                for m in mix.mentors
                for counts in m.functions
                if counts.function.pk == function.pk
            )
            digest.role_shares.append((function.label, round(100 * served / met)))
    return digest


def _dose_counts(mentors: list[Mentor], now: dt.datetime) -> tuple[int, int]:
    """Overdue and missed planned contacts of the participants the mentors
    mentor today (each at their site's today). Four queries."""
    # A day either side of UTC's date holds every site's today.
    utc_day = now.astimezone(dt.UTC).date()
    candidates = (
        Assignment.objects.filter(
            mentor__in=mentors, start_date__lte=utc_day + dt.timedelta(days=1)
        )
        .filter(
            Q(end_date__isnull=True) | Q(end_date__gte=utc_day - dt.timedelta(days=1))
        )
        .select_related("participant__site", "participant__cohort")
    )
    participants = {
        a.participant.pk: a.participant
        for a in candidates
        if a.covers(local_today(a.participant.site.tzinfo, now))
    }
    doses = doses_for(list(participants.values()), now=now).values()
    return sum(len(d.overdue) for d in doses), sum(d.missed for d in doses)


def _escalations(user, now: dt.datetime) -> list[Escalation]:
    """Per site `user` leads: submitted logs waiting longer than the site's
    escalation threshold. One query, whatever the number of sites or logs."""
    sites = {site.pk: site for site in Site.objects.filter(lead=user)}
    if not sites:
        return []
    overdue = Q(pk__in=[])
    for site in sites.values():
        cutoff = now - dt.timedelta(days=site.escalation_days)
        overdue |= Q(participant__site=site.pk, submitted_at__lt=cutoff)
    rows = (
        InteractionLog.objects.filter(
            awaiting_review_q(), participant__site__in=sites.keys()
        )
        .values("participant__site")
        .annotate(oldest=Min("submitted_at"), overdue=Count("pk", filter=overdue))
        .order_by()
    )
    return [
        Escalation(
            site=sites[row["participant__site"]],
            waiting=row["overdue"],
            oldest_days=(now - row["oldest"]).days,
        )
        for row in rows
        if row["overdue"]
    ]

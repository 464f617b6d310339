"""Reads for the participant progress page. The page is for the people who work
with the participant: their current mentors, the supervisors of any mentor
they have had, and program admins; who may open it is decided in
`logs_app.permissions.get_participant_for_progress` (everyone else: 404,
research staff included)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from core.timeutils import local_today
from logs_app.models import InteractionLog
from mentors.models import Assignment, Mentor
from participants.models import Participant

# Only what the page shows is read: no narrative or reflections (the log page
# has them), so they never even leave the database here.
PAGE_FIELDS = (
    "contact_date",
    "start_time",
    "status",
    "outcome",
    "mode",
    "duration_minutes",
    "safety_concern",
    "co_ppm",
    "cigarettes_per_day",
    "stage_of_change",
    "quit_date",
    "weekly_goal",
    "last_goal_outcome",
    "mentor__supervisor_id",
    "mentor__user__first_name",
    "mentor__user__last_name",
    "mentor__user__username",
)
# The page lists the newest contacts and goals; the rest are one click away on
# the log list (filtered to the participant). Three years of weekly contacts
# rendered in full took most of the page's time (issue 7).
RECENT_CONTACTS = 20
RECENT_GOALS = 10


@dataclass(frozen=True)
class GoalRow:
    """A weekly goal and how it went, as recorded at the next meeting."""

    log: InteractionLog  # the contact where the goal was set
    outcome: str  # an InteractionLog.GoalOutcome value, or "" if not recorded
    outcome_label: str
    has_next_meeting: bool


@dataclass(frozen=True)
class StageChange:
    on: dt.date
    stage: str
    label: str


@dataclass(frozen=True)
class ParticipantProgress:
    participant: Participant
    today: dt.date
    show_preferred_name: bool
    current_mentors: list[Mentor]
    is_current_mentor: bool  # the viewer mentors them now (and may log a contact)
    logs: list[InteractionLog]  # newest first
    meetings: int
    last_contact: dt.date | None
    days_since: int | None
    quit_date: dt.date | None
    quit_date_set_on: dt.date | None  # the contact it was set at, if from a log
    co_points: list[tuple[dt.date, float | None]]
    cigarette_points: list[tuple[dt.date, float | None]]
    stage_changes: list[StageChange]
    goals: list[GoalRow]  # newest first

    @property
    def recent_logs(self) -> list[InteractionLog]:
        return self.logs[:RECENT_CONTACTS]

    @property
    def recent_goals(self) -> list[GoalRow]:
        return self.goals[:RECENT_GOALS]


def participant_progress_get(
    *, user, participant: Participant, now: dt.datetime | None = None
) -> ParticipantProgress:
    """Everything the progress page shows, from two queries: the current
    assignments (with mentor and user), and the participant's filed, not voided
    logs that `user` may read (with mentor and user). Every figure comes from
    those logs, so it matches the timeline the viewer sees. "Today" is the
    site's."""
    today = local_today(participant.site.tzinfo, now)
    current = list(
        Assignment.objects.filter(participant=participant)
        .active_on(today)
        .select_related("mentor__user")
        .order_by("start_date", "pk")
    )
    current_mentors = [assignment.mentor for assignment in current]
    mine = [a.start_date for a in current if a.mentor.user_id == user.pk]
    is_current_mentor = bool(mine)
    # A current mentor also sees the course before they took over, from
    # earlier mentors' logs (issue 17): only the fields above, never their
    # narratives or reflections, and those logs are not links.
    source = InteractionLog.objects.visible_to(user)
    if is_current_mentor:
        source = InteractionLog.objects.filter(
            Q(pk__in=source.values("pk")) | Q(contact_date__lt=min(mine))
        )
    logs = list(
        source.filter(participant=participant, is_voided=False)
        .exclude(status=InteractionLog.Status.DRAFT)
        .select_related("mentor__user")
        .only(*PAGE_FIELDS)
    )
    # Oldest first, the same on every database (NULL start times sort first).
    logs.sort(key=lambda log: (log.contact_date, log.start_time or dt.time.min, log.pk))
    for log in logs:
        log.readable = not is_current_mentor or log.mentor.user_id == user.pk
    met = [log for log in logs if log.outcome == InteractionLog.Outcome.MET]
    last_contact = met[-1].contact_date if met else None

    quit_date, quit_date_set_on = participant.quit_date, None
    if quit_date is None:
        with_quit = [log for log in logs if log.quit_date]
        if with_quit:
            quit_date = with_quit[-1].quit_date
            quit_date_set_on = with_quit[-1].contact_date

    return ParticipantProgress(
        participant=participant,
        today=today,
        show_preferred_name=participant.works_with_user,
        current_mentors=current_mentors,
        is_current_mentor=is_current_mentor,
        logs=logs[::-1],
        meetings=len(met),
        last_contact=last_contact,
        days_since=max(0, (today - last_contact).days) if last_contact else None,
        quit_date=quit_date,
        quit_date_set_on=quit_date_set_on,
        co_points=[
            (log.contact_date, log.co_ppm) for log in met if log.co_ppm is not None
        ],
        cigarette_points=[
            (log.contact_date, log.cigarettes_per_day)
            for log in met
            if log.cigarettes_per_day is not None
        ],
        stage_changes=_stage_changes(met),
        goals=_goals(met)[::-1],
    )


def _stage_changes(met: list[InteractionLog]) -> list[StageChange]:
    """The first stage recorded, then each contact where it changed."""
    labels = dict(InteractionLog.Stage.choices)  # see _goals
    changes: list[StageChange] = []
    for log in met:
        if log.stage_of_change and (
            not changes or changes[-1].stage != log.stage_of_change
        ):
            changes.append(
                StageChange(
                    on=log.contact_date,
                    stage=log.stage_of_change,
                    label=str(labels.get(log.stage_of_change, log.stage_of_change)),
                )
            )
    return changes


def _goals(met: list[InteractionLog]) -> list[GoalRow]:
    """Each goal set at a meeting, paired with how it went: the next meeting's
    `last_goal_outcome`. Attempted contacts are skipped, since they do not ask
    about goals."""
    # One label lookup table, not get_..._display() per row: Django rebuilds
    # the choices dict on every call, which was a fifth of this page's time.
    labels = dict(InteractionLog.GoalOutcome.choices)
    rows = []
    for index, log in enumerate(met):
        if not log.weekly_goal.strip():
            continue
        following = met[index + 1] if index + 1 < len(met) else None
        outcome = following.last_goal_outcome if following else ""
        rows.append(
            GoalRow(
                log=log,
                outcome=outcome,
                outcome_label=str(labels.get(outcome, outcome)) if outcome else "",
                has_next_meeting=following is not None,
            )
        )
    return rows

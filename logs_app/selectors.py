"""Reads for pages. Each starts from `visible_to(user)` and owns its joins, so
the number of queries does not grow with the number of rows."""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet

from logs_app.models import InteractionLog, LogRevision
from logs_app.timeutils import iso_week_bounds, local_today, mentor_tz
from mentors.models import Assignment, Mentor
from participants.models import Participant


@dataclass(frozen=True)
class AssignedParticipant:
    participant: Participant
    last_contact: dt.date | None
    days_since: int | None


@dataclass(frozen=True)
class MyWeek:
    today: dt.date
    week_start: dt.date
    week_end: dt.date
    participants: list[AssignedParticipant]
    week_logs: list[InteractionLog]
    drafts: list[InteractionLog]
    returned: list[InteractionLog]


def my_week_get(*, mentor: Mentor, now: dt.datetime | None = None) -> MyWeek:
    """The mentor's home page: who they are assigned to and when they last met,
    this week's filed logs (site-local ISO week), drafts, and logs returned by
    the supervisor. Four queries whatever the numbers."""
    today = local_today(mentor_tz(mentor), now)
    week_start, week_end = iso_week_bounds(today)
    met = InteractionLog.Outcome.MET
    participants = (
        Participant.objects.filter(
            pk__in=Assignment.objects.filter(mentor=mentor)
            .active_on(today)
            .values("participant")
        )
        .annotate(
            last_contact=Max(
                "logs__contact_date",
                filter=Q(logs__mentor=mentor, logs__outcome=met, logs__is_voided=False)
                & ~Q(logs__status=InteractionLog.Status.DRAFT),
            )
        )
        .order_by("study_id")
    )
    assigned = [
        AssignedParticipant(
            participant=p,
            last_contact=p.last_contact,
            days_since=(today - p.last_contact).days if p.last_contact else None,
        )
        for p in participants
    ]
    # Longest without contact first: that is who to call next.
    assigned.sort(key=lambda a: (a.last_contact is not None, a.last_contact or today))
    own = InteractionLog.objects.filter(mentor=mentor, is_voided=False).select_related(
        "participant"
    )
    week_logs = list(
        own.filter(contact_date__range=(week_start, week_end)).exclude(
            status=InteractionLog.Status.DRAFT
        )
    )
    drafts = list(
        own.filter(status=InteractionLog.Status.DRAFT).order_by("-updated_at")
    )
    returned = list(own.filter(status=InteractionLog.Status.RETURNED))
    return MyWeek(
        today=today,
        week_start=week_start,
        week_end=week_end,
        participants=assigned,
        week_logs=week_logs,
        drafts=drafts,
        returned=returned,
    )


def log_list(
    *,
    user,
    participant: Participant | None = None,
    week: tuple[dt.date, dt.date] | None = None,
    status: str | None = None,
) -> QuerySet[InteractionLog]:
    """Logs `user` may read, newest first, filtered; voided logs excluded."""
    logs = (
        InteractionLog.objects.visible_to(user)
        .filter(is_voided=False)
        .select_related("participant__site", "mentor__user")
        .order_by("-contact_date", "-start_time", "-pk")
    )
    if participant is not None:
        logs = logs.filter(participant=participant)
    if week is not None:
        logs = logs.filter(contact_date__range=week)
    if status:
        logs = logs.filter(status=status)
    return logs


def log_filter_participants(*, user) -> QuerySet[Participant]:
    """Participants offered in the log list's filter: those the user may see."""
    return Participant.objects.visible_to(user).order_by("study_id")


REFLECTION_FIELDS = ("reflection_feelings", "reflection_concerns")


def log_detail_get(*, log: InteractionLog, with_reflections: bool) -> dict[str, Any]:
    """What the detail page shows besides the log: its options and history.
    Without `with_reflections`, history leaves the reflection fields out too."""
    revisions = list(
        LogRevision.objects.filter(log=log).select_related("actor").order_by("at", "pk")
    )
    if not with_reflections:
        for revision in revisions:
            for name in REFLECTION_FIELDS:
                revision.changes.pop(name, None)
    return {
        "techniques": list(log.techniques.all()),
        "topics": list(log.topics.all()),
        "role_functions": list(log.role_functions.all()),
        "revisions": revisions,
    }

"""Reads for the meeting pages and the agenda. Callers have already decided,
through `permissions_meetings`, that the user may see the mentor's meetings
(and, for reflections, that they are the mentor's supervisor)."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from logs_app.models import InteractionLog
from mentors.models import Mentor
from supervision.models import FollowUpItem, MeetingAction, SupervisionMeeting

# Without an earlier meeting, "since the last meeting" means this far back.
FIRST_MEETING_LOOKBACK = dt.timedelta(weeks=4)


def open_actions_for(
    *, mentors: Iterable[Mentor] | QuerySet, today: dt.date | None = None
) -> list[MeetingAction]:
    """Actions agreed in meetings with `mentors` and not yet done, soonest due
    first (no due date last), with their meeting, mentor and owner: what every
    agenda carries until each is done. `is_overdue` is set on each against
    `today` (default: today in the current time zone). One query."""
    today = today or timezone.localdate()
    actions = list(
        MeetingAction.objects.filter(meeting__mentor__in=mentors, done_at__isnull=True)
        .select_related("meeting__mentor__user", "owner")
        .order_by(F("due_on").asc(nulls_last=True), "meeting__planned_for", "pk")
    )
    for action in actions:
        action.is_overdue = action.due_on is not None and action.due_on < today
    return actions


def meeting_list(*, mentor: Mentor) -> list[SupervisionMeeting]:
    """The mentor's meetings, latest first, with who planned them and how many
    of their actions are open and done. One query."""
    return list(
        SupervisionMeeting.objects.filter(mentor=mentor)
        .select_related("supervisor")
        .annotate(
            open_count=Count("actions", filter=Q(actions__done_at__isnull=True)),
            done_count=Count("actions", filter=Q(actions__done_at__isnull=False)),
        )
        .order_by("-planned_for", "-pk")
    )


def meeting_since(
    *, mentor: Mentor, meeting: SupervisionMeeting | None = None
) -> dt.datetime:
    """When "since the last meeting" starts for a plan: the last meeting held
    before this one (or before now), else FIRST_MEETING_LOOKBACK ago."""
    before = meeting.planned_for if meeting else timezone.now()
    earlier = SupervisionMeeting.objects.filter(
        mentor=mentor, held_at__isnull=False, held_at__lt=before
    )
    if meeting is not None:
        earlier = earlier.exclude(pk=meeting.pk)
    last = earlier.order_by("-held_at").values_list("held_at", flat=True).first()
    return last or before - FIRST_MEETING_LOOKBACK


def meeting_plan_get(
    *,
    mentor: Mentor,
    with_reflections: bool,
    meeting: SupervisionMeeting | None = None,
) -> dict:
    """What a plan shows: the mentor's open follow-up items, their filed logs'
    reflections since the last meeting (only when `with_reflections`: the
    caller is their supervisor), and the open actions of earlier meetings."""
    since = meeting_since(mentor=mentor, meeting=meeting)
    items = list(
        FollowUpItem.objects.filter(mentor=mentor)
        .exclude(state=FollowUpItem.State.RESOLVED)
        .select_related("log__participant", "owner")
        .order_by("due_at", "pk")
    )
    reflections = []
    if with_reflections:
        reflections = list(
            _filed(mentor)
            .filter(submitted_at__gte=since)
            .exclude(reflection_feelings="", reflection_concerns="")
            .select_related("participant")
            .order_by("contact_date", "pk")
        )
    actions = [
        action
        for action in open_actions_for(mentors=[mentor])
        if meeting is None or action.meeting_id != meeting.pk
    ]
    return {"since": since, "items": items, "reflections": reflections,
            "earlier_actions": actions}  # fmt: skip


def _filed(mentor: Mentor) -> QuerySet[InteractionLog]:
    return InteractionLog.objects.filter(mentor=mentor, is_voided=False).exclude(
        status=InteractionLog.Status.DRAFT
    )


def record_choices(*, meeting: SupervisionMeeting) -> dict[str, QuerySet]:
    """What the record form offers: the mentor's items not resolved before the
    meeting (and those already attached), and their filed logs since the last
    meeting (and those already attached). Only this mentor's, ever."""
    mentor = meeting.mentor
    since = meeting_since(mentor=mentor, meeting=meeting)
    items = FollowUpItem.objects.filter(mentor=mentor).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=since) | Q(meetings=meeting)
    )
    logs = _filed(mentor).filter(
        Q(submitted_at__gte=since) | Q(supervision_meetings=meeting)
    )
    return {
        "items": FollowUpItem.objects.filter(pk__in=items.values("pk"))
        .select_related("log")
        .order_by("due_at", "pk"),
        "logs": InteractionLog.objects.filter(pk__in=logs.values("pk"))
        .select_related("participant")
        .order_by("-contact_date", "-pk"),
    }


def meeting_detail_get(*, meeting: SupervisionMeeting, with_notes: bool) -> dict:
    """The meeting page's reads: its actions, who attended, and (for those
    who may read the notes) the items and logs discussed."""
    context = {
        "actions": list(meeting.actions.select_related("owner", "done_by")),
        "attendees": list(meeting.attendees.order_by("pk")),
    }
    if with_notes:
        context["items"] = list(meeting.items.select_related("log__participant"))
        context["logs"] = list(
            meeting.logs.select_related("participant").order_by("contact_date", "pk")
        )
    return context

"""Supervision meetings: plan one, record it as held, agree actions and track
them to done (issue 14). Writes only; reads are in `selectors_meetings.py`, and
who may call these is decided by `permissions_meetings.py` before they are.

Every write is audited in its own transaction. Audit details hold ids, counts,
dates and versions, never what was typed (notes, action texts, names)."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.context import db_actor_set
from audit.services import audit_record
from logs_app.models import InteractionLog
from mentors.models import Mentor
from supervision.models import FollowUpItem, MeetingAction, SupervisionMeeting


class StaleMeeting(Exception):
    """The meeting changed since the form was opened (REL-2): someone else
    recorded it meanwhile. Nothing was saved."""

    def __init__(self, meeting: SupervisionMeeting) -> None:
        super().__init__(meeting.pk)
        self.meeting = meeting


def meeting_people(mentor: Mentor, meeting: SupervisionMeeting | None = None) -> list:
    """The people who can attend a meeting with `mentor` or own its actions:
    the mentor, their supervisor, the leads of their sites, and whoever
    planned the meeting. Reads the prefetched sites."""
    people = [mentor.user, mentor.supervisor, meeting and meeting.supervisor]
    people += [site.lead for site in mentor.sites.all()]
    unique = {person.pk: person for person in people if person is not None}
    return sorted(unique.values(), key=lambda person: person.pk)


def meeting_plan(
    *, actor, mentor: Mentor, planned_for: dt.datetime
) -> SupervisionMeeting:
    """Plan a meeting of `actor` with `mentor` at `planned_for`."""
    with transaction.atomic():
        db_actor_set(actor)
        meeting = SupervisionMeeting.objects.create(
            supervisor=actor, mentor=mentor, planned_for=planned_for
        )
        audit_record(
            actor=actor,
            action="meeting.plan",
            obj=meeting,
            details={"planned_for": planned_for.isoformat()},
        )
    return meeting


def _check_record(
    *,
    meeting: SupervisionMeeting,
    held_at: dt.datetime,
    attendees: Iterable,
    items: Iterable[FollowUpItem],
    logs: Iterable[InteractionLog],
    now: dt.datetime,
) -> None:
    """Only this mentor's items and filed logs, only the meeting's people, and
    not held in the future. Errors are keyed by field, to show next to it."""
    errors = {}
    if held_at > now + dt.timedelta(minutes=5):
        errors["held_at"] = _("A meeting is recorded once it has been held.")
    if any(item.mentor_id != meeting.mentor_id for item in items):
        errors["items"] = _("Only this mentor's follow-up items can be attached.")
    if any(
        log.mentor_id != meeting.mentor_id or log.status == InteractionLog.Status.DRAFT
        for log in logs
    ):
        errors["logs"] = _("Only this mentor's filed logs can be attached.")
    allowed = {person.pk for person in meeting_people(meeting.mentor, meeting)}
    if any(person.pk not in allowed for person in attendees):
        errors["attendees"] = _("Only the mentor and their supervisors can be ticked.")
    if errors:
        raise ValidationError(errors)


def meeting_record(
    *,
    actor,
    meeting: SupervisionMeeting,
    expected_version: int,
    held_at: dt.datetime,
    attendees: Iterable,
    others_attending: str = "",
    notes: str = "",
    items: Iterable[FollowUpItem] = (),
    logs: Iterable[InteractionLog] = (),
    now: dt.datetime | None = None,
) -> SupervisionMeeting:
    """Record `meeting` as held (or correct the record): when, who attended,
    the items and logs discussed, and the notes. The meeting must still be at
    `expected_version`, else StaleMeeting and nothing changes. ValidationError,
    keyed by field, for another mentor's item or log (see `_check_record`)."""
    now = now or timezone.now()
    attendees, items, logs = list(attendees), list(items), list(logs)
    _check_record(
        meeting=meeting, held_at=held_at, attendees=attendees, items=items,
        logs=logs, now=now,
    )  # fmt: skip
    with transaction.atomic():
        db_actor_set(actor)
        locked = SupervisionMeeting.objects.select_for_update().get(pk=meeting.pk)
        if locked.version != expected_version:
            raise StaleMeeting(locked)
        was_held = locked.held_at is not None
        locked.held_at = held_at
        locked.others_attending = others_attending.strip()
        locked.notes = notes.strip()
        locked.version += 1
        locked.save(update_fields=["held_at", "others_attending", "notes", "version"])
        locked.attendees.set(attendees)
        locked.items.set(items)
        locked.logs.set(logs)
        audit_record(
            actor=actor,
            action="meeting.update" if was_held else "meeting.record",
            obj=locked,
            details={
                "version": locked.version,
                "held_at": held_at.isoformat(),
                "attendees": sorted(person.pk for person in attendees),
                "has_others": bool(locked.others_attending),
                "items": sorted(item.pk for item in items),
                "logs": sorted(log.pk for log in logs),
            },
        )
    return locked


def meeting_action_add(
    *,
    actor,
    meeting: SupervisionMeeting,
    text: str,
    owner=None,
    due_on: dt.date | None = None,
) -> MeetingAction:
    """Add an action agreed in `meeting`: what, who (one of the meeting's
    people, or no one named) and by when."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Say what was agreed.")})
    allowed = {person.pk for person in meeting_people(meeting.mentor, meeting)}
    if owner is not None and owner.pk not in allowed:
        raise ValidationError({"owner": _("Choose someone from the meeting.")})
    with transaction.atomic():
        db_actor_set(actor)
        action = MeetingAction.objects.create(
            meeting=meeting, text=text, owner=owner, due_on=due_on
        )
        audit_record(
            actor=actor,
            action="meeting.action_add",
            obj=meeting,
            details={
                "meeting_action": action.pk,
                "owner": owner.pk if owner else None,
                "due_on": due_on.isoformat() if due_on else None,
            },
        )
    return action


def meeting_action_done(
    *, actor, action: MeetingAction, now: dt.datetime | None = None
) -> bool:
    """Mark `action` done. Idempotent: claims the row with a conditional update,
    so a double click or two people at once mark it (and audit it) once.
    Returns whether this call marked it."""
    now = now or timezone.now()
    with transaction.atomic():
        db_actor_set(actor)
        claimed = MeetingAction.objects.filter(
            pk=action.pk, done_at__isnull=True
        ).update(done_at=now, done_by=actor)
        if claimed:
            audit_record(
                actor=actor,
                action="meeting.action_done",
                obj=action.meeting,
                details={"meeting_action": action.pk},
            )
    action.refresh_from_db(fields=["done_at", "done_by"])
    return bool(claimed)

"""Filing interaction logs: creating, autosaving, submitting and editing. Every
change goes through here so that history, optimistic locking and idempotency
cannot be skipped. Review, voiding and the feedback thread are in
`logs_app.review`; the tracked values and their differences in
`logs_app.history`; the fields in `logs_app.fields`."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.context import db_actor_set
from audit.services import audit_record
from core.jobs import run_after_commit_if_eager
from core.timeutils import local_instant
from logs_app.fields import OPTION_FIELDS, SCALAR_FIELDS
from logs_app.history import field_value, log_snapshot, snapshot_diff, values_snapshot
from logs_app.hooks import filed_notify
from logs_app.mail import safety_alert_write
from logs_app.models import (
    InteractionLog,
    LogAutosave,
    LogComment,
    LogRevision,
)
from logs_app.permissions import handed_over_from
from mentors.models import Assignment, Mentor
from notifications.models import Notification
from notifications.tasks import send_notification

# LogRevision action → audit action (AUD-1).
LOG_AUDIT_ACTIONS = {
    "created": "log.create",
    "submitted": "log.submit",
    "edited": "log.update",
    "returned": "log.return",
    "reviewed": "log.review",
    "voided": "log.void",
}


class LogConflict(Exception):
    """Someone saved the log after this form was opened (REL-2)."""

    def __init__(self, log: InteractionLog) -> None:
        super().__init__("stale version")
        self.log = log


@dataclass(frozen=True)
class SaveResult:
    log: InteractionLog
    created: bool
    replayed: bool  # a repeated submit of a form already filed (REL-3)
    changed: bool


def _pk(item) -> int:
    """An option as a primary key: form values are model instances, the
    command line and tests may pass ids."""
    return getattr(item, "pk", item)


@sensitive_variables()  # error reports never show the values typed (AUD-5)
def log_save(
    *,
    actor,
    mentor: Mentor,
    values: dict[str, Any],
    idempotency_key: uuid.UUID,
    log: InteractionLog | None,
    expected_version: int | None,
    submit: bool,
    now: dt.datetime | None = None,
) -> SaveResult:
    """Create or update a log from validated `values` and record the change.

    - `log` None: creates a draft keyed by `idempotency_key`, or finds the log an
      earlier request (an autosave or the first of a double submit) made with it.
    - `expected_version`: the version the form was opened at. A different stored
      version with different content raises LogConflict; the same content is a
      harmless repeat and changes nothing.
    - `submit`: file it (draft/returned → submitted); filed logs stay filed.
      Resubmitting a returned log addresses the supervisor's request.
    Edits of filed logs keep the previous values in LogRevision; creating,
    submitting and editing a filed log are audited (draft autosaves are work
    in progress and are not)."""
    now = now or timezone.now()
    with transaction.atomic():
        db_actor_set(actor)
        if log is None:
            log, created = _log_for_key(mentor=mentor, idempotency_key=idempotency_key)
            if not created and log.status != InteractionLog.Status.DRAFT:
                # The form was filed already (a double submit, or an autosave
                # that arrived late): never reopen or change it from here.
                return SaveResult(log=log, created=False, replayed=True, changed=False)
        else:
            created = False
            log = InteractionLog.objects.select_for_update().get(pk=log.pk)
        if not created:
            _check_editable(log)
        before = log_snapshot(log)
        status = _status_after(log, submit=submit)
        changes = snapshot_diff(before, values_snapshot(values, status))
        if not created and not changes:
            return SaveResult(log=log, created=False, replayed=False, changed=False)
        if not created:
            _check_version(log, expected_version=expected_version)
        # The participant the log was about and the one it would be about: a
        # handed-over draft may not move to someone the mentor still has.
        for participant in {log.participant, values.get("participant")} - {None}:
            _check_not_handed_over(mentor=mentor, participant=participant)
        _check_assignment(
            mentor=mentor,
            participant=values.get("participant"),
            day=values.get("contact_date"),
        )
        _apply_values(log, values=values, status=status, created=created, now=now)
        winner = _write_row(log, created=created)
        if winner is not None:
            return SaveResult(log=winner, created=False, replayed=True, changed=False)
        _write_options(log, values=values, created=created)
        _record_history(
            log,
            actor=actor,
            before=before,
            changes=changes,
            created=created,
            submit=submit,
            now=now,
        )
        LogAutosave.objects.filter(log=log, user=actor).delete()
        if before["status"] == InteractionLog.Status.RETURNED:
            _resubmit_after_return(log=log, actor=actor, now=now)
        if _raises_safety_alert(before, log):
            _safety_alert(log=log, now=now)
        if log.status == InteractionLog.Status.SUBMITTED:
            # The apps above (follow-up items) see every filed change, in
            # this transaction.
            filed_notify(log=log, actor=actor, now=now)
    return SaveResult(log=log, created=created, replayed=False, changed=True)


def _log_for_key(
    *, mentor: Mentor, idempotency_key: uuid.UUID
) -> tuple[InteractionLog, bool]:
    """(the log this form's key made, locked; or a new unsaved one, created?).
    Another mentor's key is refused: that form is not theirs to continue."""
    log = (
        InteractionLog.objects.select_for_update()
        .filter(idempotency_key=idempotency_key, mentor=mentor)
        .first()
    )
    if log is not None:
        return log, False
    if InteractionLog.objects.filter(idempotency_key=idempotency_key).exists():
        raise ValidationError(_("This form has expired. Please open a new one."))
    return InteractionLog(mentor=mentor, idempotency_key=idempotency_key), True


def _check_editable(log: InteractionLog) -> None:
    if not log.is_editable_status:
        raise ValidationError(_("This log is locked: it has been reviewed or voided."))


def _check_version(log: InteractionLog, *, expected_version: int | None) -> None:
    """The form was opened at the stored version, or says nothing of it."""
    if expected_version is not None and log.version != expected_version:
        raise LogConflict(log)


def _status_after(log: InteractionLog, *, submit: bool) -> str:
    """Submitting files a log; a filed log stays filed (returned → submitted)."""
    if submit or log.status != InteractionLog.Status.DRAFT:
        return InteractionLog.Status.SUBMITTED
    return InteractionLog.Status.DRAFT


def _apply_values(
    log: InteractionLog,
    *,
    values: dict[str, Any],
    status: str,
    created: bool,
    now: dt.datetime,
) -> None:
    """Set the form's values, the status, the filing time, the contact's
    instant in the site's clock and the next version on the (unsaved) log."""
    filed_before = log.status != InteractionLog.Status.DRAFT
    question = log.reflection_concerns
    for name in SCALAR_FIELDS:
        setattr(log, name, field_value(name, values.get(name)))
    if log.reflection_concerns != question:
        # A new or changed question waits for its own answer (issue 14).
        log.question_answered_at = None
    if log.outcome == "":
        log.outcome = InteractionLog.Outcome.MET
    log.status = status
    if status == InteractionLog.Status.SUBMITTED and (
        not filed_before or log.submitted_at is None
    ):
        log.submitted_at = now
    if log.contact_date and log.participant_id:
        log.occurred_at = local_instant(
            log.contact_date, log.start_time, log.participant.site.tzinfo
        )
    else:
        log.occurred_at = None
    if not created:
        log.version += 1


def _write_row(log: InteractionLog, *, created: bool) -> InteractionLog | None:
    """Save the log. None when saved; the log another request made with the
    same key when the two raced past `_log_for_key` and the other one won."""
    try:
        with transaction.atomic():
            log.save()
    except IntegrityError:
        if not created:
            raise
        existing = InteractionLog.objects.filter(
            idempotency_key=log.idempotency_key, mentor=log.mentor
        ).first()
        if existing is None:
            raise
        return existing
    return None


def _write_options(
    log: InteractionLog, *, values: dict[str, Any], created: bool
) -> None:
    """The option lists' links."""
    for name in OPTION_FIELDS:
        chosen = values.get(name) or []
        if not created:
            getattr(log, name).set(chosen)
            continue
        # A new log has no links yet: insert them, without the read of the
        # existing ones that set() does (one query less per list).
        field = InteractionLog._meta.get_field(name)
        through = field.remote_field.through
        source = f"{field.m2m_field_name()}_id"
        target = f"{field.m2m_reverse_field_name()}_id"
        links = [
            through(**{source: log.pk, target: pk})
            for pk in dict.fromkeys(_pk(item) for item in chosen)
        ]
        if links:
            through.objects.bulk_create(links)


def _record_history(
    log: InteractionLog,
    *,
    actor,
    before: dict[str, Any],
    changes: dict[str, list[Any]],
    created: bool,
    submit: bool,
    now: dt.datetime,
) -> None:
    """The revision and the audit row of a save. Draft autosaves are work in
    progress: history starts when a log is created and records every change
    from its first submission on."""
    filed_before = before["status"] != InteractionLog.Status.DRAFT
    if created:
        action = LogRevision.Action.SUBMITTED if submit else LogRevision.Action.CREATED
    elif before["status"] != log.status:  # draft or returned → submitted
        action = LogRevision.Action.SUBMITTED
    else:
        action = LogRevision.Action.EDITED
    if not (created or filed_before or action == LogRevision.Action.SUBMITTED):
        return
    LogRevision.objects.create(
        log=log,
        version=log.version,
        action=action,
        actor=actor,
        at=now,
        changes=changes if created else snapshot_diff(before, log_snapshot(log)),
    )
    audit_record(
        action=LOG_AUDIT_ACTIONS[action],
        obj=log,
        actor=actor,
        # Field names only, never values (AUD-1).
        details={
            "version": log.version,
            "status": log.status,
            "fields": sorted(changes),
            **({"created": True} if created else {}),
        },
    )


def _resubmit_after_return(*, log: InteractionLog, actor, now: dt.datetime) -> None:
    """The mentor sent a returned log back (issue 14): the supervisor's request
    is addressed, and their feedback on the log counts as read, since the
    mentor worked through it on the form. In the filing's transaction, audited
    (comment ids and counts only)."""
    requests = LogComment.objects.filter(
        log=log, kind=LogComment.Kind.RETURN, addressed_at__isnull=True
    )
    addressed = sorted(requests.values_list("pk", flat=True))
    requests.filter(pk__in=addressed).update(addressed_at=now)
    read = LogComment.objects.filter(
        log=log, kind__in=LogComment.FROM_SUPERVISOR, acknowledged_at__isnull=True
    ).update(acknowledged_at=now)
    audit_record(
        action="log.return_addressed",
        obj=log,
        actor=actor,
        details={"version": log.version, "comments": addressed, "read": read},
    )


def _check_not_handed_over(*, mentor: Mentor, participant) -> None:
    """After a handover the earlier mentor's logs about the participant are
    read-only, by any way in: the form, an autosave or a phone's outbox
    finding a draft by its key (issue 17)."""
    if participant is not None and handed_over_from(mentor.pk, participant):
        raise ValidationError(
            {
                "participant": _(
                    "%(study_id)s was handed over to another mentor: your logs "
                    "about them are read-only now."
                )
                % {"study_id": participant.study_id}
            }
        )


def _check_assignment(*, mentor: Mentor, participant, day: dt.date | None) -> None:
    """The core rule: a mentor logs a contact only with a participant assigned
    to them on the contact date. The form says it with the assignment periods
    next to the date; this refuses every other caller (scripts, the demo)."""
    if participant is None or day is None:
        return  # a draft without both yet
    assignments = Assignment.objects.filter(mentor=mentor, participant=participant)
    if not assignments.active_on(day).exists():
        raise ValidationError(
            {
                "participant": _(
                    "This participant was not assigned to you on the contact date."
                )
            }
        )


def _raises_safety_alert(before: dict[str, Any], log: InteractionLog) -> bool:
    """A safety concern alerts once it is filed: on submit, or when a filed log
    gains the flag."""
    if not log.safety_concern or log.status != InteractionLog.Status.SUBMITTED:
        return False
    return not (before["safety_concern"] and before["status"] == log.status)


def _safety_alert(*, log: InteractionLog, now: dt.datetime) -> None:
    """Alert rows in this transaction (JOB-1); the dispatcher sends them within
    a minute (in eager mode, right after the commit)."""
    safety_alert_write(log=log, now=now)
    for pk in Notification.objects.filter(
        kind=Notification.Kind.SAFETY_ALERT,
        period=f"log:{log.pk}",
        status=Notification.Status.PENDING,
    ).values_list("pk", flat=True):
        run_after_commit_if_eager(send_notification, pk)


@sensitive_variables()
def log_autosave_filed(
    *,
    actor,
    log: InteractionLog,
    data: dict[str, list[str]],
    base_version: int,
    now: dt.datetime | None = None,
) -> LogAutosave:
    """Keep what the author is typing into a filed log, without changing the log
    or its history until they save (REL-1). `base_version` is the version the
    form was opened at, so the eventual save still detects conflicts (REL-2).
    NUL characters are dropped: PostgreSQL's jsonb cannot hold them, and the
    form refuses them anyway when the author saves."""
    data = {
        str(key).replace("\x00", ""): [str(v).replace("\x00", "") for v in values]
        for key, values in data.items()
    }
    autosave, _created = LogAutosave.objects.update_or_create(
        log=log,
        user=actor,
        defaults={
            "data": data,
            "base_version": base_version,
            "saved_at": now or timezone.now(),
        },
    )
    return autosave

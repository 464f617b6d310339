"""Writes to interaction logs. Every change goes through here so that history,
optimistic locking and idempotency cannot be skipped."""

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.context import current_request, db_actor_set
from audit.models import AuditEvent
from audit.services import audit_record, client_ip
from core.roles import user_roles
from core.timeutils import local_instant
from logs_app.jobs import run_after_commit_if_eager
from logs_app.mail import safety_alert_write
from logs_app.models import (
    InteractionLog,
    LogAutosave,
    LogComment,
    LogRevision,
)
from mentors.models import Assignment, Mentor
from notifications.models import Notification
from notifications.tasks import send_notification

# Fields copied from a validated form onto the log, and tracked in history.
SCALAR_FIELDS = (
    "participant",
    "contact_date",
    "start_time",
    "duration_minutes",
    "mode",
    "place",
    "outcome",
    "co_ppm",
    "cigarettes_per_day",
    "stage_of_change",
    "quit_date",
    "nrt_in_use",
    "weekly_goal",
    "last_goal_outcome",
    "narrative",
    "reflection_feelings",
    "reflection_concerns",
    "discuss_in_supervision",
    "safety_concern",
)
M2M_FIELDS = ("techniques", "topics", "role_functions")
# LogRevision action → audit action (AUD-1).
LOG_AUDIT_ACTIONS = {
    "created": "log.create",
    "submitted": "log.submit",
    "edited": "log.update",
    "returned": "log.return",
    "reviewed": "log.review",
    "voided": "log.void",
}
TRACKED_FIELDS = SCALAR_FIELDS + M2M_FIELDS + ("status",)


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


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return value


def log_snapshot(log: InteractionLog) -> dict[str, Any]:
    """Tracked values of a saved log as JSON-ready data (option lists as codes)."""
    data = {name: _plain(getattr(log, name)) for name in SCALAR_FIELDS}
    data["status"] = log.status
    if log.pk:
        for name in M2M_FIELDS:
            data[name] = sorted(option.code for option in getattr(log, name).all())
    else:
        data.update(dict.fromkeys(M2M_FIELDS, []))
    return data


def _pk(item) -> int:
    """An option as a primary key: form values are model instances, the
    command line and tests may pass ids."""
    return getattr(item, "pk", item)


def _field_value(name: str, value: Any) -> Any:
    """None from a form means "empty": the field's own empty value."""
    field = InteractionLog._meta.get_field(name)
    if value is None and not field.null:
        return field.get_default()
    return value


def values_snapshot(values: dict[str, Any], status: str) -> dict[str, Any]:
    """Form values in the shape of `log_snapshot`, to compare the two."""
    data = {
        name: _plain(_field_value(name, values.get(name))) for name in SCALAR_FIELDS
    }
    data["status"] = status
    for name in M2M_FIELDS:
        data[name] = sorted(option.code for option in values.get(name) or [])
    return data


def snapshot_diff(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), after.get(name)]
        for name in TRACKED_FIELDS
        if before.get(name) != after.get(name)
    }


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
    Edits of filed logs keep the previous values in LogRevision; creating,
    submitting and editing a filed log are audited (draft autosaves are work
    in progress and are not)."""
    now = now or timezone.now()
    with transaction.atomic():
        db_actor_set(actor)
        created = False
        if log is None:
            log = (
                InteractionLog.objects.select_for_update()
                .filter(idempotency_key=idempotency_key, mentor=mentor)
                .first()
            )
            if log is None:
                if InteractionLog.objects.filter(
                    idempotency_key=idempotency_key
                ).exists():
                    raise ValidationError(
                        _("This form has expired. Please open a new one.")
                    )
                log = InteractionLog(mentor=mentor, idempotency_key=idempotency_key)
                created = True
            elif log.status != InteractionLog.Status.DRAFT:
                # The form was filed already (a double submit, or an autosave
                # that arrived late): never reopen or change it from here.
                return SaveResult(log=log, created=False, replayed=True, changed=False)
        else:
            log = InteractionLog.objects.select_for_update().get(pk=log.pk)

        if not created and not log.is_editable_status:
            raise ValidationError(
                _("This log is locked: it has been reviewed or voided.")
            )

        before = log_snapshot(log)
        filed_before = log.status != InteractionLog.Status.DRAFT
        if submit or filed_before:
            status = InteractionLog.Status.SUBMITTED
        else:
            status = InteractionLog.Status.DRAFT
        wanted = values_snapshot(values, status)
        changes = snapshot_diff(before, wanted)
        if not created and not changes:
            return SaveResult(log=log, created=False, replayed=False, changed=False)
        if (
            not created
            and expected_version is not None
            and log.version != expected_version
        ):
            raise LogConflict(log)
        _check_assignment(
            mentor=mentor,
            participant=values.get("participant"),
            day=values.get("contact_date"),
        )

        for name in SCALAR_FIELDS:
            setattr(log, name, _field_value(name, values.get(name)))
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
        try:
            with transaction.atomic():
                log.save()
        except IntegrityError:
            if not created:
                raise
            # Two requests with one key raced past the lookup: the other one won.
            existing = InteractionLog.objects.filter(
                idempotency_key=idempotency_key, mentor=mentor
            ).first()
            if existing is None:
                raise
            return SaveResult(log=existing, created=False, replayed=True, changed=False)
        for name in M2M_FIELDS:
            chosen = values.get(name) or []
            if created:
                # A new log has no links yet: insert them, without the read of
                # the existing ones that set() does (one query less per list).
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
            else:
                getattr(log, name).set(chosen)

        if created:
            action = (
                LogRevision.Action.SUBMITTED if submit else LogRevision.Action.CREATED
            )
        elif before["status"] != status:  # draft or returned → submitted
            action = LogRevision.Action.SUBMITTED
        else:
            action = LogRevision.Action.EDITED
        # Draft autosaves are work in progress: history starts when a log is
        # created and records every change from its first submission on.
        if created or filed_before or action == LogRevision.Action.SUBMITTED:
            LogRevision.objects.create(
                log=log,
                version=log.version,
                action=action,
                actor=actor,
                at=now,
                changes=snapshot_diff(before, log_snapshot(log))
                if not created
                else changes,
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
        LogAutosave.objects.filter(log=log, user=actor).delete()
        if _raises_safety_alert(before, log):
            _safety_alert(log=log, now=now)
    return SaveResult(log=log, created=created, replayed=False, changed=True)


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


# --- supervision -------------------------------------------------------------------
class AlreadyReviewed(Exception):
    """Another supervisor acted on the log first; nothing of ours was lost."""

    def __init__(self, log: InteractionLog, kept_comment: LogComment | None) -> None:
        super().__init__("already acted on")
        self.log = log
        self.kept_comment = kept_comment


def _comment(*, log: InteractionLog, author, kind: str, body: str, now) -> LogComment:
    return LogComment.objects.create(
        log=log, author=author, kind=kind, body=body.strip(), created_at=now
    )


@sensitive_variables()
def log_review(
    *,
    actor,
    log: InteractionLog,
    expected_version: int,
    approve: bool,
    comment: str = "",
    now: dt.datetime | None = None,
) -> InteractionLog:
    """Mark a submitted log reviewed (`approve`) or return it for revision.

    Returning needs a comment; a review comment is optional. The log must still
    be submitted at `expected_version`: if another supervisor got there first
    (or the mentor changed it meanwhile), AlreadyReviewed is raised and a
    comment typed here is kept as plain feedback, so nothing is lost or doubled.
    The review's revision and audit row are written in its transaction."""
    now = now or timezone.now()
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(
            {"comment": _("Say what to change, so the mentor knows what to do next.")}
        )
    kept = None
    with transaction.atomic():
        db_actor_set(actor)
        log = InteractionLog.objects.select_for_update().get(pk=log.pk)
        stale = log.status != InteractionLog.Status.SUBMITTED or (
            log.version != expected_version
        )
        if stale and comment:
            kept = _comment(
                log=log,
                author=actor,
                kind=LogComment.Kind.FEEDBACK,
                body=comment,
                now=now,
            )
        elif not stale:
            _apply_review(
                log=log, actor=actor, approve=approve, comment=comment, now=now
            )
    if stale:  # raised after the commit, so the kept comment stays
        raise AlreadyReviewed(log, kept)
    return log


def _apply_review(
    *, log: InteractionLog, actor, approve: bool, comment: str, now
) -> None:
    before = log.status
    if approve:
        log.status = InteractionLog.Status.REVIEWED
        log.reviewed_at, log.reviewed_by = now, actor
    else:
        log.status = InteractionLog.Status.RETURNED
    log.version += 1
    log.save(
        update_fields=["status", "reviewed_at", "reviewed_by", "version", "updated_at"]
    )
    LogRevision.objects.create(
        log=log,
        version=log.version,
        action=LogRevision.Action.REVIEWED if approve else LogRevision.Action.RETURNED,
        actor=actor,
        at=now,
        changes={"status": [before, log.status]},
    )
    # In the review's transaction, like filing and voiding: a review made by
    # code is audited too, and a failure after this point loses neither (AUD-1).
    audit_record(
        action="log.review" if approve else "log.return",
        obj=log,
        actor=actor,
        details={"version": log.version},
    )
    if comment or not approve:
        _comment(
            log=log,
            author=actor,
            kind=LogComment.Kind.REVIEW if approve else LogComment.Kind.RETURN,
            body=comment,
            now=now,
        )


def logs_bulk_review(
    *, actor, versions: dict[int, int], now: dt.datetime | None = None
) -> tuple[list[InteractionLog], list[int]]:
    """Mark many routine logs reviewed. `versions` maps log id → the version the
    supervisor saw; only logs still submitted at that version, routine (no
    safety flag, concern or request for supervision) and supervised by `actor`
    are marked. Returns (marked logs, ids skipped)."""
    now = now or timezone.now()
    marked: list[InteractionLog] = []
    with transaction.atomic():
        db_actor_set(actor)
        candidates = (
            InteractionLog.objects.select_for_update()
            .filter(pk__in=versions, mentor__supervisor=actor)
            .filter(routine_q())
        )
        for log in candidates:
            if (
                log.status != InteractionLog.Status.SUBMITTED
                or log.version != versions[log.pk]
            ):
                continue
            log.status = InteractionLog.Status.REVIEWED
            log.reviewed_at, log.reviewed_by = now, actor
            log.version += 1
            log.updated_at = now  # bulk_update does not apply auto_now
            marked.append(log)
        InteractionLog.objects.bulk_update(
            marked, ["status", "reviewed_at", "reviewed_by", "version", "updated_at"]
        )
        LogRevision.objects.bulk_create(
            LogRevision(
                log=log,
                version=log.version,
                action=LogRevision.Action.REVIEWED,
                actor=actor,
                at=now,
                changes={"status": ["submitted", "reviewed"], "bulk": [None, True]},
            )
            for log in marked
        )
        _audit_bulk_review(actor=actor, logs=marked, now=now)
    done = {log.pk for log in marked}
    return marked, [pk for pk in versions if pk not in done]


def _audit_bulk_review(*, actor, logs: list[InteractionLog], now) -> None:
    """One audit row per log marked in bulk, written in one query."""
    if not logs:
        return
    request = current_request()
    sites = dict(
        InteractionLog.objects.filter(pk__in=[log.pk for log in logs]).values_list(
            "pk", "participant__site_id"
        )
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=now,
            actor=actor,
            roles=",".join(sorted(user_roles(actor))),
            action="log.review",
            object_type="interactionlog",
            object_id=str(log.pk),
            site_id=sites.get(log.pk),
            mentor_id=log.mentor_id,
            path=request.path[:300] if request is not None else "",
            method=request.method if request is not None else "",
            ip=client_ip(request) if request is not None else None,
            request_id=getattr(request, "request_id", None),
            details={"version": log.version, "bulk": True},
        )
        for log in logs
    )


def log_void(
    *, actor, log: InteractionLog, reason: str, now: dt.datetime | None = None
) -> InteractionLog:
    """Void a filed log: it stays (with its history) but leaves counts and
    exports, and is locked. The reason is required, kept on the log and in its
    history; the audit row names the action only."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this log is voided.")})
    with transaction.atomic():
        db_actor_set(actor)
        log = InteractionLog.objects.select_for_update().get(pk=log.pk)
        if log.is_voided:
            raise ValidationError(_("This log is already voided."))
        if log.status == InteractionLog.Status.DRAFT:
            raise ValidationError(
                _("This log is a draft: it was never filed, so it is not voided.")
            )
        log.is_voided, log.void_reason = True, reason
        log.version += 1
        log.save(update_fields=["is_voided", "void_reason", "version", "updated_at"])
        LogRevision.objects.create(
            log=log,
            version=log.version,
            action=LogRevision.Action.VOIDED,
            actor=actor,
            at=now,
            changes={"is_voided": [False, True], "void_reason": ["", reason]},
        )
        audit_record(
            action="log.void", obj=log, actor=actor, details={"version": log.version}
        )
    return log


def routine_q() -> Q:
    """Logs a supervisor may mark reviewed in bulk: nothing asks for attention."""
    return Q(
        safety_concern=False,
        discuss_in_supervision=False,
        reflection_concerns="",
        status=InteractionLog.Status.SUBMITTED,
        is_voided=False,
    )


@sensitive_variables()
def log_comment_add(
    *, actor, log: InteractionLog, body: str, now: dt.datetime | None = None
) -> LogComment:
    """Add to a log's thread: feedback from the log's supervisor, a reply from
    its mentor, or (on a reviewed log) the mentor's addendum."""
    now = now or timezone.now()
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    if log.mentor.user_id == actor.pk:
        kind = (
            LogComment.Kind.ADDENDUM
            if log.status == InteractionLog.Status.REVIEWED
            else LogComment.Kind.REPLY
        )
    elif log.mentor.supervisor_id == actor.pk:
        kind = LogComment.Kind.FEEDBACK
    else:
        raise ValidationError(_("Only the mentor and their supervisor write here."))
    with transaction.atomic():
        comment = _comment(log=log, author=actor, kind=kind, body=body, now=now)
        if kind != LogComment.Kind.FEEDBACK:
            # Replying answers the feedback: it no longer waits on My week.
            LogComment.objects.filter(
                log=log,
                kind__in=LogComment.FROM_SUPERVISOR,
                acknowledged_at__isnull=True,
            ).update(acknowledged_at=now)
    return comment


def comments_acknowledge(
    *, actor, log: InteractionLog, now: dt.datetime | None = None
) -> int:
    """The mentor has read the supervisor's feedback on `log`."""
    if log.mentor.user_id != actor.pk:
        raise ValidationError(
            _("Only the mentor who wrote the log acknowledges feedback.")
        )
    return LogComment.objects.filter(
        log=log, kind__in=LogComment.FROM_SUPERVISOR, acknowledged_at__isnull=True
    ).update(acknowledged_at=now or timezone.now())

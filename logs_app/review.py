"""Supervision of filed logs: review (one log, or routine logs in bulk),
voiding, and the feedback thread between a mentor and their supervisor. Each
writes its revision and audit row in its own transaction (AUD-1). Who may act
is decided by `logs_app.permissions`; what needs attention by
`logs_app.attention`."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from audit.context import db_actor_set
from audit.services import audit_record, audit_record_many
from logs_app.attention import routine_q
from logs_app.models import InteractionLog, LogComment, LogRevision
from logs_app.permissions import LogAccess


class AlreadyReviewed(Exception):
    """Another supervisor acted on the log first, or its mentor changed it:
    nothing was written. `log` is the log as it is now; the caller still holds
    the comment, to give back to whoever typed it."""

    def __init__(self, log: InteractionLog) -> None:
        super().__init__("already acted on")
        self.log = log


def _comment(*, log: InteractionLog, author, kind: str, body: str, now) -> LogComment:
    """Add to the thread. The supervisor's first words after the mentor asked a
    question answer it (issue 14), whichever way they were sent."""
    comment = LogComment.objects.create(
        log=log, author=author, kind=kind, body=body.strip(), created_at=now
    )
    if comment.is_from_supervisor and comment.body:
        _question_answer(log=log, comment=comment, actor=author, now=now)
    return comment


def _question_answer(
    *, log: InteractionLog, comment: LogComment, actor, now: dt.datetime
) -> None:
    """Record that `comment` answered the log's open question, if it has one.
    A conditional update: answering twice keeps the first time, and the log's
    version is not bumped (a routine log stays markable from an open queue)."""
    answered = (
        InteractionLog.objects.filter(pk=log.pk, question_answered_at__isnull=True)
        .exclude(reflection_concerns="")
        .update(question_answered_at=now)
    )
    if answered:
        log.question_answered_at = now
        audit_record(
            action="log.question_answer",
            obj=log,
            actor=actor,
            details={"comment": comment.pk},
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
    (or the mentor changed it meanwhile), AlreadyReviewed is raised and nothing
    is written, not even the comment: it was written about what the supervisor
    read, so they decide again (the review page gives it back in its box).
    The review's revision and audit row are written in its transaction."""
    now = now or timezone.now()
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError(
            {"comment": _("Say what to change, so the mentor knows what to do next.")}
        )
    with transaction.atomic():
        db_actor_set(actor)
        log = InteractionLog.objects.select_for_update().get(pk=log.pk)
        if log.status != InteractionLog.Status.SUBMITTED or (
            log.version != expected_version
        ):
            raise AlreadyReviewed(log)
        _apply_review(log=log, actor=actor, approve=approve, comment=comment, now=now)
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
    """One audit row per log marked in bulk, written in one query (and the
    sites of the logs read in one) through the audit's own writer."""
    if not logs:
        return
    sites = dict(
        InteractionLog.objects.filter(pk__in=[log.pk for log in logs]).values_list(
            "pk", "participant__site_id"
        )
    )
    audit_record_many(
        action="log.review",
        actor=actor,
        at=now,
        items=(
            (
                log,
                (sites.get(log.pk), log.mentor_id),
                {"version": log.version, "bulk": True},
            )
            for log in logs
        ),
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
    access = LogAccess(actor, log)
    if access.is_author:
        kind = (
            LogComment.Kind.ADDENDUM
            if log.status == InteractionLog.Status.REVIEWED
            else LogComment.Kind.REPLY
        )
    elif access.is_supervisor:
        kind = LogComment.Kind.FEEDBACK
    else:
        raise ValidationError(_("Only the mentor and their supervisor write here."))
    with transaction.atomic():
        db_actor_set(actor)  # feedback may answer the question: a change of the log
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
    if not LogAccess(actor, log).is_author:
        raise ValidationError(
            _("Only the mentor who wrote the log acknowledges feedback.")
        )
    return LogComment.objects.filter(
        log=log, kind__in=LogComment.FROM_SUPERVISOR, acknowledged_at__isnull=True
    ).update(acknowledged_at=now or timezone.now())

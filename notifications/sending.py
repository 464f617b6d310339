"""Sending one outbox row: claim it with a conditional UPDATE for its kind's
lease, render it, keep the lease while the SMTP send lasts, record the outcome
on the row. Transient SMTP errors retry with backoff; permanent ones mark it
failed (shown in the admin)."""

import contextlib
import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.db.models import Case, F, Value, When
from django.utils import timezone

from notifications.kinds import NothingToSay, kind_get
from notifications.models import Notification
from notifications.rendering import headers, render
from notifications.services import LEASE, lease_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def _clock(now: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `now` at first (the real time, or a caller's fixed
    instant) and moves on with real time from there."""
    offset = now - timezone.now()
    return lambda: timezone.now() + offset


def notification_send(pk: int, now: dt.datetime | None = None) -> str:
    """Claim the row for its kind's lease, render it, renew the lease, send it
    (renewing the lease while the send lasts), record the outcome (`sent_at`:
    when the SMTP send returned). Returns the final status. Safe to call for a
    row that is already sent: it does nothing.
    `now` pins the clock at the claim (tests); it moves on with real time."""
    now = now or timezone.now()
    clock = _clock(now)
    claimed = Notification.objects.filter(
        pk=pk, status=Notification.Status.PENDING
    ).update(
        status=Notification.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        # Each kind's lease, chosen in the UPDATE itself (no read first).
        next_attempt_at=Case(
            When(
                kind=Notification.Kind.SAFETY_ALERT,
                then=Value(now + lease_for(Notification.Kind.SAFETY_ALERT)),
            ),
            default=Value(now + LEASE),
        ),
    )
    notification = Notification.objects.select_related("recipient").get(pk=pk)
    if not claimed:
        return notification.status
    try:
        if not _still_wanted(notification):
            raise NothingToSay
        rendered = render(notification, now=now)
    except NothingToSay:
        return _finish(notification, Notification.Status.SKIPPED, clock())
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.email],
        headers=headers(notification),
    )
    message.attach_alternative(rendered.html, "text/html")
    # The whole lease again, whatever rendering took (`_lease_kept` renews it
    # from here on). A worker that lost its lease meanwhile leaves the row.
    if not _ours(notification).update(
        next_attempt_at=clock() + lease_for(notification.kind)
    ):
        return Notification.objects.get(pk=pk).status
    try:
        with _lease_kept(notification, clock):
            message.send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        return _failed(notification, exc, now, permanent=not _is_transient(exc))
    except smtplib.SMTPResponseException as exc:
        return _failed(notification, exc, now, permanent=exc.smtp_code >= 500)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return _failed(notification, exc, now, permanent=False)
    return _finish(notification, Notification.Status.SENT, clock())


@contextlib.contextmanager
def _lease_kept(
    notification: Notification, clock: Callable[[], dt.datetime]
) -> Iterator[None]:
    """Renew the row's lease every third of it while the block (the SMTP send)
    runs. EMAIL_TIMEOUT bounds each socket operation, not the conversation: a
    slow but live server can take longer than the lease, and the dispatcher
    would then hand the row to a second worker while this one still sends.
    Renewal goes through `_ours`, so it stops once the claim is someone
    else's; a database error is logged and ends the renewal, never the send."""
    lease = lease_for(notification.kind)
    stop = threading.Event()

    def renew() -> None:
        try:
            while not stop.wait(lease.total_seconds() / 3):
                if not _ours(notification).update(next_attempt_at=clock() + lease):
                    return  # the claim is no longer ours
        except Exception:
            logger.exception(
                "Lease renewal of notification %s stopped", notification.pk
            )
        finally:
            connection.close()  # this thread's own connection

    heartbeat = threading.Thread(
        target=renew, name=f"lease-{notification.pk}", daemon=True
    )
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join()


def _ours(notification: Notification):
    """The row, while this worker's claim holds (no one re-claimed it since)."""
    return Notification.objects.filter(
        pk=notification.pk,
        status=Notification.Status.SENDING,
        attempts=notification.attempts,
    )


def _still_wanted(notification: Notification) -> bool:
    """Asked again at send time (the kind's `is_still_wanted`): someone who
    turned the digest off (or lost the role) after the row was written gets
    nothing."""
    is_still_wanted = kind_get(notification.kind).is_still_wanted
    return is_still_wanted is None or is_still_wanted(notification)


def _is_transient(exc: smtplib.SMTPException) -> bool:
    codes = []
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
    elif isinstance(exc, smtplib.SMTPSenderRefused):
        codes = [exc.smtp_code]
    return bool(codes) and all(400 <= code < 500 for code in codes)


def _finish(notification: Notification, status: str, now: dt.datetime) -> str:
    if status == Notification.Status.SENT:
        # The mail went out: say so even if the lease ran out meanwhile, so a
        # worker about to take the row over finds it sent.
        rows = Notification.objects.filter(
            pk=notification.pk,
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
        )
    else:
        rows = _ours(notification)
    rows.update(
        status=status,
        sent_at=now if status == Notification.Status.SENT else None,
        last_error="",
    )
    return status


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8, 16 minutes… capped at an hour."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), dt.timedelta(hours=1))


def _failed(notification: Notification, exc: Exception, now, *, permanent: bool) -> str:
    attempts = notification.attempts
    error = f"{type(exc).__name__}: {exc}"[:300]
    if permanent or attempts >= MAX_ATTEMPTS:
        status = Notification.Status.FAILED
        next_at = now
        logger.error("Notification %s failed for good: %s", notification.pk, error)
    else:
        status = Notification.Status.PENDING
        next_at = now + backoff(attempts)
        logger.warning("Notification %s will be retried: %s", notification.pk, error)
    _ours(notification).update(status=status, last_error=error, next_attempt_at=next_at)
    return status

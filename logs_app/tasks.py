"""Celery tasks: thin, take ids, call one service (STYLE.md). Idempotency lives
in the database (the Notification row's status), not in the broker."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.dispatch import sweeps_run
from logs_app import notifications
from logs_app.models import Notification

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_notification(notification_id: int) -> str:
    """Send one outbox row; a row already sent is left alone. A transient
    failure is queued again for the moment its backoff ends."""
    status = notifications.notification_send(notification_id)
    if status == Notification.Status.PENDING:
        _queue_retry(notification_id)
    return status


def _queue_retry(notification_id: int) -> None:
    """Ask the broker to run the retry when it is due, rather than at the first
    dispatcher tick after that (up to a whole beat period later). The row's due
    time stays the guarantee: if this message is lost, the dispatcher hands the
    row over; whichever comes second finds it claimed and does nothing.
    Eager mode has no broker to wait with: the dispatcher does it there."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return
    due = notifications.retry_due_at(notification_id)
    if due is None:
        return

    def enqueue() -> None:
        try:
            send_notification.apply_async((notification_id,), eta=due)
        except Exception:  # the broker is down: the dispatcher hands it over
            logger.warning("Broker unavailable; retry of %s waits", notification_id)

    transaction.on_commit(enqueue)


@shared_task(acks_late=True)
def dispatch() -> dict[str, int]:
    """Beat runs this every PEERLOG_DISPATCH_SECONDS (15 s): write what the
    schedules make due, then hand due rows (including ones whose worker died
    mid-send) and the registered sweeps' rows (export jobs) to the workers."""
    return dispatch_once()


def dispatch_once(now=None) -> dict[str, int]:
    now = now or timezone.now()
    written = notifications.schedule_due(now)
    handed = 0
    leased = notifications.due_ids(now)
    for index, pk in enumerate(leased):
        try:
            send_notification.delay(pk)
        except Exception:  # the broker is down: everything left stays due
            logger.warning("Broker unavailable; %d mails wait", len(leased) - index)
            for waiting in leased[index:]:
                notifications.release(waiting, now)
            break
        handed += 1
    # Export jobs: exports registers its sweep (core.dispatch), as it sits above.
    return {"written": written, "handed": handed, **sweeps_run(now)}

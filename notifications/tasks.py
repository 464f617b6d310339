"""Celery tasks: thin, take ids, call one service (STYLE.md). Idempotency lives
in the database (the Notification row's status), not in the broker.

The tasks moved here from logs_app.tasks (issue 12) and keep their registered
names: a message already queued in Redis names its task by that name."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Notification
from notifications.sending import notification_send

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DispatchStep:
    """Other work the dispatcher hands to the workers on the same beat tick
    (export jobs): `run(now=...)` returns how many it handed over."""

    name: str  # its key in `dispatch_once`'s result
    label: str  # how `dispatch_notifications` reports it
    run: Callable[..., int]


# Filled by the apps above in their AppConfig.ready(): a dependency inversion,
# so one beat task serves them without notifications importing them (issue 12).
_dispatch_steps: list[DispatchStep] = []


def dispatch_step_register(step: DispatchStep) -> None:
    """Add `step` to every dispatcher pass (once per name)."""
    _dispatch_steps[:] = [s for s in _dispatch_steps if s.name != step.name]
    _dispatch_steps.append(step)


def dispatch_step_list() -> list[DispatchStep]:
    return list(_dispatch_steps)


# Registered name kept from before the move (issue 12): queued messages use it.
@shared_task(name="logs_app.tasks.send_notification", acks_late=True)
def send_notification(notification_id: int) -> str:
    """Send one outbox row; a row already sent is left alone. A transient
    failure is queued again for the moment its backoff ends."""
    status = notification_send(notification_id)
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
    due = services.retry_due_at(notification_id)
    if due is None:
        return

    def enqueue() -> None:
        try:
            send_notification.apply_async((notification_id,), eta=due)
        except Exception:  # the broker is down: the dispatcher hands it over
            logger.warning("Broker unavailable; retry of %s waits", notification_id)

    transaction.on_commit(enqueue)


# Registered name kept from before the move (issue 12): beat and queued
# messages use it.
@shared_task(name="logs_app.tasks.dispatch", acks_late=True)
def dispatch() -> dict[str, int]:
    """Beat runs this every PEERLOG_DISPATCH_SECONDS (15 s): write what the
    schedules make due, then hand due rows (including ones whose worker died
    mid-send) and the registered other work (export jobs) to the workers."""
    return dispatch_once()


def dispatch_once(now: dt.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    written = services.schedule_due(now)
    handed = 0
    leased = services.due_ids(now)
    for index, pk in enumerate(leased):
        try:
            send_notification.delay(pk)
        except Exception:  # the broker is down: everything left stays due
            logger.warning("Broker unavailable; %d mails wait", len(leased) - index)
            for waiting in leased[index:]:
                services.release(waiting, now)
            break
        handed += 1
    result = {"written": written, "handed": handed}
    for step in _dispatch_steps:
        result[step.name] = step.run(now=now)
    return result

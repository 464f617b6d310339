"""Writes to the outbox: rows, the schedule pass, leases for dispatch, retries,
preferences.

A row handed to a worker, or being sent, is leased to it (`lease_for`: 30 s
for safety alerts, renewed all through the SMTP send); a row whose lease ran
out (its worker died) is handed out again by the next dispatcher pass: at most
one duplicate (JOB-5). Rows hold ids, never narrative or participant details
(DP-5)."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.kinds import kind_list
from notifications.models import Notification, NotificationPreference

LEASE = dt.timedelta(minutes=10)  # reminders, digests: a dead worker's row waits


def lease_for(kind: str) -> dt.timedelta:
    """How long a row handed to a worker, or being sent, stays that worker's.
    While it lasts no one else takes the row; after it the next dispatcher pass
    hands it out again, so a worker that dies costs at most one duplicate.
    Safety alerts promise "within a minute": their lease is short (settings
    check it against the beat period). A worker renews it just before the SMTP
    send and keeps renewing it while the send lasts (`sending._lease_kept`), so a slow
    but live server never lets a second worker send the row too."""
    if kind == Notification.Kind.SAFETY_ALERT:
        return dt.timedelta(seconds=settings.PEERLOG_ALERT_LEASE_SECONDS)
    return LEASE


# --- writing rows
def outbox_row(
    *, kind: str, user, email: str, period: str, due: dt.datetime, payload: dict
) -> Notification:
    """An unsaved outbox row, due at `due` (ids only in `payload`, DP-5)."""
    return Notification(
        kind=kind,
        recipient=user,
        email=email,
        period=period,
        payload=payload,
        due_at=due,
        next_attempt_at=due,
    )


def outbox_write(rows: list[Notification]) -> None:
    """Write `rows`, each once per (address, kind, period): a row already
    written is kept as it is. Call inside the transaction of what causes the
    mail (JOB-1), so the mail exists exactly when its cause does."""
    Notification.objects.bulk_create(rows, ignore_conflicts=True)


@transaction.atomic
def schedule_due(now: dt.datetime | None = None) -> int:
    """Write the scheduled rows (reminders, digests: each registered kind's
    `rows_due`) that are due by `now` (idempotent). Returns how many rows this
    call inserted: a second dispatcher racing this one, or a second pass,
    reports 0 for rows the first wrote."""
    now = now or timezone.now()
    rows = [row for kind in kind_list() if kind.rows_due for row in kind.rows_due(now)]
    if not rows:
        return 0
    # Most passes find everything already written: skip those rows up front
    # rather than asking the database to ignore thousands of conflicts.
    existing = set(
        Notification.objects.filter(
            kind__in={row.kind for row in rows}, period__in={row.period for row in rows}
        ).values_list("email", "kind", "period")
    )
    new = [row for row in rows if (row.email, row.kind, row.period) not in existing]
    # One insert each (only rows that just became due get here): the unique
    # constraint refuses a row a racing dispatcher wrote after the read above,
    # and a refused row is not counted.
    written = 0
    for row in new:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        written += 1
    return written


# --- handing rows to workers
def due_ids(now: dt.datetime, *, limit: int = 500) -> list[int]:
    """Lease due rows for dispatch, each for its kind's `lease_for`. Due: a
    pending row whose time has come (first send, retry, or a hand-off no worker
    claimed in time), and a "sending" row whose lease ran out because its
    worker died mid-send (sent again: at most one duplicate)."""
    due = Q(
        status__in=[Notification.Status.PENDING, Notification.Status.SENDING],
        next_attempt_at__lte=now,
    )
    rows = list(
        Notification.objects.filter(due)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "kind")[:limit]
    )
    leased = []
    for pk, kind in rows:
        # Conditional: a row another dispatcher leased meanwhile is skipped.
        if Notification.objects.filter(due, pk=pk).update(
            status=Notification.Status.PENDING, next_attempt_at=now + lease_for(kind)
        ):
            leased.append(pk)
    return leased


def release(pk: int, now: dt.datetime) -> None:
    """The broker refused the row: make it due again for the next pass."""
    Notification.objects.filter(pk=pk, status=Notification.Status.PENDING).update(
        next_attempt_at=now
    )


# --- retries
def retry_due_at(pk: int) -> dt.datetime | None:
    """When a row waiting for a retry is due (None when it is not waiting)."""
    return (
        Notification.objects.filter(
            pk=pk, status=Notification.Status.PENDING, attempts__gt=0
        )
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def retry_failed(pk: int, now: dt.datetime | None = None) -> bool:
    """An admin asks to try a failed mail again."""
    now = now or timezone.now()
    return bool(
        Notification.objects.filter(pk=pk, status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
        )
    )


# --- preferences
def preference_for(user) -> NotificationPreference:
    """`user`'s mail preferences, created with the defaults on first use."""
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference

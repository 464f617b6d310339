"""The weekly rhythm: scheduling, writing and sending mail through the outbox.

- Due times come from each site's schedule in its own time zone (zoneinfo), so
  DST and time zones are right; the period key (ISO week or date) makes each
  mail unique per recipient, so a pass that runs twice writes nothing new.
- A Notification row is claimed with a conditional UPDATE before sending and its
  outcome recorded on it. Transient SMTP errors retry with backoff; permanent
  ones mark it failed (shown in the admin). A row handed to a worker, or being
  sent, is leased to it (`lease_for`: 30 s for safety alerts, renewed all
  through the SMTP send); a row whose lease ran out (its worker died) is handed
  out again by the next dispatcher pass: at most one duplicate (JOB-5).
- Mail never carries narrative or participant details (DP-5): figures and links."""

import contextlib
import datetime as dt
import logging
import smtplib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.roles import Role
from core.timeutils import iso_week_bounds, iso_week_label
from logs_app.digest import digest_get
from logs_app.models import (
    InteractionLog,
    LogComment,
    Notification,
    NotificationPreference,
)
from mentors.models import Assignment, Mentor
from participants.models import Site

logger = logging.getLogger(__name__)

LOOKBACK = dt.timedelta(days=2)  # catch up after downtime, never send stale weeks
LEASE = dt.timedelta(minutes=10)  # reminders, digests: a dead worker's row waits
MAX_ATTEMPTS = 6
OPTIONAL_KINDS = {Notification.Kind.DIGEST}


def lease_for(kind: str) -> dt.timedelta:
    """How long a row handed to a worker, or being sent, stays that worker's.
    While it lasts no one else takes the row; after it the next dispatcher pass
    hands it out again, so a worker that dies costs at most one duplicate.
    Safety alerts promise "within a minute": their lease is short (settings
    check it against the beat period). A worker renews it just before the SMTP
    send and keeps renewing it while the send lasts (`_lease_kept`), so a slow
    but live server never lets a second worker send the row too."""
    if kind == Notification.Kind.SAFETY_ALERT:
        return dt.timedelta(seconds=settings.PEERLOG_ALERT_LEASE_SECONDS)
    return LEASE


def _clock(now: dt.datetime) -> Callable[[], dt.datetime]:
    """A clock that reads `now` at first (the real time, or a caller's fixed
    instant) and moves on with real time from there."""
    offset = now - timezone.now()
    return lambda: timezone.now() + offset


# --- when
def last_due(now: dt.datetime, tz: dt.tzinfo, weekday: int, at: dt.time) -> dt.datetime:
    """The latest local `weekday` at `at` (in `tz`) that is not after `now`.

    Wall-clock times are kept across DST: a Friday 15:00 reminder is 15:00 local
    every week. A time that does not exist on a spring-forward day resolves to
    the same instant as the time an hour later (zoneinfo's fold=0 rule)."""
    local_today = now.astimezone(tz).date()
    back = (local_today.weekday() - weekday) % 7
    for days in (back, back + 7):
        day = local_today - dt.timedelta(days=days)
        due = dt.datetime.combine(day, at, tzinfo=tz)
        if due <= now:
            return due
    raise AssertionError("unreachable")  # back + 7 days is always in the past


def last_daily_due(now: dt.datetime, tz: dt.tzinfo, at: dt.time) -> dt.datetime:
    local_today = now.astimezone(tz).date()
    due = dt.datetime.combine(local_today, at, tzinfo=tz)
    return (
        due
        if due <= now
        else dt.datetime.combine(local_today - dt.timedelta(days=1), at, tzinfo=tz)
    )


def home_site(sites: list[Site]) -> Site | None:
    """A person's schedule follows their first site (by id)."""
    return min(sites, key=lambda site: site.pk) if sites else None


# --- writing rows
def _row(*, kind: str, user, email: str, period: str, due: dt.datetime, payload: dict):
    return Notification(
        kind=kind,
        recipient=user,
        email=email,
        period=period,
        payload=payload,
        due_at=due,
        next_attempt_at=due,
    )


@transaction.atomic
def schedule_due(now: dt.datetime | None = None) -> int:
    """Write the reminder and digest rows that are due by `now` (idempotent).
    Returns how many rows this call inserted: a second dispatcher racing this
    one, or a second pass, reports 0 for rows the first wrote."""
    now = now or timezone.now()
    rows = _reminder_rows(now) + _digest_rows(now)
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


def _reminder_rows(now: dt.datetime) -> list[Notification]:
    rows = []
    mentors = (
        Mentor.objects.filter(is_active=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .prefetch_related("sites")
    )
    for mentor in mentors:
        site = home_site(list(mentor.sites.all()))
        if site is None:
            continue
        due = last_due(now, site.tzinfo, site.reminder_weekday, site.reminder_time)
        if now - due > LOOKBACK:
            continue
        week = iso_week_label(due.astimezone(site.tzinfo).date())
        rows.append(
            _row(
                kind=Notification.Kind.REMINDER,
                user=mentor.user,
                email=mentor.user.email,
                period=week,
                due=due,
                payload={"week": week, "site": site.pk},
            )
        )
    return rows


def digest_recipients():
    """Who receives a digest, for every path that writes or sends one (the
    schedule, `send_digests`, the send itself): active people with an address
    who supervise or lead a site and have not turned the digest off. Each
    carries `digest_frequency` (weekly when they never chose)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(groups__name=Role.SUPERVISOR.value) | Q(led_sites__isnull=False))
        .exclude(mail_preference__digest=NotificationPreference.DigestFrequency.OFF)
        .annotate(
            digest_frequency=Coalesce(
                F("mail_preference__digest"),
                Value(NotificationPreference.DigestFrequency.WEEKLY),
            )
        )
        .distinct()
    )


def _digest_rows(now: dt.datetime) -> list[Notification]:
    """Supervisors (and site leads, for escalations) get a digest at their home
    site's digest time: weekly about the past ISO week, or daily about the
    past day, as they chose."""
    users = digest_recipients().prefetch_related("site_access__site", "led_sites")
    rows = []
    for user in users:
        frequency = user.digest_frequency
        sites = [grant.site for grant in user.site_access.all()] + list(
            user.led_sites.all()
        )
        site = home_site(sites)
        if site is None:
            continue
        tz = site.tzinfo
        if frequency == NotificationPreference.DigestFrequency.DAILY:
            due = last_daily_due(now, tz, site.digest_time)
            day = due.astimezone(tz).date() - dt.timedelta(days=1)
            period, start, end = day.isoformat(), day, day
        else:
            due = last_due(now, tz, site.digest_weekday, site.digest_time)
            start, end = iso_week_bounds(
                due.astimezone(tz).date() - dt.timedelta(days=7)
            )
            period = iso_week_label(start)
        if now - due > LOOKBACK:
            continue
        rows.append(
            _row(
                kind=Notification.Kind.DIGEST,
                user=user,
                email=user.email,
                period=period,
                due=due,
                payload={"start": start.isoformat(), "end": end.isoformat()},
            )
        )
    return rows


def safety_alert_write(*, log: InteractionLog, now: dt.datetime) -> list[Notification]:
    """Alert rows for a log submitted with a safety concern: the mentor's
    supervisor and the site's backup contact. Call inside the transaction that
    files the log; once per log and address."""
    targets = []
    supervisor = log.mentor.supervisor
    if supervisor is not None and supervisor.email:
        targets.append((supervisor, supervisor.email))
    backup = log.participant.site.safety_backup_email if log.participant_id else ""
    if backup and backup not in {email for _user, email in targets}:
        targets.append((None, backup))
    rows = [
        _row(
            kind=Notification.Kind.SAFETY_ALERT,
            user=user,
            email=email,
            period=f"log:{log.pk}",
            due=now,
            payload={"log_id": log.pk},
        )
        for user, email in targets
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if not targets:
        logger.warning("Safety concern on log %s has no one to alert", log.pk)
    return rows


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


# --- sending
@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class NothingToSay(Exception):
    """The mail would be empty (a reminder with nothing pending)."""


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
        headers=_headers(notification),
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
    """Asked again at send time: someone who turned the digest off (or lost
    the role) after the row was written gets nothing."""
    if notification.kind != Notification.Kind.DIGEST:
        return True
    return digest_recipients().filter(pk=notification.recipient_id).exists()


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


def retry_due_at(pk: int) -> dt.datetime | None:
    """When a row waiting for a retry is due (None when it is not waiting)."""
    return (
        Notification.objects.filter(
            pk=pk, status=Notification.Status.PENDING, attempts__gt=0
        )
        .values_list("next_attempt_at", flat=True)
        .first()
    )


def _headers(notification: Notification) -> dict[str, str]:
    headers = {"Auto-Submitted": "auto-generated"}
    if notification.kind in OPTIONAL_KINDS and notification.recipient_id:
        url = site_url() + reverse(
            "unsubscribe",
            args=[preference_for(notification.recipient).unsubscribe_token],
        )
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def site_url() -> str:
    return settings.PEERLOG_SITE_URL.rstrip("/")


def preference_for(user) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.get_or_create(user=user)
    return preference


# --- what each mail says
def render(notification: Notification, *, now: dt.datetime) -> Rendered:
    context: dict[str, Any] = {
        "notification": notification,
        "user": notification.recipient,
        "payload": notification.payload,
        "site_url": site_url(),
    }
    builder = {
        Notification.Kind.REMINDER: _reminder_context,
        Notification.Kind.DIGEST: _digest_context,
        Notification.Kind.SAFETY_ALERT: _safety_context,
    }.get(notification.kind)
    if builder is not None:
        context.update(builder(notification, now))
    name = f"emails/{notification.kind}"
    return Rendered(
        subject=" ".join(render_to_string(f"{name}_subject.txt", context).split()),
        text=render_to_string(f"{name}_body.txt", context),
        html=render_to_string(f"{name}_body.html", context),
    )


def _reminder_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    """Drafts not submitted, active assignments with no log this week, feedback
    waiting. Nothing to say → no mail."""
    mentor = Mentor.objects.prefetch_related("sites").get(user=notification.recipient)
    site = Site.objects.get(pk=notification.payload["site"])
    today = now.astimezone(site.tzinfo).date()
    monday, sunday = iso_week_bounds(today)
    drafts = InteractionLog.objects.filter(
        mentor=mentor, status=InteractionLog.Status.DRAFT, is_voided=False
    ).count()
    logged = InteractionLog.objects.filter(
        mentor=mentor, contact_date__range=(monday, sunday), is_voided=False
    ).values("participant")
    not_logged = (
        Assignment.objects.filter(mentor=mentor)
        .active_on(today)
        .exclude(participant__in=logged)
        .values("participant")
        .distinct()
        .count()
    )
    feedback = (
        LogComment.objects.filter(
            log__mentor=mentor,
            kind__in=LogComment.FROM_SUPERVISOR,
            acknowledged_at__isnull=True,
        )
        .values("log")
        .distinct()
        .count()
    )
    if not (drafts or not_logged or feedback):
        raise NothingToSay
    return {"drafts": drafts, "not_logged": not_logged, "feedback": feedback}


def _digest_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    start = dt.date.fromisoformat(notification.payload["start"])
    end = dt.date.fromisoformat(notification.payload["end"])
    digest = digest_get(user=notification.recipient, start=start, end=end, now=now)
    if digest.is_empty:
        raise NothingToSay
    preference = preference_for(notification.recipient)
    return {
        "digest": digest,
        "week_label": iso_week_label(start),
        "is_daily": start == end,
        "unsubscribe_url": site_url()
        + reverse("unsubscribe", args=[preference.unsubscribe_token]),
    }


def _safety_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    log = InteractionLog.objects.select_related(
        "mentor__user", "participant__site"
    ).get(pk=notification.payload["log_id"])
    return {"log": log, "log_url": site_url() + reverse("log_review", args=[log.pk])}


def retry_failed(pk: int, now: dt.datetime | None = None) -> bool:
    """An admin asks to try a failed mail again."""
    now = now or timezone.now()
    return bool(
        Notification.objects.filter(pk=pk, status=Notification.Status.FAILED).update(
            status=Notification.Status.PENDING, attempts=0, next_attempt_at=now
        )
    )


@transaction.atomic
def digests_write_for_week(
    *, week: tuple[dt.date, dt.date], now: dt.datetime
) -> list[int]:
    """Digest rows about `week`, due now, for everyone `digest_recipients`
    names (send_digests). Existing rows for that week are kept as they are:
    safe to run twice. Returns the ids of that week's rows for them."""
    period = iso_week_label(week[0])
    users = list(digest_recipients())
    rows = [
        _row(
            kind=Notification.Kind.DIGEST,
            user=user,
            email=user.email,
            period=period,
            due=now,
            payload={"start": week[0].isoformat(), "end": week[1].isoformat()},
        )
        for user in users
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Notification.objects.filter(
            kind=Notification.Kind.DIGEST, period=period, recipient__in=users
        ).values_list("pk", flat=True)
    )

"""logs_app's mail through the notifications outbox: who is due for a
reminder or a digest, the safety alert rows, and what each mail says.

`kinds_register` gives these to notifications (`notifications.kinds`) from
LogsAppConfig.ready(): the outbox below knows rows, not interaction logs
(issue 12). Mail never carries narrative or participant details (DP-5):
figures and links."""

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.urls import reverse

from core.timeutils import iso_week_bounds, iso_week_label
from logs_app.digest import digest_get
from logs_app.models import InteractionLog, LogComment
from mentors.models import Assignment, Mentor
from notifications.kinds import Kind, NothingToSay, kind_register
from notifications.models import Notification, NotificationPreference
from notifications.rendering import site_url, unsubscribe_url
from notifications.schedules import LOOKBACK, last_daily_due, last_due
from notifications.selectors import digest_recipients
from notifications.services import outbox_row, outbox_write
from participants.models import Site, home_site

logger = logging.getLogger(__name__)


# --- who is due
def reminder_rows_due(now: dt.datetime) -> list[Notification]:
    """Each active mentor's weekly reminder, due at their home site's reminder
    time (local), about that ISO week."""
    rows = []
    mentors = (
        Mentor.objects.filter(is_active=True, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .prefetch_related("sites")
    )
    for mentor in mentors:
        site = home_site(mentor.sites.all())
        if site is None:
            continue
        due = last_due(now, site.tzinfo, site.reminder_weekday, site.reminder_time)
        if now - due > LOOKBACK:
            continue
        week = iso_week_label(due.astimezone(site.tzinfo).date())
        rows.append(
            outbox_row(
                kind=Notification.Kind.REMINDER,
                user=mentor.user,
                email=mentor.user.email,
                period=week,
                due=due,
                payload={"week": week, "site": site.pk},
            )
        )
    return rows


def digest_rows_due(now: dt.datetime) -> list[Notification]:
    """Supervisors (and site leads, for escalations) get a digest at their home
    site's digest time: weekly about the past ISO week, or daily about the
    past day, as they chose."""
    users = digest_recipients().prefetch_related("site_access__site", "led_sites")
    rows = []
    for user in users:
        sites = [grant.site for grant in user.site_access.all()] + list(
            user.led_sites.all()
        )
        site = home_site(sites)
        if site is None:
            continue
        tz = site.tzinfo
        if user.digest_frequency == NotificationPreference.DigestFrequency.DAILY:
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
            outbox_row(
                kind=Notification.Kind.DIGEST,
                user=user,
                email=user.email,
                period=period,
                due=due,
                payload={"start": start.isoformat(), "end": end.isoformat()},
            )
        )
    return rows


def _digest_still_wanted(notification: Notification) -> bool:
    return digest_recipients().filter(pk=notification.recipient_id).exists()


# --- rows written by an event or a command
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
        outbox_row(
            kind=Notification.Kind.SAFETY_ALERT,
            user=user,
            email=email,
            period=f"log:{log.pk}",
            due=now,
            payload={"log_id": log.pk},
        )
        for user, email in targets
    ]
    outbox_write(rows)
    if not targets:
        logger.warning("Safety concern on log %s has no one to alert", log.pk)
    return rows


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
        outbox_row(
            kind=Notification.Kind.DIGEST,
            user=user,
            email=user.email,
            period=period,
            due=now,
            payload={"start": week[0].isoformat(), "end": week[1].isoformat()},
        )
        for user in users
    ]
    outbox_write(rows)
    return list(
        Notification.objects.filter(
            kind=Notification.Kind.DIGEST, period=period, recipient__in=users
        ).values_list("pk", flat=True)
    )


# --- what each mail says
def reminder_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
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


def digest_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    start = dt.date.fromisoformat(notification.payload["start"])
    end = dt.date.fromisoformat(notification.payload["end"])
    digest = digest_get(user=notification.recipient, start=start, end=end, now=now)
    if digest.is_empty:
        raise NothingToSay
    return {
        "digest": digest,
        "week_label": iso_week_label(start),
        "is_daily": start == end,
        "unsubscribe_url": unsubscribe_url(notification.recipient),
    }


def safety_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    log = InteractionLog.objects.select_related(
        "mentor__user", "participant__site"
    ).get(pk=notification.payload["log_id"])
    return {"log": log, "log_url": site_url() + reverse("log_review", args=[log.pk])}


def kinds_register() -> None:
    """Tell the outbox about logs_app's mail (LogsAppConfig.ready()). The
    reminder comes first: a dispatcher pass writes reminders, then digests."""
    kind_register(
        Kind(Notification.Kind.REMINDER, reminder_context, rows_due=reminder_rows_due)
    )
    kind_register(
        Kind(
            Notification.Kind.DIGEST,
            digest_context,
            rows_due=digest_rows_due,
            is_still_wanted=_digest_still_wanted,
            is_optional=True,
        )
    )
    kind_register(Kind(Notification.Kind.SAFETY_ALERT, safety_context))

"""The weekly rhythm: when mail is due (DST, time zones), the outbox (once per
recipient, kind and period), retries, failures, preferences, and what mail
says (never narrative or participant details, DP-5)."""

import datetime as dt
import io
import threading
import time
import uuid
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from logs_app.models import InteractionLog
from notifications import schedules, sending, services
from notifications.models import Notification, NotificationPreference
from notifications.tasks import dispatch_once, send_notification
from participants.models import Cohort
from tests.factories import InteractionLogFactory, log_values, save_log
from tests.smtp import smtp_server, text_of

NY = zoneinfo.ZoneInfo("America/New_York")
SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")
FRIDAY, MONDAY, SUNDAY = 4, 0, 6


@pytest.fixture
def emails(supervisor, mentor):
    supervisor.email = "sam@example.org"
    supervisor.save()
    mentor.user.email = "maya@example.org"
    mentor.user.save()


def walk(start: dt.datetime, end: dt.datetime, step=dt.timedelta(minutes=20)):
    """Dispatcher passes every `step` from `start` to `end` (UTC)."""
    now = start
    while now <= end:
        yield now
        now += step


# --- when: DST and time zones (TIME-2)
@pytest.mark.parametrize(
    ("tz", "weekday", "at", "start", "days"),
    [
        # US spring forward on Sunday 8 March 2026, fall back Sunday 1 November.
        (NY, FRIDAY, dt.time(15, 0), dt.datetime(2026, 3, 2, tzinfo=dt.UTC), 21),
        (NY, FRIDAY, dt.time(15, 0), dt.datetime(2026, 10, 26, tzinfo=dt.UTC), 21),
        # On the change day: 02:30 does not exist in March; 01:30 happens twice
        # in November.
        (NY, SUNDAY, dt.time(2, 30), dt.datetime(2026, 3, 2, tzinfo=dt.UTC), 14),
        (NY, SUNDAY, dt.time(1, 30), dt.datetime(2026, 10, 26, tzinfo=dt.UTC), 14),
        # Sydney: DST ends 5 April 2026, starts 4 October 2026.
        (SYDNEY, MONDAY, dt.time(8, 0), dt.datetime(2026, 3, 30, tzinfo=dt.UTC), 21),
        (SYDNEY, MONDAY, dt.time(8, 0), dt.datetime(2026, 9, 28, tzinfo=dt.UTC), 21),
    ],
)
def test_weekly_local_time_fires_once_a_week_at_that_local_time(
    tz, weekday, at, start, days
):
    fired: set[dt.datetime] = set()
    for now in walk(start, start + dt.timedelta(days=days)):
        due = schedules.last_due(now, tz, weekday, at)
        assert due <= now
        if now - due < dt.timedelta(minutes=20):  # first pass after it became due
            fired.add(due)
    weeks = {due.astimezone(tz).isocalendar()[:2] for due in fired}
    assert len(fired) == len(weeks)  # once per week
    assert len(fired) in (days // 7, days // 7 + 1)
    for due in fired:
        local = due.astimezone(tz)
        assert local.weekday() == weekday
        if (local.hour, local.minute) != (at.hour, at.minute):
            # Only a wall-clock time that does not exist (spring forward) moves.
            assert at == dt.time(2, 30) and local.date() == dt.date(2026, 3, 8)


def test_reminder_rows_are_written_once_across_a_dst_week(db, site, mentor, emails):
    site.time_zone = "America/New_York"
    site.save()
    start = dt.datetime(2026, 10, 26, tzinfo=dt.UTC)
    for now in walk(start, start + dt.timedelta(days=14), dt.timedelta(minutes=30)):
        services.schedule_due(now)
    rows = Notification.objects.filter(kind="reminder").order_by("due_at")
    assert [r.period for r in rows] == ["2026-W44", "2026-W45"]
    # Friday 15:00 in New York: 19:00 UTC before the change, 20:00 after.
    assert [r.due_at for r in rows] == [
        dt.datetime(2026, 10, 30, 19, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 6, 20, 0, tzinfo=dt.UTC),
    ]


def test_a_long_outage_does_not_send_stale_weeks(db, site, mentor, emails):
    # Friday's reminder is due; the dispatcher first runs five days later.
    services.schedule_due(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC))
    assert not Notification.objects.filter(kind="reminder").exists()


# --- the outbox: once, and only when there is something to say
def test_reminder_run_twice_sends_one_mail(mentor, participant, emails, settings):
    friday = dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)  # 15:30 in New York
    for _ in range(2):
        dispatch_once(friday)
        for pk in Notification.objects.values_list("pk", flat=True):
            send_notification(pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["maya@example.org"]
    assert "1 person you mentor has no log yet this week" in message.body
    assert "NYC-0001" not in message.body and "Jay" not in message.body


def test_reminder_with_nothing_to_say_sends_nothing(mentor, participant, emails):
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 18)
    )
    friday = dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)
    services.schedule_due(friday)
    row = Notification.objects.get(kind="reminder")
    assert sending.notification_send(row.pk, friday) == "skipped"
    assert mail.outbox == []


def test_digest_reports_the_week_without_participant_details(
    supervisor, mentor, participant, emails
):
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 17),
        duration_minutes=90,
        narrative="Secret narrative about the kitchen table.",
        concern="A private worry",
    )
    monday = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)  # 08:30 in New York
    dispatch_once(monday)
    row = Notification.objects.get(kind="digest")
    assert row.period == "2026-W47"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    body = message.body + message.alternatives[0][0]
    assert "1 met, 0 tried, 1.5 h, saw 1 of 1" in message.body
    assert "1 concern" in message.body
    for secret in ("Secret narrative", "A private worry", "NYC-0001", "Jay"):
        assert secret not in body
    assert (
        message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )


def test_digest_preferences_off_and_daily(supervisor, mentor, participant, emails):
    preference = services.preference_for(supervisor)
    preference.digest = NotificationPreference.DigestFrequency.OFF
    preference.save()
    monday = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
    services.schedule_due(monday)
    assert not Notification.objects.filter(kind="digest").exists()

    preference.digest = NotificationPreference.DigestFrequency.DAILY
    preference.save()
    services.schedule_due(monday)
    assert Notification.objects.get(kind="digest").period == "2026-11-22"


def test_unsubscribe_link_asks_then_stops_the_digest(client, supervisor):
    token = services.preference_for(supervisor).unsubscribe_token
    url = reverse("unsubscribe", args=[token])
    assert client.get(url).status_code == 200  # a link scanner changes nothing
    assert NotificationPreference.objects.get(user=supervisor).digest == "weekly"
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=supervisor).digest == "off"
    assert client.get(reverse("unsubscribe", args=[uuid.uuid4()])).status_code == 404


def test_mail_preferences_page_saves_the_choice(as_user, supervisor):
    client = as_user(supervisor)
    assert client.get(reverse("mail_preferences")).status_code == 200
    client.post(reverse("mail_preferences"), {"digest": "daily"})
    assert NotificationPreference.objects.get(user=supervisor).digest == "daily"


def test_escalation_goes_to_the_site_lead(
    supervisor, mentor, participant, emails, site
):
    site.lead = supervisor
    site.escalation_days = 3
    site.save()
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        submitted_at=dt.datetime(2026, 11, 10, tzinfo=dt.UTC),
    )
    monday = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
    dispatch_once(monday)
    assert (
        "New York: 1 log has waited more than 3 days for review." in mail.outbox[0].body
    )


# --- safety alerts
def safety_values(participant, **extra) -> dict:
    worry = "They said something that worried me a lot today."
    return log_values(participant, narrative=worry, safety_concern=True) | extra


def test_safety_alert_goes_to_supervisor_and_backup_once(
    mentor, participant, supervisor, emails, site, django_capture_on_commit_callbacks
):
    site.safety_backup_email = "oncall@example.org"
    site.save()
    key = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        result = save_log(mentor, safety_values(participant), submit=True, key=key)
    assert sorted(m.to[0] for m in mail.outbox) == [
        "oncall@example.org",
        "sam@example.org",
    ]
    body = mail.outbox[0].body
    assert "worried me" not in body and "NYC-0001" not in body
    assert reverse("log_review", args=[result.log.pk]) in body
    # Editing the filed log again does not alert again.
    with django_capture_on_commit_callbacks(execute=True):
        save_log(
            mentor,
            safety_values(participant, duration_minutes=40),
            submit=True,
            log=result.log,
            key=key,
        )
    dispatch_once()
    assert len(mail.outbox) == 2


def test_with_the_broker_down_the_log_is_filed_and_the_alert_waits(
    mentor, participant, emails, settings, monkeypatch, frozen_now
):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a real broker, which is down
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError(
            "Error 111 connecting to redis:6379. Connection refused."
        )

    monkeypatch.setattr(send_notification, "delay", broker_down)
    result = save_log(mentor, safety_values(participant), submit=True)
    assert result.log.status == InteractionLog.Status.SUBMITTED
    now = timezone.now()
    assert dispatch_once(now)["handed"] == 0
    row = Notification.objects.get(kind="safety_alert")
    assert row.status == "pending" and row.next_attempt_at <= now  # still due

    sent = []
    monkeypatch.setattr(send_notification, "delay", lambda pk: sent.append(pk))  # back
    assert dispatch_once(now + dt.timedelta(seconds=30))["handed"] == 1
    assert sent == [row.pk]


# --- SMTP trouble (a real SMTP server on loopback)
@pytest.fixture
def smtp_settings(settings):
    def use(port: int) -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_TIMEOUT = 5

    return use


def alert_row(user) -> Notification:
    now = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)
    return Notification.objects.create(
        kind="safety_alert",
        recipient=user,
        email="sam@example.org",
        period="log:1",
        payload={"log_id": InteractionLogFactory().pk},
        due_at=now,
        next_attempt_at=now,
    )


def test_smtp_refusing_is_retried_with_backoff_then_sent_once(
    supervisor, smtp_settings
):
    """JOB-4/JOB-5: transient SMTP errors back off and end in one mail."""
    with smtp_server(answers=["451 4.3.0 Try again later", "421 4.7.0 Busy"]) as (
        inbox,
        port,
    ):
        smtp_settings(port)
        row = alert_row(supervisor)
        now = row.due_at
        assert sending.notification_send(row.pk, now) == "pending"
        row.refresh_from_db()
        assert row.next_attempt_at == now + dt.timedelta(minutes=1)
        assert "451" in row.last_error
        assert dispatch_once(now)["handed"] == 0  # not due yet: backing off
        assert (
            sending.notification_send(row.pk, now + dt.timedelta(minutes=1))
            == "pending"
        )
        row.refresh_from_db()
        assert row.next_attempt_at == now + dt.timedelta(minutes=3)
        assert (
            sending.notification_send(row.pk, now + dt.timedelta(minutes=3)) == "sent"
        )
        assert (
            sending.notification_send(row.pk, now + dt.timedelta(minutes=4)) == "sent"
        )
    assert inbox.attempts == 3
    assert len(inbox.messages) == 1
    assert "safety concern" in text_of(inbox.messages[0])


def test_smtp_permanent_failure_is_marked_and_shown_to_admins(
    supervisor, admin_user, as_user, smtp_settings
):
    with smtp_server(answers=["550 5.1.1 No such user"]) as (inbox, port):
        smtp_settings(port)
        row = alert_row(supervisor)
        assert sending.notification_send(row.pk, row.due_at) == "failed"
    row.refresh_from_db()
    assert "550" in row.last_error
    page = as_user(admin_user).get(
        "/admin/notifications/notification/?status__exact=failed"
    )
    assert page.status_code == 200
    assert "sam@example.org" in page.content.decode()
    assert services.retry_failed(row.pk)
    assert Notification.objects.get(pk=row.pk).status == "pending"


def test_smtp_server_down_is_retried(supervisor, smtp_settings):
    from tests.smtp import free_port

    smtp_settings(free_port())  # nothing listens there
    row = alert_row(supervisor)
    assert sending.notification_send(row.pk, row.due_at) == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and "Connection" in row.last_error


def test_gives_up_after_max_attempts(supervisor, smtp_settings):
    from tests.smtp import free_port

    smtp_settings(free_port())
    row = alert_row(supervisor)
    now = row.due_at
    statuses = []
    for _ in range(sending.MAX_ATTEMPTS):
        statuses.append(sending.notification_send(row.pk, now))
        now += dt.timedelta(hours=2)
    assert statuses[-1] == "failed"
    assert set(statuses[:-1]) == {"pending"}


def test_worker_killed_mid_send_gives_at_most_one_duplicate(supervisor, emails):
    """JOB-5: a row a dead worker left "sending" is sent again once, later."""
    row = alert_row(supervisor)
    now = row.due_at
    # A worker claimed it (for the alert lease), and died before recording anything.
    Notification.objects.filter(pk=row.pk).update(
        status="sending",
        claimed_at=now,
        attempts=1,
        next_attempt_at=now + services.lease_for(row.kind),
    )
    assert (
        dispatch_once(now + dt.timedelta(seconds=20))["handed"] == 0
    )  # still its lease
    assert dispatch_once(now + dt.timedelta(seconds=45))["handed"] == 1  # eager: sent
    assert dispatch_once(now + dt.timedelta(minutes=30))["handed"] == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=row.pk).status == "sent"


# --- commands
def test_send_digests_twice_sends_once(supervisor, mentor, participant, emails, capsys):
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 17)
    )
    call_command("send_digests", "--week", "2026-W47")
    call_command("send_digests", "--week", "2026-W47")
    assert len(mail.outbox) == 1
    assert "Digests for 2026-W47: 1 sent" in capsys.readouterr().out


def test_preview_digest_prints_and_sends_nothing(
    supervisor, mentor, participant, emails, capsys
):
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 17)
    )
    call_command("preview_digest", "supervisor", "--week", "2026-W47")
    out = capsys.readouterr().out
    assert "Subject: Peerlog: your team's week 2026-W47" in out
    assert "1 met" in out
    assert mail.outbox == [] and not Notification.objects.exists()


def test_dispatch_command_runs_one_pass(db, capsys):
    call_command("dispatch_notifications")
    assert "written: 0" in capsys.readouterr().out


def test_digest_queries_do_not_grow_with_logs(
    supervisor, mentor, participant, site, django_assert_num_queries
):
    from logs_app.digest import digest_get

    site.lead = supervisor
    site.save()
    # Weekly from 1 Nov, 3 days either side: the contacts of the 17th deliver
    # the third; the first two are missed, the fourth (due the 22nd) overdue.
    participant.cohort = Cohort.objects.create(
        site=site, name="Fall", start_date=dt.date(2026, 11, 1),
        planned_contacts=8, contact_every_days=7, window_days=3,
    )  # fmt: skip
    participant.enrolled_on = dt.date(2026, 11, 1)
    participant.save()
    now = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
    for rows in (3, 30):
        InteractionLogFactory.create_batch(
            rows,
            mentor=mentor,
            participant=participant,
            contact_date=dt.date(2026, 11, 17),
        )
        supervisor.__dict__.pop("_peerlog_roles", None)  # as for a fresh worker
        # roles; mentors + their sites; led sites + escalations; follow-up
        # item counts; team figures + assigned; engagement gaps; role-mix
        # rows + role functions; planned contacts: current assignments, met
        # contacts, pauses (issue 17)
        with django_assert_num_queries(14):
            digest = digest_get(
                user=supervisor,
                start=dt.date(2026, 11, 16),
                end=dt.date(2026, 11, 22),
                now=now,
            )
        assert digest.totals.met == (3 if rows == 3 else 33)
        assert (digest.contacts_overdue, digest.contacts_missed) == (1, 2)


# --- Issue 11 regressions (findings 7, 16, 17)
def test_send_digests_skips_a_supervisor_whose_digest_is_off(
    supervisor, mentor, participant, site, emails, capsys
):
    """Issue 11 finding 7: with the digest preference Off, `send_digests --week`
    sent the supervisor a mail anyway; one selector now decides who gets one."""
    site.lead = supervisor  # a site lead too: leads also get digests
    site.escalation_days = 3
    site.save()
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 17)
    )
    preference = services.preference_for(supervisor)
    preference.digest = NotificationPreference.DigestFrequency.OFF
    preference.save()
    with time_machine.travel(dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)):
        call_command("send_digests", "--week", "2026-W47")
        # The beat path agrees: the digest time (Monday 08:00) has just passed.
        dispatch_once(dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC))
    assert mail.outbox == []
    assert not Notification.objects.filter(kind="digest").exists()
    assert "Digests for 2026-W47: none" in capsys.readouterr().out


def test_a_digest_written_before_opting_out_is_not_sent(
    supervisor, mentor, participant, emails
):
    """Issue 11 finding 7: turning the digest off stops one already waiting."""
    InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 17)
    )
    monday = dt.datetime(2026, 11, 23, 13, 30, tzinfo=dt.UTC)
    services.schedule_due(monday)
    row = Notification.objects.get(kind="digest")
    preference = services.preference_for(supervisor)
    preference.digest = NotificationPreference.DigestFrequency.OFF
    preference.save()
    assert sending.notification_send(row.pk, monday) == "skipped"
    assert mail.outbox == []


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing in the worker gets to record anything."""


@pytest.fixture
def smtp_send(monkeypatch):
    """Replace what the SMTP conversation does: `smtp_send(fn)` runs `fn()`
    in place of each send, then delivers to the test outbox."""
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages

    def use(during_send):
        def send_messages(self, messages):
            during_send()
            return original(self, messages)

        monkeypatch.setattr(EmailBackend, "send_messages", send_messages)

    return use


def kill_the_worker():
    raise WorkerKilled


THURSDAY = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)  # nothing scheduled due


def test_alert_of_a_worker_killed_mid_send_is_taken_over_after_its_lease(
    supervisor, emails, smtp_send, monkeypatch
):
    """Issue 11 finding 16 (JOB-5): an alert whose worker died mid-send stayed
    "sending" for 10 minutes. Its lease (renewed just before the SMTP send)
    runs out after the alert lease, and the next dispatcher pass takes it over:
    not before, and with one mail in the end."""
    lease = services.lease_for(Notification.Kind.SAFETY_ALERT)
    with time_machine.travel(THURSDAY, tick=False) as traveller:
        row = alert_row(supervisor)
        original_render = sending.render

        def slow_render(*args, **kwargs):  # rendering takes 20 s of the lease
            traveller.shift(dt.timedelta(seconds=20))
            return original_render(*args, **kwargs)

        monkeypatch.setattr(sending, "render", slow_render)
        smtp_send(kill_the_worker)
        with pytest.raises(WorkerKilled):
            send_notification(row.pk)
        assert Notification.objects.get(pk=row.pk).status == "sending"
        monkeypatch.undo()  # the next worker renders and sends normally

        traveller.shift(lease - dt.timedelta(seconds=1))  # renewed at +20 s
        assert dispatch_once()["handed"] == 0  # still the dead worker's lease
        traveller.shift(dt.timedelta(seconds=2))
        assert dispatch_once()["handed"] == 1  # taken over (eager: sent)
        assert dispatch_once()["handed"] == 0
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2


def test_alert_lease_is_under_a_minute_and_above_the_smtp_timeout(settings):
    """Issue 11 finding 16: "within a minute" holds when a worker dies: the
    alert lease outlasts the SMTP timeout, and lease plus one beat period (the
    sweeper) stays under a minute; reminders and digests keep a longer one."""
    alert = services.lease_for(Notification.Kind.SAFETY_ALERT)
    beat = settings.CELERY_BEAT_SCHEDULE["dispatch"]["schedule"]
    assert settings.EMAIL_TIMEOUT < alert.total_seconds() < 60
    assert alert.total_seconds() + beat < 60
    for kind in (Notification.Kind.REMINDER, Notification.Kind.DIGEST):
        assert services.lease_for(kind) >= dt.timedelta(minutes=5)


def test_a_reminder_left_sending_keeps_its_longer_lease(
    mentor, participant, emails, smtp_send
):
    """Issue 11 finding 16: leases are per kind; a reminder whose worker died
    waits for its own lease, not the alert's."""
    friday = dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)  # 15:30 in New York
    lease = services.lease_for(Notification.Kind.REMINDER)
    with time_machine.travel(friday, tick=False) as traveller:
        services.schedule_due(friday)
        row = Notification.objects.get(kind="reminder")
        smtp_send(kill_the_worker)
        with pytest.raises(WorkerKilled):
            sending.notification_send(row.pk)
        smtp_send(lambda: None)
        traveller.shift(dt.timedelta(seconds=31))
        assert dispatch_once()["handed"] == 0
        traveller.shift(lease)
        assert dispatch_once()["handed"] == 1
    assert len(mail.outbox) == 1


def test_an_alert_handed_to_a_lost_worker_is_handed_again_after_its_lease(
    supervisor, emails, monkeypatch
):
    """Issue 11 finding 16: a hand-off the worker never claimed (its message
    lost with the worker) is handed again after the alert lease, not 5 min."""
    handed = []
    monkeypatch.setattr(send_notification, "delay", handed.append)
    with time_machine.travel(THURSDAY, tick=False) as traveller:
        row = alert_row(supervisor)
        assert dispatch_once()["handed"] == 1
        traveller.shift(dt.timedelta(seconds=29))
        assert dispatch_once()["handed"] == 0
        traveller.shift(dt.timedelta(seconds=2))
        assert dispatch_once()["handed"] == 1
    assert handed == [row.pk, row.pk]


def test_sent_at_is_when_the_smtp_send_returned(supervisor, emails, smtp_send):
    """Issue 11 finding 17: `sent_at` recorded the claim, not the end of the
    SMTP send."""
    with time_machine.travel(THURSDAY, tick=False) as traveller:
        row = alert_row(supervisor)
        smtp_send(lambda: traveller.shift(dt.timedelta(seconds=8)))  # a slow server
        assert sending.notification_send(row.pk) == "sent"
    row.refresh_from_db()
    assert row.claimed_at == THURSDAY
    assert row.sent_at == THURSDAY + dt.timedelta(seconds=8)


def test_a_retry_is_queued_for_its_due_time_not_the_next_beat_tick(
    supervisor, emails, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue 11 finding 17: a retry due half a second after a beat tick waited
    for the next tick; the worker now queues it for its due time as well (the
    dispatcher still hands it over if that message is lost)."""
    import smtplib

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued = []
    monkeypatch.setattr(
        send_notification, "apply_async", lambda args, **kw: queued.append((args, kw))
    )

    def busy(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    from django.core.mail.backends.locmem import EmailBackend

    monkeypatch.setattr(EmailBackend, "send_messages", busy)
    with time_machine.travel(THURSDAY, tick=False):
        row = alert_row(supervisor)
        with django_capture_on_commit_callbacks(execute=True):
            assert send_notification(row.pk) == "pending"
    row.refresh_from_db()
    assert row.next_attempt_at == THURSDAY + dt.timedelta(minutes=1)
    assert queued == [((row.pk,), {"eta": row.next_attempt_at})]


FRIDAY_EVENING = dt.datetime(2026, 11, 20, 20, 30, tzinfo=dt.UTC)  # 15:30 New York


def dispatch_command() -> str:
    out = io.StringIO()
    call_command("dispatch_notifications", stdout=out)
    return out.getvalue()


def test_dispatch_command_counts_rows_written_once(
    mentor, participant, emails, settings, monkeypatch
):
    """Issue 11 finding 17: "written" counts rows inserted; a second run
    writes nothing and says so."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(send_notification, "delay", lambda pk: None)
    with time_machine.travel(FRIDAY_EVENING, tick=False):
        assert "written: 1," in dispatch_command()
        assert "written: 0," in dispatch_command()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatchers_count_each_row_once(
    mentor, other_mentor, participant, settings, monkeypatch
):
    """Issue 11 finding 17: two concurrent `dispatch_notifications` runs both
    printed "written: 2" when 2 rows existed. The second run here reads before
    the first commits, and its inserts wait for that commit (PostgreSQL)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent insert needs PostgreSQL")
    for number, user in enumerate([mentor.user, other_mentor.user]):
        user.email = f"mentor{number}@example.org"
        user.save()
    other_mentor.sites.set([mentor.sites.first()])
    settings.CELERY_TASK_ALWAYS_EAGER = False
    monkeypatch.setattr(send_notification, "delay", lambda pk: None)
    first_inserted, outputs = threading.Event(), {}

    def first_run() -> None:
        try:
            with transaction.atomic():
                outputs["first"] = dispatch_command()
                first_inserted.set()
                time.sleep(1)  # the second run reads and inserts meanwhile
        finally:
            first_inserted.set()
            connection.close()

    with time_machine.travel(FRIDAY_EVENING, tick=False):
        thread = threading.Thread(target=first_run)
        thread.start()
        assert first_inserted.wait(30)
        outputs["second"] = dispatch_command()
        thread.join(30)
    assert "written: 2," in outputs["first"]
    assert "written: 0," in outputs["second"]
    assert Notification.objects.filter(kind="reminder").count() == 2


# A heartbeat thread's timed wait must expire while the send sleeps; under
# faketime timed waits in threads do not (libfaketime shifts the monotonic
# clock they are measured against), so there it skips (tests/conftest.py).
@pytest.mark.real_time
@pytest.mark.django_db(transaction=True)
def test_a_slow_smtp_send_keeps_the_alert_leased(supervisor, emails, settings):
    """Issue 11 finding 16 (JOB-5): the alert lease was renewed once, just
    before the SMTP send; EMAIL_TIMEOUT bounds each socket step, not the whole
    conversation, so a slow but live server outlasted the lease and the next
    dispatcher pass handed the row to a second worker: a duplicate with no
    worker dead. The lease is now renewed while the send lasts."""
    from django.core.mail.backends.locmem import EmailBackend

    settings.PEERLOG_ALERT_LEASE_SECONDS = 1.5  # read by lease_for at call time
    row = alert_row(supervisor)
    original, sends, passes = EmailBackend.send_messages, [], []

    def slow_send(self, messages):
        sends.append(messages)
        if len(sends) == 1:  # the first worker's send; a second one is quick
            time.sleep(2.5)  # real time: longer than the whole lease
            passes.append(dispatch_once())  # eager: a hand-off sends right here
        return original(self, messages)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", slow_send)
        assert sending.notification_send(row.pk) == "sent"
    assert len(mail.outbox) == 1
    assert passes[0]["handed"] == 0  # the pass during the send left it alone
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1


def heartbeats() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("lease-")]


@pytest.mark.parametrize("ends", ["returns", "raises"])
def test_the_lease_heartbeat_ends_with_the_send(supervisor, emails, smtp_send, ends):
    """Issue 11 finding 16: the thread that renews the lease during the send
    is gone once the send returns, and once it raises."""
    during = []

    def send() -> None:
        during.append(heartbeats())
        if ends == "raises":
            kill_the_worker()

    smtp_send(send)
    row = alert_row(supervisor)
    if ends == "raises":
        with pytest.raises(WorkerKilled):
            sending.notification_send(row.pk)
    else:
        assert sending.notification_send(row.pk) == "sent"
    assert [thread.name for thread in during[0]] == [f"lease-{row.pk}"]
    assert heartbeats() == []

"""Escalation of overdue follow-up items (issue 14): to the site lead, exactly
once, through the outbox; figures and links only (DP-5)."""

import datetime as dt
import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction

from audit.models import AuditEvent
from notifications import services
from notifications.models import Notification
from notifications.tasks import dispatch_once
from supervision.escalation import _escalate_one, followups_escalate
from supervision.models import FollowUpItem
from tests.factories import InteractionLogFactory, UserFactory

UTC = dt.UTC
FILED = dt.datetime(2026, 11, 19, 20, 0, tzinfo=UTC)  # Thu 15:00 in New York
DUE = dt.datetime(2026, 11, 20, 4, 59, 59, tzinfo=UTC)  # 23:59:59 that day
NARRATIVE = "Sensitive words the mail must never carry."


@pytest.fixture
def lead(site):
    user = UserFactory(username="lead", first_name="Lee", email="lee@example.org")
    site.lead = user
    site.save()
    return user


@pytest.fixture
def item(mentor, participant, supervisor, site):
    log = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        safety_concern=True,
        narrative=NARRATIVE,
        reflection_concerns="A private question for the supervisor.",
    )
    return FollowUpItem.objects.create(
        log=log,
        kind="safety",
        mentor=mentor,
        site=site,
        owner=supervisor,
        opened_at=FILED,
        due_at=DUE,
    )


def rows():
    return Notification.objects.filter(kind="followup_overdue")


def test_an_overdue_item_mails_the_site_lead_once_across_dispatch_runs(item, lead):
    assert dispatch_once(DUE - dt.timedelta(minutes=1))["followups"] == 0
    assert dispatch_once(DUE + dt.timedelta(seconds=15))["followups"] == 1
    assert dispatch_once(DUE + dt.timedelta(seconds=30))["followups"] == 0  # sends
    assert dispatch_once(DUE + dt.timedelta(days=3))["followups"] == 0
    (row,) = rows()
    assert (row.recipient, row.email, row.period) == (
        lead,
        "lee@example.org",
        f"followup:{item.pk}",
    )
    assert row.status == "sent" and row.payload == {"item_id": item.pk}
    assert [m.to for m in mail.outbox] == [["lee@example.org"]]
    item.refresh_from_db()
    assert item.escalated_at == DUE + dt.timedelta(seconds=15)
    event = AuditEvent.objects.get(action="followup.escalate")
    assert event.object_id == str(item.pk)
    assert event.details["to"] == lead.pk and event.details["overdue_minutes"] == 0


def test_the_mail_has_figures_and_links_only(item, lead, participant, mentor):
    # In progress, with a note typed so far: it must not reach the mail.
    FollowUpItem.objects.filter(pk=item.pk).update(
        state="in_progress", resolution_note="Called her at home."
    )
    later = DUE + dt.timedelta(days=2, hours=3)
    followups_escalate(now=later)
    dispatch_once(later)
    (message,) = mail.outbox
    text = message.body + message.subject + message.alternatives[0][0]
    assert "New York" in text and "Safety flag" in text
    assert "2 days overdue" in message.body
    assert f"/followups/{item.pk}/" in message.body
    for private in (
        NARRATIVE,
        "private question",
        "Called her",
        participant.study_id,
        participant.preferred_name,
        mentor.user.username,
    ):
        assert private not in text


def test_an_item_not_yet_due_or_resolved_is_not_escalated(item, lead):
    assert followups_escalate(now=DUE) == 0  # due, not past due
    FollowUpItem.objects.filter(pk=item.pk).update(
        state="resolved", resolved_at=DUE, resolution_note="Done."
    )
    assert followups_escalate(now=DUE + dt.timedelta(hours=1)) == 0
    assert not rows().exists()


def test_an_item_resolved_before_the_mail_goes_out_is_not_mailed(item, lead):
    assert followups_escalate(now=DUE + dt.timedelta(hours=1)) == 1
    FollowUpItem.objects.filter(pk=item.pk).update(
        state="resolved", resolved_at=DUE, resolution_note="Done."
    )
    dispatch_once(DUE + dt.timedelta(hours=1, seconds=15))
    assert mail.outbox == [] and rows().get().status == "skipped"


def test_a_site_without_a_lead_escalates_once_a_lead_is_named(item, site):
    assert followups_escalate(now=DUE + dt.timedelta(hours=1)) == 0
    item.refresh_from_db()
    assert item.escalated_at is None
    site.lead = UserFactory(username="newlead", email="new@example.org")
    site.save()
    assert followups_escalate(now=DUE + dt.timedelta(hours=2)) == 1
    assert rows().get().email == "new@example.org"


def test_escalating_the_same_item_twice_writes_one_row(item, lead):
    now = DUE + dt.timedelta(hours=1)
    assert _escalate_one(item.pk, now=now) is True
    assert _escalate_one(item.pk, now=now) is False
    assert rows().count() == 1
    assert AuditEvent.objects.filter(action="followup.escalate").count() == 1


def test_a_worker_killed_mid_send_retries_without_a_second_row(item, lead):
    """JOB-5: the row a dead worker left "sending" is sent again after its
    lease; the item is not escalated again and no second row is written."""
    now = DUE + dt.timedelta(hours=1)
    assert followups_escalate(now=now) == 1
    row = rows().get()
    row_lease = services.lease_for(row.kind)
    Notification.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=now, attempts=1, next_attempt_at=now + row_lease
    )
    assert dispatch_once(now + dt.timedelta(minutes=1))["handed"] == 0  # its lease
    result = dispatch_once(now + row_lease + dt.timedelta(seconds=1))
    assert result == {**result, "handed": 1, "followups": 0}
    assert dispatch_once(now + dt.timedelta(hours=2))["handed"] == 0
    assert len(mail.outbox) == 1 and rows().count() == 1
    assert rows().get().status == "sent"
    assert AuditEvent.objects.filter(action="followup.escalate").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_dispatchers_escalate_once(item, lead):
    """The first dispatcher holds the item's lock until it commits; the second
    skips the locked row (and, after the commit, finds it escalated)."""
    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent lock needs PostgreSQL")
    now = DUE + dt.timedelta(hours=1)
    first_locked, counts = threading.Event(), {}

    def first() -> None:
        try:
            with transaction.atomic():
                counts["first"] = followups_escalate(now=now)
                first_locked.set()
                time.sleep(1)  # the second dispatcher runs meanwhile
        finally:
            first_locked.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_locked.wait(30)
    counts["second"] = followups_escalate(now=now)
    thread.join(30)
    assert followups_escalate(now=now + dt.timedelta(minutes=1)) == 0
    assert counts == {"first": 1, "second": 0}
    assert rows().count() == 1
    assert AuditEvent.objects.filter(action="followup.escalate").count() == 1

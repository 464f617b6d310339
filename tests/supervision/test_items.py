"""Follow-up items from filing (issue 14): one item per filed log and kind,
its owner, its due time in site time (across DST), idempotent under retries
and races, never deleted, every creation audited."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from audit.models import AuditEvent, DataChange
from logs_app.models import InteractionLog
from logs_app.services import log_save
from supervision.items import items_sync_for_log
from supervision.models import FollowUpItem, SupervisionMeeting
from tests.factories import InteractionLogFactory, UserFactory, log_values

UTC = dt.UTC


def file_log(mentor, participant, *, key=None, log=None, now=None, **values):
    """File (or, with `log`, change) a log through log_save, as the form does."""
    return log_save(
        actor=mentor.user,
        mentor=mentor,
        values=log_values(participant, **values),
        idempotency_key=key or uuid.uuid4(),
        log=log,
        expected_version=log.version if log else None,
        submit=True,
        now=now,
    ).log


def kinds(log) -> set[str]:
    return set(FollowUpItem.objects.filter(log=log).values_list("kind", flat=True))


def test_filing_a_safety_flag_and_a_request_to_talk_makes_two_items(
    mentor, participant, supervisor, site
):
    log = file_log(
        mentor, participant, safety_concern=True, discuss_in_supervision=True
    )
    items = {item.kind: item for item in FollowUpItem.objects.filter(log=log)}
    assert set(items) == {"safety", "talk"}
    for item in items.values():
        assert item.owner == supervisor
        assert item.mentor == mentor and item.site == site
        assert item.state == "open" and item.escalated_at is None
        assert item.opened_at == log.submitted_at


def test_a_concern_makes_an_item_and_a_question_does_not(mentor, participant):
    """A question is answered in the thread; a concern is followed up."""
    asked = file_log(mentor, participant, reflection_concerns="How do I say no?")
    assert kinds(asked) == set()
    worried = file_log(
        mentor, participant, concern="  He talked about hurting himself."
    )
    assert kinds(worried) == {"concern"}
    blank = file_log(mentor, participant, concern="   ")
    assert kinds(blank) == set()


def test_a_log_without_flags_makes_no_item(mentor, participant):
    file_log(mentor, participant)
    assert not FollowUpItem.objects.exists()


def test_a_draft_makes_no_item_until_it_is_submitted(mentor, participant):
    values = log_values(participant, safety_concern=True)
    key = uuid.uuid4()
    draft = log_save(
        actor=mentor.user,
        mentor=mentor,
        values=values,
        idempotency_key=key,
        log=None,
        expected_version=None,
        submit=False,
    ).log
    assert draft.status == "draft" and not FollowUpItem.objects.exists()
    file_log(mentor, participant, log=draft, safety_concern=True)
    assert kinds(draft) == {"safety"}


def test_each_creation_is_audited_without_text(mentor, participant, supervisor):
    log = file_log(
        mentor, participant, safety_concern=True, discuss_in_supervision=True
    )
    events = AuditEvent.objects.filter(action="followup.create")
    assert events.count() == 2
    for event in events:
        assert event.actor == mentor.user and event.object_type == "followupitem"
        assert set(event.details) == {"kind", "log", "owner", "due_at"}
        assert event.details["log"] == log.pk
        assert event.details["owner"] == supervisor.pk
        assert event.mentor_id == mentor.pk


def test_filing_twice_or_a_repeated_submit_creates_nothing_twice(mentor, participant):
    key = uuid.uuid4()
    log = file_log(mentor, participant, key=key, safety_concern=True)
    # The same form posted again (REL-3), then an edit while filed.
    file_log(mentor, participant, key=key, safety_concern=True)
    log = file_log(
        mentor, participant, log=log, safety_concern=True, duration_minutes=50
    )
    assert FollowUpItem.objects.filter(log=log).count() == 1
    assert AuditEvent.objects.filter(action="followup.create").count() == 1
    # Called again directly (a retried hook): nothing new.
    assert items_sync_for_log(log=log, actor=mentor.user, now=log.submitted_at) == []


def test_an_edit_after_filing_adds_the_newly_raised_kind(mentor, participant):
    log = file_log(mentor, participant, safety_concern=True)
    log = file_log(
        mentor,
        participant,
        log=log,
        safety_concern=True,
        discuss_in_supervision=True,
    )
    assert kinds(log) == {"safety", "talk"}


def test_a_returned_log_resubmitted_keeps_its_item_and_adds_none(mentor, participant):
    log = file_log(mentor, participant, safety_concern=True)
    InteractionLog.objects.filter(pk=log.pk).update(status="returned")
    log.refresh_from_db()
    file_log(mentor, participant, log=log, safety_concern=True, duration_minutes=40)
    assert FollowUpItem.objects.filter(log=log).count() == 1


def test_an_unticked_flag_leaves_the_item_and_says_so_once(mentor, participant):
    log = file_log(mentor, participant, safety_concern=True)
    item = FollowUpItem.objects.get(log=log)
    log = file_log(mentor, participant, log=log, safety_concern=False)
    log = file_log(
        mentor, participant, log=log, safety_concern=False, duration_minutes=50
    )
    item.refresh_from_db()
    assert item.source_cleared_at is not None and item.state == "open"
    cleared = AuditEvent.objects.filter(action="followup.source_cleared")
    assert cleared.count() == 1
    assert cleared.get().details == {"kind": "safety", "log": log.pk, "state": "open"}
    # The row's history has it too (AUD-2: the trigger on the item table).
    assert DataChange.objects.filter(
        table_name="supervision_followupitem", row_id=str(item.pk)
    ).exists()
    # Ticked again: restored, audited, still one item.
    file_log(mentor, participant, log=log, safety_concern=True)
    item.refresh_from_db()
    assert item.source_cleared_at is None
    assert AuditEvent.objects.filter(action="followup.source_restored").count() == 1
    assert FollowUpItem.objects.filter(log=log).count() == 1


def test_without_a_supervisor_the_site_lead_owns_the_item(mentor, participant, site):
    lead = UserFactory(username="lead")
    site.lead = lead
    site.save()
    mentor.supervisor = None
    mentor.save()
    log = file_log(mentor, participant, discuss_in_supervision=True)
    assert FollowUpItem.objects.get(log=log).owner == lead


def test_without_supervisor_or_lead_no_item_and_the_gap_is_audited(mentor, participant):
    mentor.supervisor = None
    mentor.save()
    log = file_log(mentor, participant, safety_concern=True)
    assert log.status == "submitted"  # filing itself still works
    assert not FollowUpItem.objects.exists()
    event = AuditEvent.objects.get(action="followup.create")
    assert event.outcome == "no_owner" and event.details == {"kinds": ["safety"]}


# --- due times in the site's time (America/New_York), across DST
def flagged_log(mentor, participant, **fields):
    return InteractionLogFactory(mentor=mentor, participant=participant, **fields)


@pytest.mark.parametrize(
    ("filed", "due"),
    [
        # Thursday 19 Nov 2026, 15:00 EST → 23:59:59 EST.
        (dt.datetime(2026, 11, 19, 20, 0, tzinfo=UTC), (2026, 11, 20, 4, 59, 59)),
        # Filed at 21:30 EST on 19 Nov (already 20 Nov in UTC): that local day.
        (dt.datetime(2026, 11, 20, 2, 30, tzinfo=UTC), (2026, 11, 20, 4, 59, 59)),
        # Spring forward, Sunday 8 March 2026: the day before ends in EST,
        # the change day (23 hours long) in EDT.
        (dt.datetime(2026, 3, 7, 15, 0, tzinfo=UTC), (2026, 3, 8, 4, 59, 59)),
        (dt.datetime(2026, 3, 8, 5, 30, tzinfo=UTC), (2026, 3, 9, 3, 59, 59)),
        # Fall back, Sunday 1 November 2026 (25 hours long) ends in EST.
        (dt.datetime(2026, 10, 31, 15, 0, tzinfo=UTC), (2026, 11, 1, 3, 59, 59)),
        (dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC), (2026, 11, 2, 4, 59, 59)),
    ],
)
def test_a_safety_item_is_due_at_the_end_of_the_filing_day_in_site_time(
    mentor, participant, filed, due
):
    log = flagged_log(mentor, participant, safety_concern=True)
    (item,) = items_sync_for_log(log=log, actor=mentor.user, now=filed)
    assert item.due_at == dt.datetime(*due, tzinfo=UTC)


def test_a_request_to_talk_is_due_in_7_days_at_the_end_of_that_local_day_across_dst(
    mentor, participant
):
    """Filed Sunday 1 March (EST); due Sunday 8 March, the spring-forward day,
    at 23:59:59 EDT: 167 hours later, not 7 × 24."""
    log = flagged_log(mentor, participant, discuss_in_supervision=True)
    filed = dt.datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    (item,) = items_sync_for_log(log=log, actor=mentor.user, now=filed)
    assert item.due_at == dt.datetime(2026, 3, 9, 3, 59, 59, tzinfo=UTC)


def test_a_request_to_talk_is_due_by_the_next_planned_meeting(
    mentor, participant, supervisor, other_mentor
):
    now = dt.datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    plan = {"supervisor": supervisor, "mentor": mentor}
    SupervisionMeeting.objects.create(planned_for=now - dt.timedelta(days=1), **plan)
    SupervisionMeeting.objects.create(  # after now, but already held
        planned_for=now + dt.timedelta(hours=1), held_at=now, **plan
    )
    SupervisionMeeting.objects.create(  # another mentor's
        supervisor=supervisor, mentor=other_mentor, planned_for=now + dt.timedelta(1)
    )
    nxt = SupervisionMeeting.objects.create(
        planned_for=now + dt.timedelta(days=2), **plan
    )
    SupervisionMeeting.objects.create(planned_for=now + dt.timedelta(days=9), **plan)
    log = flagged_log(
        mentor, participant, discuss_in_supervision=True, safety_concern=True
    )
    items = {i.kind: i for i in items_sync_for_log(log=log, actor=None, now=now)}
    assert items["talk"].due_at == nxt.planned_for
    # A safety flag does not wait for the meeting.
    assert items["safety"].due_at == dt.datetime(2026, 11, 20, 4, 59, 59, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_two_racing_requests_create_one_item(mentor, participant):
    """Both requests read "no item yet"; the second one's insert waits for the
    first's commit, meets the unique constraint in its savepoint, and finds the
    first's item (PostgreSQL: a real concurrent insert)."""
    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent insert needs PostgreSQL")
    log = flagged_log(mentor, participant, safety_concern=True)
    now = dt.datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    first_inserted, results = threading.Event(), {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = items_sync_for_log(log=log, actor=None, now=now)
                first_inserted.set()
                time.sleep(1)  # the second request reads and inserts meanwhile
        finally:
            first_inserted.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inserted.wait(30)
    with transaction.atomic():
        results["second"] = items_sync_for_log(log=log, actor=None, now=now)
    thread.join(30)
    assert len(results["first"]) == 1 and results["second"] == []
    assert FollowUpItem.objects.filter(log=log).count() == 1
    assert AuditEvent.objects.filter(action="followup.create").count() == 1

"""Issue 14, Revisions: a returned log's form shows the supervisor's request at
the top; resubmitting tells the mentor the log went back to their supervisor,
marks the request addressed in the thread (audited, in the filing's
transaction) and counts as reading the feedback; My week lists a returned log
once, under the logs to change."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from logs_app.models import InteractionLog, LogComment
from logs_app.review import log_comment_add, log_review
from logs_app.services import LogConflict, log_save
from tests.conftest import NOW
from tests.factories import InteractionLogFactory, log_form

pytestmark = pytest.mark.usefixtures("frozen_now")

REQUEST = "Great detail. Please add how long you met."
RETURNED_AT = dt.datetime(2026, 11, 18, 15, 5, tzinfo=dt.UTC)  # 10:05 in New York


@pytest.fixture
def returned(supervisor, log):
    """`log`, returned by its supervisor with REQUEST on 18 Nov."""
    log_review(
        actor=supervisor,
        log=log,
        expected_version=log.version,
        approve=False,
        comment=REQUEST,
        now=RETURNED_AT,
    )
    log.refresh_from_db()
    return log


def _resubmit(client, log, **changes):
    data = log_form(
        log.participant,
        idempotency_key=str(log.idempotency_key),
        version=str(log.version),
        contact_date="2026-11-16",
        start_time="10:00",
        duration_minutes="75",
        narrative=log.narrative,
        **changes,
    )
    return client.post(reverse("log_edit", args=[log.pk]), data)


def test_returned_log_form_shows_the_request_at_the_top(as_user, mentor, returned):
    """Finding "A returned log's form does not show what to change": the edit
    form said only that the supervisor returned the log; the comment was not on
    the page. Now the request, its author and its time come before the form."""
    html = as_user(mentor.user).get(reverse("log_edit", args=[returned.pk])).content
    html = html.decode()
    supervisor = mentor.supervisor
    name = supervisor.get_full_name() or supervisor.get_username()
    request_at = html.index('id="revision-request"')
    assert request_at < html.index('id="log-form"')
    box = html[request_at : html.index('id="log-form"')]
    assert REQUEST in box
    assert name in box
    assert "18 Nov 2026 10:05" in box  # the site's clock (New York)


def test_form_shows_only_the_latest_request_and_feedback_since(
    as_user, supervisor, mentor, returned
):
    client = as_user(mentor.user)
    assert _resubmit(client, returned).status_code == 302
    returned.refresh_from_db()
    log_review(
        actor=supervisor,
        log=returned,
        expected_version=returned.version,
        approve=False,
        comment="Thanks. One more: the place.",
    )
    returned.refresh_from_db()
    log_comment_add(actor=supervisor, log=returned, body="A café is fine.")
    html = client.get(reverse("log_edit", args=[returned.pk])).content.decode()
    box = html[html.index('id="revision-request"') : html.index('id="log-form"')]
    assert "Thanks. One more: the place." in box
    assert "A café is fine." in box
    assert REQUEST not in box  # addressed already


def test_a_log_not_returned_has_no_request_box(as_user, mentor, log):
    html = as_user(mentor.user).get(reverse("log_edit", args=[log.pk])).content
    assert b'id="revision-request"' not in html


def test_resubmitting_says_the_log_went_back_to_the_supervisor(
    as_user, mentor, returned
):
    """Finding "A returned log's form does not show what to change": after
    resubmitting, the message did not say the log went back to the supervisor."""
    response = _resubmit(as_user(mentor.user), returned)
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    supervisor = mentor.supervisor
    name = supervisor.get_full_name() or supervisor.get_username()
    assert texts == [
        f"Submitted again. The log went back to your supervisor, {name}, for "
        "review, and their request is marked as addressed."
    ]
    returned.refresh_from_db()
    assert returned.status == InteractionLog.Status.SUBMITTED


def test_resubmitting_marks_the_request_addressed_with_audit(as_user, mentor, returned):
    """Finding "A returned log's form does not show what to change": the
    request is marked addressed in the thread once the log is resubmitted."""
    client = as_user(mentor.user)
    _resubmit(client, returned)
    request = LogComment.objects.get(log=returned, kind=LogComment.Kind.RETURN)
    assert request.addressed_at == NOW
    event = AuditEvent.objects.get(action="log.return_addressed")
    assert event.actor == mentor.user
    assert event.details["comments"] == [request.pk]
    assert REQUEST not in str(event.details)  # ids only, never the text
    html = client.get(reverse("log_detail", args=[returned.pk])).content.decode()
    assert "Addressed 19 Nov" in html


def test_resubmitting_counts_as_reading_the_feedback(
    as_user, supervisor, mentor, returned
):
    """Finding "A returned log's form does not show what to change": after
    resubmitting, the feedback still showed "Unread"."""
    log_comment_add(actor=supervisor, log=returned, body="Ask me if unsure.")
    client = as_user(mentor.user)
    _resubmit(client, returned)
    assert not LogComment.objects.filter(
        log=returned, acknowledged_at__isnull=True
    ).exists()
    html = client.get(reverse("log_detail", args=[returned.pk])).content.decode()
    assert "Unread" not in html
    assert "read this feedback" not in html


def test_a_refused_resubmit_leaves_the_request_open(mentor, returned):
    """Addressing is part of the filing: a save refused for a stale version
    marks nothing."""
    with pytest.raises(LogConflict):
        log_save(
            actor=mentor.user,
            mentor=mentor,
            values={
                "participant": returned.participant,
                "contact_date": returned.contact_date,
                "start_time": returned.start_time,
                "duration_minutes": 75,
                "mode": "in_person",
                "outcome": "met",
                "narrative": returned.narrative,
            },
            idempotency_key=returned.idempotency_key,
            log=returned,
            expected_version=returned.version - 1,
            submit=True,
        )
    request = LogComment.objects.get(log=returned, kind=LogComment.Kind.RETURN)
    assert request.addressed_at is None
    assert request.acknowledged_at is None
    assert not AuditEvent.objects.filter(action="log.return_addressed").exists()


def test_only_a_return_can_be_addressed(supervisor, log):
    comment = log_comment_add(actor=supervisor, log=log, body="Nice.")
    with pytest.raises(IntegrityError), transaction.atomic():
        LogComment.objects.filter(pk=comment.pk).update(addressed_at=NOW)


def test_my_week_lists_a_returned_log_once(as_user, mentor, returned):
    """Finding "A returned log's form does not show what to change": the
    returned log appeared under "New feedback" and "Feedback waiting". It is
    listed once, under the logs to change, whose link opens the form with the
    request at the top."""
    response = as_user(mentor.user).get(reverse("my_week"))
    week = response.context["week"]
    assert week.returned == [returned]
    assert week.unread == []
    html = response.content.decode()
    assert html.count(reverse("log_edit", args=[returned.pk])) == 1
    assert "New feedback from your supervisor" not in html


def test_my_week_still_lists_feedback_on_other_logs(
    as_user, supervisor, mentor, returned, participant
):
    other = InteractionLogFactory(mentor=mentor, participant=participant)
    log_comment_add(actor=supervisor, log=other, body="Well done.")
    week = as_user(mentor.user).get(reverse("my_week")).context["week"]
    assert [c.log_id for c in week.unread] == [other.pk]
    assert week.returned == [returned]

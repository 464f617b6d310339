"""Issue 14, Revisions, in a real browser on a phone: the returned log's form
shows the supervisor's request at the top, and resubmitting says the log went
back to the supervisor and marks the request addressed."""

import datetime as dt

from django.urls import reverse

from logs_app.models import InteractionLog, LogComment
from logs_app.review import log_review
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory

pytestmark = BROWSER_TEST

REQUEST = "You explained the plan really clearly. Please add how long you met."


def test_returned_log_form_shows_the_request_and_resubmit_says_where_it_went(
    phone, live_server, supervisor, mentor, participant
):
    """Finding "A returned log's form does not show what to change"."""
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    log_review(
        actor=supervisor,
        log=log,
        expected_version=1,
        approve=False,
        comment=REQUEST,
        now=dt.datetime(2026, 11, 18, 15, 5, tzinfo=dt.UTC),
    )
    sign_in(phone, live_server, mentor.user.username, "/week/")
    phone.console_errors.clear()
    # Listed once: under the logs to change, not as new feedback too.
    assert not phone.get_by_text("New feedback from your supervisor").count()
    phone.locator("#returned-h ~ ul a").click()
    phone.wait_for_url(f"**{reverse('log_edit', args=[log.pk])}")

    request = phone.locator("#revision-request")
    assert request.get_by_text(REQUEST).is_visible()
    box = request.bounding_box()
    form = phone.locator("#log-form").bounding_box()
    # At the top: on screen as the page opens, before the first question.
    assert box["y"] + box["height"] <= 844
    assert box["y"] < form["y"]
    assert "18 Nov 2026 10:05" in request.inner_text()
    check_accessibility(phone)
    screenshot(phone, "returned-log-form-phone")

    phone.get_by_label("How long (minutes)").fill("75")
    phone.get_by_role("button", name="Submit again").click()
    phone.wait_for_url(f"**{reverse('log_detail', args=[log.pk])}")
    phone.get_by_text("The log went back to your supervisor").wait_for()
    thread = phone.locator("#thread-h").locator("..")
    assert thread.get_by_text("Addressed 19 Nov").is_visible()
    assert not thread.get_by_text("Unread").count()
    check_accessibility(phone)
    screenshot(phone, "resubmitted-log-phone")

    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.duration_minutes == 75
    assert LogComment.objects.get(log=log).addressed_at is not None
    assert phone.console_errors == []

"""A supervisor reviews in a real browser; the mentor sees the feedback."""

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog, LogComment
from tests.browser.chromium import DESK, PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory

pytestmark = BROWSER_TEST


@pytest.fixture
def desk(page_at, live_server, supervisor):
    """The supervisor, signed in on a desk-sized page."""
    page = page_at(DESK)
    sign_in(page, live_server, supervisor.username, "/team/")
    return page


def test_supervisor_returns_a_log_and_the_mentor_sees_why(
    desk, page_at, live_server, mentor, participant
):
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.get_by_role("link", name="Review", exact=True).click()
    check_accessibility(desk)
    desk.get_by_role("link", name="NYC-0001 · Mon 16 Nov").click()
    check_accessibility(desk)
    desk.get_by_label("Feedback for the mentor").fill(
        "You explained the plan really clearly. Please add where you met."
    )
    desk.get_by_role("button", name="Return for revision").click()
    desk.get_by_text("Returned to the mentor").wait_for()
    check_accessibility(desk)
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.RETURNED

    phone = page_at(PHONE)
    sign_in(phone, live_server, mentor.user.username, "/week/")
    # Issue 14: a returned log is listed once, under the logs to change; its
    # form shows the request at the top.
    assert phone.get_by_text("Feedback waiting").is_visible()
    phone.locator("#returned-h ~ ul a").first.click()
    phone.locator("#revision-request").get_by_text(
        "Please add where you met."
    ).wait_for()
    check_accessibility(phone)
    phone.goto(live_server.url + reverse("log_detail", args=[log.pk]))
    phone.get_by_text("Please add where you met.").wait_for()
    check_accessibility(phone)
    screenshot(phone, "feedback-phone")
    phone.get_by_role("button", name="I've read this feedback").click()
    phone.get_by_text("marked as read").wait_for()
    assert LogComment.objects.get().acknowledged_at is not None


def test_text_typed_in_the_one_box_goes_with_mark_reviewed(
    desk, live_server, mentor, participant
):
    """Issue 11 finding 6: the review page has one box; what is typed there and
    *Mark reviewed* reach the thread, and the message says so."""
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.goto(live_server.url + reverse("log_review", args=[log.pk]))
    assert desk.locator("textarea").count() == 1
    desk.get_by_label("Feedback for the mentor").fill("Clear and kind. Thank you.")
    desk.get_by_role("button", name="Mark reviewed").click()
    desk.get_by_text("Marked reviewed. Your feedback is with the mentor.").wait_for()
    check_accessibility(desk)
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED
    assert LogComment.objects.get(log=log).body == "Clear and kind. Thank you."


def test_supervisor_voids_a_log_filed_twice(desk, live_server, mentor, participant):
    """Issue 11 finding 17: the void page, from the log page, with its reason."""
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.goto(live_server.url + reverse("log_detail", args=[log.pk]))
    desk.get_by_role("link", name="Void this log…").click()
    check_accessibility(desk)
    desk.get_by_label("Why is this log voided?").fill("Filed twice by mistake.")
    desk.get_by_role("button", name="Void this log").click()
    desk.get_by_text("Log voided.").wait_for()
    check_accessibility(desk)
    log.refresh_from_db()
    assert log.is_voided and log.void_reason == "Filed twice by mistake."

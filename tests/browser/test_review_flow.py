"""A supervisor reviews in a real browser; the mentor sees the feedback."""

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog, LogComment
from tests.browser.conftest import check_accessibility, screenshot
from tests.factories import PASSWORD, InteractionLogFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_rows"),
]


def sign_in(page, live_server, username: str, lands_on: str) -> None:
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{lands_on}")


def test_supervisor_returns_a_log_and_the_mentor_sees_why(
    browser, live_server, supervisor, mentor, participant
):
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desk, live_server, supervisor.username, "/team/")
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

    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, live_server, mentor.user.username, "/week/")
    assert phone.get_by_text("New feedback from your supervisor").is_visible()
    phone.locator("#unread-h ~ ul a").first.click()
    check_accessibility(phone)
    phone.get_by_text("Please add where you met.").wait_for()
    check_accessibility(phone)
    screenshot(phone, "feedback-phone")
    phone.get_by_role("button", name="I've read this feedback").click()
    phone.get_by_text("marked as read").wait_for()
    assert LogComment.objects.get().acknowledged_at is not None

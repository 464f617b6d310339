"""Issue 14, the review panel in a real browser: one box whose text goes with
whichever button is pressed and is never lost, and "Next" through the same
filtered queue."""

import datetime as dt

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
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = BROWSER_TEST


def at(day: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def desk(page_at, live_server, supervisor):
    page = page_at(DESK)
    sign_in(page, live_server, supervisor.username, "/team/")
    return page


def _box(page):
    return page.get_by_label("Feedback for the mentor")


def _in_thread(log) -> list[str]:
    return list(LogComment.objects.filter(log=log).values_list("body", flat=True))


def test_typed_text_is_never_lost_whichever_button_is_pressed(
    desk, live_server, supervisor, mentor, participant
):
    """Type in the box and press each button in turn, on fresh logs, with and
    without a conflict: the text is never lost and ends in the thread once."""
    url = live_server.url
    # 1. Return for revision with nothing typed: refused, the box is still there.
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.goto(url + reverse("log_review", args=[log.pk]))
    assert desk.locator("textarea").count() == 1
    desk.get_by_role("button", name="Return for revision").click()
    desk.get_by_text("Say what to change").first.wait_for()
    text = "Clear plan. Please add where you met."
    _box(desk).fill(text)
    desk.get_by_role("button", name="Return for revision").click()
    desk.get_by_text("Returned to the mentor with your comment.").wait_for()
    assert _in_thread(log) == [text]

    # 2. Send feedback only: in the thread, the log still waits, box empty.
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.goto(url + reverse("log_review", args=[log.pk]))
    _box(desk).fill("How did the call feel?")
    desk.get_by_role("button", name="Send feedback only").click()
    desk.get_by_text("Feedback sent to the mentor.").wait_for()
    assert _box(desk).input_value() == ""
    assert _in_thread(log) == ["How did the call feel?"]

    # 3. Mark reviewed, but the mentor saved meanwhile: nothing saved, text
    # back in the box; pressed again, it lands once.
    _box(desk).fill("Warm and patient.")
    InteractionLog.objects.filter(pk=log.pk).update(version=2)
    desk.get_by_role("button", name="Mark reviewed").click()
    desk.get_by_text("what you typed is still in the box").wait_for()
    check_accessibility(desk)
    assert _box(desk).input_value() == "Warm and patient."
    assert _in_thread(log) == ["How did the call feel?"]
    desk.get_by_role("button", name="Mark reviewed").click()
    desk.get_by_text("Marked reviewed. Your feedback is with the mentor.").wait_for()
    assert _in_thread(log) == ["How did the call feel?", "Warm and patient."]

    # 4. Someone else reviewed it first: the text comes back in the thread's
    # box, and sending it puts it in the thread once.
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    desk.goto(url + reverse("log_review", args=[log.pk]))
    _box(desk).fill("Good boundaries.")
    InteractionLog.objects.filter(pk=log.pk).update(  # another tab, say
        status=InteractionLog.Status.REVIEWED,
        version=2,
        reviewed_by=supervisor,
        reviewed_at=at(16),
    )
    desk.get_by_role("button", name="Return for revision").click()
    desk.get_by_text("what you typed is still in the box").wait_for()
    assert desk.get_by_label("Message").input_value() == "Good boundaries."
    desk.get_by_role("button", name="Send feedback").click()
    desk.get_by_text("Message added.").wait_for()
    assert _in_thread(log) == ["Good boundaries."]


def test_next_walks_the_filtered_queue(
    desk, page_at, live_server, supervisor, mentor, participant, site
):
    peer = MentorFactory(sites=[site], supervisor=supervisor, user__first_name="Pat")
    theirs = ParticipantFactory(study_id="NYC-0002", site=site)
    AssignmentFactory(mentor=peer, participant=theirs, start_date=dt.date(2026, 1, 5))
    mine = [
        InteractionLogFactory(
            mentor=mentor, participant=participant, submitted_at=at(10 + i)
        )
        for i in range(3)
    ]
    InteractionLogFactory(mentor=peer, participant=theirs, submitted_at=at(9))
    desk.goto(live_server.url + reverse("review_queue"))
    desk.get_by_label("Mentor", exact=True).select_option(str(mentor.pk))
    desk.get_by_role("button", name="Filter").click()
    desk.wait_for_url(f"**/review/?mentor={mentor.pk}&participant=")
    check_accessibility(desk)
    desk.locator("#queue-table a").first.click()
    for i, log in enumerate(mine):
        assert f"/logs/{log.pk}/review/" in desk.url
        if i == 1:
            _box(desk).fill("Thoughtful notes.")
            screenshot(desk, "review-panel-desktop")
        desk.get_by_role("button", name="Mark reviewed").click()
        desk.get_by_text("Marked reviewed").first.wait_for()
        next_link = desk.locator("#queue-next a")
        if i < len(mine) - 1:
            next_link.get_by_text("Next log").click()
    # The peer's log is not in this filtered queue: back to an empty queue.
    desk.get_by_text("No other log is waiting in this filtered queue.").wait_for()
    desk.get_by_role("link", name="Back to the queue").click()
    desk.get_by_text("the queue is empty for this filter").wait_for()
    check_accessibility(desk)
    assert _in_thread(mine[1]) == ["Thoughtful notes."]
    waiting = InteractionLog.objects.filter(status=InteractionLog.Status.SUBMITTED)
    assert [log.mentor for log in waiting] == [peer]


def test_select_all_routine_ticks_only_routine_logs_from_the_keyboard(
    desk, live_server, mentor, participant
):
    routine = [
        InteractionLogFactory(mentor=mentor, participant=participant) for _ in range(2)
    ]
    InteractionLogFactory(mentor=mentor, participant=participant, safety_concern=True)
    desk.goto(live_server.url + reverse("review_queue"))
    button = desk.get_by_role("button", name="Select all routine logs on this page")
    button.focus()
    desk.keyboard.press("Enter")
    desk.get_by_text("2 routine logs ticked.").wait_for()
    assert desk.locator("input.js-routine:checked").count() == 2
    check_accessibility(desk)
    desk.get_by_role("button", name="Mark ticked logs reviewed").click()
    desk.get_by_text("2 logs marked reviewed.").wait_for()
    for log in routine:
        log.refresh_from_db()
        assert log.status == InteractionLog.Status.REVIEWED
    assert InteractionLog.objects.filter(status="submitted").count() == 1


def test_review_panel_on_a_phone(page_at, live_server, supervisor, mentor, participant):
    log = InteractionLogFactory(
        mentor=mentor, participant=participant, reflection_concerns="Can I text?"
    )
    InteractionLogFactory(mentor=mentor, participant=participant)
    phone = page_at(PHONE)
    sign_in(phone, live_server, supervisor.username, "/team/")
    phone.goto(live_server.url + reverse("log_review", args=[log.pk]))
    _box(phone).fill("Thanks for asking. Let's talk on Thursday.")
    phone.locator("#review-h").scroll_into_view_if_needed()
    check_accessibility(phone)
    screenshot(phone, "review-panel-phone")
    assert phone.get_by_role("link", name="NYC-0001's progress").is_visible()

"""Issue 14: a supervisor records a supervision meeting on a phone (who
attended, the items and logs discussed, notes, an agreed action), and the
meeting page prints without the navigation or the forms."""

import datetime as dt

import pytest
from django.urls import reverse

from supervision.models import FollowUpItem, MeetingAction, SupervisionMeeting
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory

pytestmark = BROWSER_TEST


@pytest.fixture
def planned(mentor, participant, supervisor):
    log = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        reflection_concerns="How do I say no when she asks to borrow money?",
    )
    FollowUpItem.objects.create(
        log=log,
        kind=FollowUpItem.Kind.CONCERN,
        mentor=mentor,
        site=participant.site,
        owner=supervisor,
        opened_at=log.submitted_at,
        due_at=log.submitted_at + dt.timedelta(days=3),
    )
    return SupervisionMeeting.objects.create(
        mentor=mentor,
        supervisor=supervisor,
        planned_for=dt.datetime(2026, 11, 19, 15, 0, tzinfo=dt.UTC),
    )


def test_supervisor_records_a_meeting_on_a_phone_and_prints_it(
    phone, live_server, supervisor, planned
):
    page = phone
    sign_in(page, live_server, supervisor.username, "/team/")
    page.goto(live_server.url + reverse("meeting_detail", args=[planned.pk]))
    assert page.get_by_text("How do I say no").is_visible()  # the plan
    page.get_by_role("link", name="Record as held").click()

    page.get_by_label("Others who attended").fill("A peer mentor in training")
    page.get_by_role("group", name="Follow-up items discussed").get_by_role(
        "checkbox"
    ).first.check()
    page.get_by_role("group", name="Logs discussed").get_by_role(
        "checkbox"
    ).first.check()
    page.get_by_label("Notes").fill("Practised saying no kindly; she felt ready.")
    check_accessibility(page)
    screenshot(page, "meeting-record-phone")
    page.get_by_role("button", name="Save the record").click()
    page.wait_for_url(f"**{reverse('meeting_detail', args=[planned.pk])}")

    page.get_by_label("Action agreed").fill("Role-play the money question again")
    page.get_by_label("Who").select_option(label=planned.mentor.user.first_name)
    page.get_by_label("By when").fill("2026-11-26")
    page.get_by_role("button", name="Add the action").click()
    page.get_by_text("Action added.").wait_for()
    assert MeetingAction.objects.get().due_on == dt.date(2026, 11, 26)
    planned.refresh_from_db()
    assert planned.held_at is not None and planned.items.count() == 1
    check_accessibility(page)

    page.emulate_media(media="print")
    assert not page.get_by_role("navigation", name="Main").is_visible()
    assert not page.get_by_role("button", name="Add the action").is_visible()
    assert not page.get_by_role("link", name="Print").is_visible()
    assert page.get_by_text(
        "Role-play the money question again", exact=True
    ).is_visible()
    assert page.get_by_text("Practised saying no kindly").is_visible()
    screenshot(page, "meeting-print")

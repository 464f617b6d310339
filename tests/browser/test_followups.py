"""Follow-up items in a real browser (issue 14): a supervisor resolves a
safety item on a phone, the mentor sees that it was followed up, and an open
item from an earlier week is on this week's agenda."""

import datetime as dt

import pytest
from django.urls import reverse

from supervision.models import FollowUpItem
from tests.browser.chromium import DESK, PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory
from tests.supervision.factories import FollowUpItemFactory

pytestmark = BROWSER_TEST
NOTE = "Phoned the mentor the same evening; the care team has the safety plan."


@pytest.fixture
def safety_item(mentor, participant):
    log = InteractionLogFactory(
        mentor=mentor, participant=participant, safety_concern=True
    )
    return FollowUpItemFactory(log=log)


def test_supervisor_resolves_a_safety_item_on_a_phone(
    page_at, live_server, supervisor, mentor, safety_item
):
    phone = page_at(PHONE)
    sign_in(phone, live_server, supervisor.username, "/team/")
    phone.goto(live_server.url + reverse("followup_list"))
    check_accessibility(phone)
    phone.get_by_role("link", name="NYC-0001 · Mon 16 Nov").click()
    phone.get_by_role("heading", name="Safety flag").wait_for()
    check_accessibility(phone)
    phone.get_by_role("button", name="Resolve with this note").click()
    phone.get_by_text("Write what was done").first.wait_for()  # no empty note
    phone.get_by_label("Follow-up note").fill(NOTE)
    phone.get_by_role("button", name="Resolve with this note").click()
    phone.get_by_text("Resolved. The mentor sees that it was followed up.").wait_for()
    check_accessibility(phone)
    screenshot(phone, "followup-resolved-phone")
    safety_item.refresh_from_db()
    assert safety_item.state == FollowUpItem.State.RESOLVED
    assert safety_item.resolution_note == NOTE

    mentors_phone = page_at(PHONE)
    sign_in(mentors_phone, live_server, mentor.user.username, "/week/")
    mentors_phone.goto(
        live_server.url + reverse("log_detail", args=[safety_item.log_id])
    )
    mentors_phone.get_by_text("Your supervisor followed up on 19 Nov").wait_for()
    assert NOTE not in mentors_phone.content()
    check_accessibility(mentors_phone)


def test_agenda_carries_an_open_concern_from_last_week(
    page_at, live_server, supervisor, mentor, participant, safety_item
):
    earlier = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 10),
        reflection_concerns="Not sure how much to share about my own recovery.",
    )
    concern = FollowUpItemFactory(
        log=earlier,
        kind=FollowUpItem.Kind.CONCERN,
        opened_at=dt.datetime(2026, 11, 10, 22, 0, tzinfo=dt.UTC),
        due_at=dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC),
    )
    this_week = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 18),
        safety_concern=True,
    )
    FollowUpItemFactory(log=this_week)
    desk = page_at(DESK)
    sign_in(desk, live_server, supervisor.username, "/team/")
    desk.goto(live_server.url + reverse("supervision_agenda"))
    desk.get_by_role(
        "heading", name="Follow-up still open from earlier logs"
    ).wait_for()
    desk.get_by_text("Raised in 2026-W46").wait_for()
    assert desk.get_by_text("Overdue").count() >= 1
    check_accessibility(desk)
    screenshot(desk, "agenda-carried-desktop")
    desk.get_by_role("link", name="Tue 10 Nov").click()
    desk.wait_for_url(f"**/followups/{concern.pk}/")

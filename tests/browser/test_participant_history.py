"""A long history on a phone: the participant page lists the newest contacts
and takes the mentor to all of them on the log list, filtered, which fits a
phone's width."""

import datetime as dt

from tests.browser.chromium import PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory

pytestmark = BROWSER_TEST


def test_mentor_opens_all_contacts_from_a_long_history(
    page_at, live_server, mentor, participant
):
    for day in range(30):
        InteractionLogFactory(
            mentor=mentor,
            participant=participant,
            contact_date=dt.date(2026, 9, 1) + dt.timedelta(days=day),
            co_ppm=30 - day,
            weekly_goal=f"Goal {day + 1}",
        )
    phone = page_at(PHONE)
    sign_in(phone, live_server, mentor.user.username, "/week/")
    phone.goto(f"{live_server.url}/participants/{participant.pk}/")
    check_accessibility(phone)

    contacts = phone.locator("#contacts-h ~ ul > li")
    assert contacts.count() == 20
    assert contacts.first.get_by_role("link").inner_text() == "Wed 30 Sep 2026, 10:00"
    assert phone.get_by_text("The 10 most recent of 30 goals.").is_visible()
    link = phone.get_by_role("link", name="All 30 contacts")
    link.scroll_into_view_if_needed()
    screenshot(phone, "participant-long-history-phone")

    link.click()
    phone.wait_for_url(f"**/logs/?participant={participant.pk}")
    check_accessibility(phone)
    assert phone.get_by_text("30 logs").is_visible()
    assert phone.get_by_label("Participant").input_value() == str(participant.pk)
    # On a phone the list fits the screen: each log is a card (issue 13), its
    # status on a line of its own instead of in a column scrolled out of view.
    badge = phone.locator("tbody tr").first.get_by_text("Submitted")
    assert badge.count() == 1
    assert badge.is_visible()
    box = badge.bounding_box()
    assert box["x"] + box["width"] <= 390
    screenshot(phone, "participant-all-contacts-phone")

"""Follow-up items in a real browser (issue 14): a supervisor resolves a
safety item on a phone, the mentor sees that it was followed up, and an open
item from an earlier week is on this week's agenda; a safety flag filed on a
phone and left past due mails the site lead exactly once."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from notifications.tasks import dispatch_once
from supervision.models import FollowUpItem
from tests.browser.chromium import DESK, PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    fill_contact_date_yesterday,
    screenshot,
    sign_in,
)
from tests.factories import InteractionLogFactory, UserFactory
from tests.supervision.factories import FollowUpItemFactory

pytestmark = BROWSER_TEST
SECRET = "He said he has stopped taking his medication."
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


def test_an_overdue_safety_flag_filed_on_a_phone_mails_the_site_lead_once(
    page_at, live_server, mentor, participant, site
):
    """Issue 14: a safety flag filed in the browser becomes an item due the
    same day in site time; past due, the site lead gets exactly one mail,
    whatever the number of dispatcher runs, with a link and no log text, and
    the link opens the item for them."""
    lead = UserFactory(username="lead", first_name="Lee", email="lee@example.org")
    site.lead = lead
    site.save()
    phone = page_at(PHONE)
    sign_in(phone, live_server, mentor.user.username, "/week/")
    phone.goto(
        live_server.url + reverse("log_create") + f"?participant={participant.pk}"
    )
    fill_contact_date_yesterday(phone, participant.site)
    phone.get_by_label("How long (minutes)").fill("30")
    phone.get_by_label("I have a safety concern about this participant").check()
    phone.get_by_label("Summary of the contact").fill(SECRET)
    phone.get_by_role("button", name="Submit", exact=True).click()
    phone.get_by_text("Your log is submitted").wait_for()
    item = FollowUpItem.objects.get()
    assert item.kind == FollowUpItem.Kind.SAFETY
    due_local = item.due_at.astimezone(site.tzinfo)
    assert (due_local.hour, due_local.minute) == (23, 59)

    late = item.due_at + dt.timedelta(hours=1)
    for later in (dt.timedelta(0), dt.timedelta(seconds=30), dt.timedelta(days=2)):
        dispatch_once(late + later)
    to_lead = [m for m in mail.outbox if m.to == ["lee@example.org"]]
    assert len(to_lead) == 1
    assert SECRET not in to_lead[0].body and participant.study_id not in to_lead[0].body
    path = re.search(r"/followups/\d+/", to_lead[0].body).group(0)
    assert path == reverse("followup_detail", args=[item.pk])

    leads_phone = page_at(PHONE)
    sign_in(leads_phone, live_server, "lead", "/")
    leads_phone.goto(live_server.url + path)
    leads_phone.get_by_role("heading", name="Safety flag").wait_for()
    leads_phone.get_by_text("Escalated to the site lead").wait_for()
    check_accessibility(leads_phone)

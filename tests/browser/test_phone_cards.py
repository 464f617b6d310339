"""Issue 13: the tables a supervisor reads on a phone become stacked cards, one
card per row with each value under its column's name, as My logs already does
(`table-cards` in peerlog.css). On a phone nothing scrolls sideways and no
row's last value is cut off; on a desk each page is still a table with its
header row, for screen readers as for eyes. axe-core audits both."""

import datetime as dt

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog
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

# A small tablet upright, or a big phone on its side: still cards (the
# supervisor's Logs table was wider than this).
SMALL_TABLET = {"width": 600, "height": 960}

# The supervisor's pages with a table: (name, URL name).
PAGES = [
    ("review-queue", "review_queue"),
    ("team-week", "team_week"),
    ("not-seen-lately", "engagement_gaps"),
    ("logs", "log_list"),
]

LONG_NARRATIVE = (
    "We met at the clinic after her shift and went through the week's cravings "
    "one by one: after meals, on the phone to her sister, and on the bus home. "
    "She has a plan for each and wants to set a quit date next time."
)


@pytest.fixture
def team(site, supervisor, mentor, participant):
    """A supervisor's team with something in every table: routine and flagged
    logs waiting for review from two mentors (one with a long name), and a
    person nobody has met."""
    long_named = MentorFactory(
        user__username="mentor2",
        user__first_name="Maria-Fernanda",
        user__last_name="Castellanos-Villanueva",
        sites=[site],
        supervisor=supervisor,
    )
    other = ParticipantFactory(study_id="NYC-0002", site=site)
    AssignmentFactory(
        mentor=long_named, participant=other, start_date=dt.date(2026, 1, 5)
    )
    never_met = ParticipantFactory(study_id="NYC-0003", site=site)
    AssignmentFactory(
        mentor=mentor, participant=never_met, start_date=dt.date(2026, 1, 5)
    )
    InteractionLogFactory(mentor=mentor, participant=participant)
    InteractionLogFactory(
        mentor=long_named, participant=other, narrative=LONG_NARRATIVE
    )
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 17),
        safety_concern=True,
        discuss_in_supervision=True,
        reflection_concerns="She mentioned feeling low.",
    )
    assert InteractionLog.objects.filter(status="submitted").count() == 3
    return supervisor


def _rows_fit(page) -> list[dict]:
    """Each body and footer row of each table: its last cell's box and label,
    and whether that box lies inside the viewport."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'main table tbody tr, main table tfoot tr')].map(tr => {
          const cell = tr.lastElementChild;
          const box = cell.getBoundingClientRect();
          return {
            row: tr.innerText.slice(0, 60),
            left: box.left, right: box.right, width: box.width,
            inside: box.width > 0 && box.left >= 0 && box.right <= innerWidth,
            label: cell.dataset.label || null,
            shown: getComputedStyle(cell, '::before').content,
          };
        })"""
    )


@pytest.mark.parametrize("viewport", [PHONE, SMALL_TABLET], ids=["phone", "600"])
@pytest.mark.parametrize("name,url_name", PAGES, ids=[p[0] for p in PAGES])
def test_supervisor_tables_are_cards_on_a_phone(
    page_at, live_server, team, name, url_name, viewport
):
    page = page_at(viewport)
    sign_in(page, live_server, team.username, "/team/")
    page.goto(live_server.url + reverse(url_name))
    assert page.locator("main table").count() >= 1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), (name, width)
    rows = _rows_fit(page)
    assert rows, name
    for row in rows:
        assert row["inside"], (name, row)
        # The last value reads under its column's name.
        assert row["label"], (name, row)
        assert row["shown"] == f'"{row["label"]}: "', (name, row)
    check_accessibility(page)
    if viewport is PHONE:
        screenshot(page, f"cards-{name}-phone")


@pytest.mark.parametrize("name,url_name", PAGES, ids=[p[0] for p in PAGES])
def test_supervisor_tables_stay_tables_on_a_desk(
    page_at, live_server, team, name, url_name
):
    page = page_at(DESK)
    sign_in(page, live_server, team.username, "/team/")
    page.goto(live_server.url + reverse(url_name))
    table = page.locator("main table").first
    assert table.evaluate("el => getComputedStyle(el).display") == "table"
    headers = table.locator("thead th")
    assert headers.count() >= 4
    for i in range(headers.count()):
        header = headers.nth(i)
        if "visually-hidden" in (header.inner_html() or ""):
            continue  # the review queue's "Select" column names only itself
        assert header.is_visible(), (name, i)
        assert header.evaluate("el => getComputedStyle(el).display") == "table-cell"
    # The screen reader gets a table: rows of cells under column headers.
    assert page.get_by_role("table").first.get_by_role("columnheader").count() >= 4
    cells = table.locator("tbody tr").first.locator("td")
    assert cells.first.evaluate("el => getComputedStyle(el).display") == "table-cell"
    assert cells.last.evaluate("el => getComputedStyle(el, '::before').content") in (
        "none",
        "normal",
    )
    for row in _rows_fit(page):
        assert row["inside"], (name, row)
    check_accessibility(page)
    screenshot(page, f"cards-{name}-desk")


def test_the_review_queue_card_keeps_its_tick_box_and_badges(
    page_at, live_server, team
):
    """On a phone a routine log's card still carries its tick box, and a flagged
    log's card its badges; ticking and marking reviewed still works."""
    page = page_at(PHONE)
    sign_in(page, live_server, team.username, "/team/")
    page.goto(live_server.url + reverse("review_queue"))
    safety = page.locator("tbody tr", has_text="Safety")
    assert safety.get_by_text("Discuss", exact=True).is_visible()
    assert safety.locator("input[type=checkbox]").count() == 0
    box = page.get_by_label("Mark NYC-0002 on 16 Nov reviewed")
    box.check()
    target = box.bounding_box()
    assert target["x"] >= 0 and target["x"] + target["width"] <= PHONE["width"]
    page.get_by_role("button", name="Mark ticked logs reviewed").click()
    page.wait_for_url("**/review/**")
    assert InteractionLog.objects.filter(status="reviewed").count() == 1
    check_accessibility(page)


def test_role_mix_numbers_scroll_in_a_box_the_keyboard_reaches_on_a_phone(
    page_at, live_server, team
):
    """The role mix's numbers are a week-by-week grid (twelve columns), read
    across: on a phone they stay a table that scrolls sideways in its own box,
    one the keyboard can reach (axe: scrollable-region-focusable), while the
    page itself does not scroll sideways."""
    page = page_at(PHONE)
    sign_in(page, live_server, team.username, "/team/")
    page.goto(live_server.url + reverse("role_mix"))
    for summary in page.locator("details summary").all():
        summary.click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    region = page.get_by_role("region", name="Numbers for Maria-Fernanda")
    region.focus()
    page.keyboard.press("ArrowRight")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    page.wait_for_function("() => document.activeElement.scrollLeft > 0")
    check_accessibility(page)

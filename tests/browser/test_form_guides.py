"""Issue 13 part B in a real browser: the sticky Submit bar never covers the
focused element (WCAG 2.2 SC 2.4.11), mentor pages reflow at 320 CSS px and
at 200 % zoom (SC 1.4.10), axe-core finds nothing serious on any mentor page,
the error summary takes focus, and the taps a routine log and a no-show take.

200 % zoom on the 390 × 844 phone is emulated as Chromium lays it out: a
195 × 422 CSS-pixel viewport with a device scale factor of 2 (the same CSS
pixels a phone browser at 200 % gives the page)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from time_machine import escape_hatch

from logs_app.models import InteractionLog
from tests.browser.chromium import ZOOM_200
from tests.browser.conftest import (
    ARTIFACTS,
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.browser.test_offline import wait_until_ready_offline
from tests.factories import InteractionLogFactory

pytestmark = BROWSER_TEST

PHONE = {"viewport": {"width": 390, "height": 844}}
NARROW = {"viewport": {"width": 320, "height": 640}}
DESK = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"phone": PHONE, "zoom200": ZOOM_200, "narrow320": NARROW, "desk": DESK}


@pytest.fixture
def page_at(page_at):
    """The shared page_at (tests/browser/conftest.py), by this module's size names."""
    return lambda size: page_at(**SIZES[size])


@pytest.fixture
def mentor_pages(mentor, participant):
    """Every page a mentor uses, each as (name, path, how to open it)."""
    filed = InteractionLogFactory(mentor=mentor, participant=participant)
    draft = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
        contact_date=dt.date(2026, 11, 18),
        narrative="We met at the park",
    )
    return [
        ("my-week", reverse("my_week"), None),
        ("new-log", reverse("log_create"), None),
        ("new-log-no-show", reverse("log_create"), _choose_no_show),
        ("new-log-errors", reverse("log_create"), _submit_empty),
        ("draft", reverse("log_edit", args=[draft.pk]), None),
        ("log", reverse("log_detail", args=[filed.pk]), None),
        ("my-logs", reverse("log_list"), None),
        ("participant", reverse("participant_detail", args=[participant.pk]), None),
        ("mail", reverse("mail_preferences"), None),
        ("security", reverse("account_security"), None),
        ("two-step-setup", reverse("two_factor_enrol"), None),
    ]


def _choose_no_show(page) -> None:
    page.get_by_label("No-show").check()


def _submit_empty(page) -> None:
    page.get_by_label("Start time").fill("")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_selector("[data-error-summary]")
    # The summary can be in the DOM before the stylesheet applies: measured
    # then, the unstyled page was wider than 320 px (a CI flake, stop 23).
    page.wait_for_load_state("load")


def _open(page, live_server, path: str, then) -> None:
    page.goto(live_server.url + path)
    if then:
        then(page)


# --- SC 2.4.11: focus not obscured -------------------------------------------------
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const r = el.getBoundingClientRect();
  const found = {
    key: [el.tagName, el.id, el.name || "", el.value || "",
          el.textContent.trim().slice(0, 30)].join("|"),
    top: r.top, bottom: r.bottom, covered: false,
  };
  const bar = document.querySelector(".sticky-actions");
  if (bar && !bar.contains(el) && getComputedStyle(bar).position === "sticky") {
    const b = bar.getBoundingClientRect();
    found.bar = b.top;
    found.covered = r.bottom > b.top && r.top < b.bottom
      && r.right > b.left && r.left < b.right;
  }
  return found;
}"""


def _tab_through(page, limit: int = 160) -> list[dict]:
    """Tab from the top of the page until focus comes round again. Every stop
    is checked; a date or time input takes a Tab per part (month, day, year)
    and counts once."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    stops, seen, last = [], set(), None
    for _ in range(limit):
        page.keyboard.press("Tab")
        found = page.evaluate(FOCUSED)
        if found is None or (found["key"] in seen and found["key"] != last):
            break
        if found["key"] != last:
            seen.add(found["key"])
            stops.append(found)
        elif found["covered"]:
            stops.append(found)
        last = found["key"]
    return stops


@pytest.mark.parametrize("size", ["phone", "zoom200"])
def test_sticky_submit_bar_never_covers_the_focused_element(
    page_at, live_server, mentor, mentor_pages, size
):
    page = page_at(size)
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    tabbed = {}
    for name, path, then in mentor_pages:
        _open(page, live_server, path, then)
        stops = _tab_through(page)
        tabbed[name] = len(stops)
        covered = [stop for stop in stops if stop["covered"]]
        assert covered == [], (name, covered)
    # The log form was walked field by field, not stopped early.
    assert tabbed["new-log"] > 30, tabbed
    assert tabbed["new-log-no-show"] < tabbed["new-log"], tabbed


def test_the_bar_is_sticky_on_a_phone_and_not_at_200_percent(
    page_at, live_server, mentor
):
    """At 200 % the bar took 157 of 481 px: there it stays at the form's end."""
    for size, position in (("phone", "sticky"), ("zoom200", "static")):
        page = page_at(size)
        sign_in(page, live_server, mentor.user.username, lands_on="/week/")
        page.goto(live_server.url + reverse("log_create"))
        bar = page.locator(".sticky-actions")
        assert bar.evaluate("el => getComputedStyle(el).position") == position
        if position == "sticky":
            assert bar.bounding_box()["height"] < 844 / 5


# --- SC 1.4.10: reflow -------------------------------------------------------------
def _boxes(page, *labels: str) -> list[dict]:
    return [page.get_by_label(label, exact=True).bounding_box() for label in labels]


@pytest.mark.parametrize("size", ["narrow320", "zoom200", "phone"])
def test_mentor_pages_reflow_without_sideways_scrolling(
    page_at, live_server, mentor, mentor_pages, size
):
    page = page_at(size)
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    width = SIZES[size]["viewport"]["width"]
    for name, path, then in mentor_pages:
        _open(page, live_server, path, then)
        assert page.evaluate(
            "document.scrollingElement.scrollWidth <= window.innerWidth"
        ), (name, page.evaluate("document.scrollingElement.scrollWidth"))
    page.goto(live_server.url + reverse("log_create"))
    date, time = _boxes(page, "Date", "Start time")
    if size == "phone":
        assert date["y"] == time["y"]  # two fit side by side
    else:
        # Stacked: the date's full width, the time below it.
        assert time["y"] >= date["y"] + date["height"]
        assert date["width"] >= width - 40
    # The date is shown whole: its text fits its box.
    assert page.get_by_label("Date", exact=True).evaluate(
        "el => el.scrollWidth <= el.clientWidth"
    )
    screenshot(page, f"log-form-{size}")


def test_my_logs_are_cards_on_a_phone_and_a_table_on_a_desk(
    page_at, live_server, mentor, mentor_pages
):
    for size, display in (("phone", "block"), ("desk", "table-cell")):
        page = page_at(size)
        sign_in(page, live_server, mentor.user.username, lands_on="/week/")
        page.goto(live_server.url + reverse("log_list"))
        cells = page.locator("table.table-cards tbody tr").first.locator("td")
        assert cells.count() == 5
        for i in range(5):
            cell = cells.nth(i)
            assert cell.evaluate("el => getComputedStyle(el).display") == display
            assert cell.is_visible()
        if size == "phone":
            status = page.locator("td[data-label='Status']").first
            label = status.evaluate("el => getComputedStyle(el, '::before').content")
            assert label == '"Status: "'
        screenshot(page, f"my-logs-{size}")


# --- axe-core on every mentor page -------------------------------------------------
@pytest.mark.parametrize("size", ["phone", "desk", "zoom200"])
def test_axe_finds_nothing_serious_on_any_mentor_page(
    page_at, live_server, mentor, mentor_pages, size
):
    """target-size (WCAG 2.2 AA) included: AXE_TAGS names wcag22aa."""
    page = page_at(size)
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    for _name, path, then in mentor_pages:
        _open(page, live_server, path, then)
        check_accessibility(page)
    assert [e for e in page.console_errors if "status of 400" not in e] == []


# --- the error summary -------------------------------------------------------------
@pytest.mark.parametrize("size", ["phone", "zoom200"])
def test_error_summary_takes_focus_and_links_to_each_field(
    page_at, live_server, mentor, participant, size
):
    page = page_at(size)
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    page.goto(live_server.url + reverse("log_create"))
    page.get_by_role("button", name="Submit", exact=True).click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    # The summary is in the page before its script has run: wait for the script
    # (it moves focus) rather than read focus the moment the element appears.
    page.wait_for_load_state("load")
    page.wait_for_function(
        "document.activeElement && document.activeElement.hasAttribute("
        "'data-error-summary')",
        timeout=5000,
    )
    assert page.title().startswith("Error: ")
    assert "There are 3 problems" in summary.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"log-form-errors-{size}.png"))
    summary.get_by_role("link", name="Write a few sentences about the contact.").click()
    assert page.evaluate("document.activeElement.name") == "narrative"
    assert page.get_by_text("Summary of the contact").first.is_visible()
    assert [e for e in page.console_errors if "status of 400" not in e] == []


# --- taps ----------------------------------------------------------------------------
class Taps:
    """Counts the taps a mentor makes; typing after a tap is not a tap."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def tap(self, locator, text: str | None = None):
        locator.click()
        self.count += 1
        if text is not None:
            locator.press_sequentially(text, delay=0)


def test_a_routine_log_takes_9_taps_and_a_no_show_3(
    page_at, live_server, mentor, participant
):
    """Issue 13 found 18 taps and 6. The defaults (participant from the Log
    button, "We met", today, now, in person) leave only what differs."""
    page = page_at("phone")
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    taps = Taps(page)
    taps.tap(page.get_by_role("link", name="Log NYC-0001"))
    page.wait_for_url("**/logs/new/**")
    taps.tap(page.get_by_label("How long (minutes)"), "45")
    taps.tap(page.get_by_label("Where", exact=True), "Library")
    taps.tap(page.get_by_label("Did a CO breath test"))
    taps.tap(page.get_by_label("Cravings and triggers"))
    taps.tap(page.get_by_label("Working on quitting smoking"))
    taps.tap(page.get_by_label("CO reading (ppm)"), "12")
    taps.tap(
        page.get_by_label("Summary of the contact"),
        "We walked to the library and planned the morning cravings.",
    )
    taps.tap(page.get_by_role("button", name="Submit", exact=True))
    page.get_by_text("Your log is submitted").wait_for()
    assert taps.count == 9
    log = InteractionLog.objects.get()
    assert (log.participant, log.mode, log.status) == (
        participant,
        InteractionLog.Mode.IN_PERSON,
        InteractionLog.Status.SUBMITTED,
    )

    page.goto(live_server.url + reverse("my_week"))
    taps = Taps(page)
    taps.tap(page.get_by_role("link", name="Log NYC-0001"))
    page.wait_for_url("**/logs/new/**")
    taps.tap(page.get_by_label("No-show"))
    taps.tap(page.get_by_role("button", name="Submit", exact=True))
    page.get_by_text("Your log is submitted").wait_for()
    assert taps.count == 3
    assert InteractionLog.objects.filter(outcome="no_show").count() == 1


def test_questions_a_submit_needs_show_a_star_that_an_attempt_drops(
    page_at, live_server, mentor
):
    page = page_at("phone")
    sign_in(page, live_server, mentor.user.username, lands_on="/week/")
    page.goto(live_server.url + reverse("log_create"))

    def star(field: str) -> str:
        return page.locator(f"#div_id_{field} .form-label").evaluate(
            "el => getComputedStyle(el, '::after').content"
        )

    for field in ("participant", "mode", "start_time", "narrative"):
        assert star(field).startswith('"*"'), field
    assert star("place") == "none"
    narrative = page.locator("#id_narrative")
    assert narrative.get_attribute("aria-required") == "true"
    page.get_by_label("No-show").check()
    assert star("participant").startswith('"*"')
    assert star("narrative") == "none"
    assert narrative.get_attribute("aria-required") == "false"
    assert page.evaluate("document.getElementById('id_narrative').required") is False
    # The star is not read out: the question's name is the question.
    assert page.get_by_label("Participant", exact=True).count() == 1


def test_an_offline_copy_opened_later_moves_the_default_time_on(
    browser, live_server, mentor, pinned_clock
):
    """Without a signal the service worker shows the new-log page it kept; its
    "now" was the moment the server made it. Opened 2 h 10 min later by the
    phone's clock, the form says the later time; online the server's time
    stands. The server's clock is set 2 h 10 min behind the machine's (the
    browser's and its worker's, which Playwright cannot pin together)."""
    real_now = dt.datetime.fromtimestamp(escape_hatch.time.time(), tz=dt.UTC)
    pinned_clock.move_to(real_now - dt.timedelta(hours=2, minutes=10))
    ny = ZoneInfo("America/New_York")
    made = (real_now - dt.timedelta(hours=2, minutes=10)).astimezone(ny)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        sign_in(page, live_server, mentor.user.username, lands_on="/week/")
        page.goto(live_server.url + reverse("log_create"))
        assert page.get_by_label("Start time").input_value() == f"{made:%H:%M}"
        wait_until_ready_offline(page)
        context.set_offline(True)
        page.goto(live_server.url + reverse("log_create"))
        assert page.locator("#log-form[data-offline-copy]").count() == 1
        shown = page.get_by_label("Start time").input_value()
        day = page.get_by_label("Date", exact=True).input_value()
        moved = dt.datetime.fromisoformat(f"{day}T{shown}").replace(tzinfo=ny)
        later = made + dt.timedelta(hours=2, minutes=10)
        assert abs(moved - later.replace(second=0, microsecond=0)) <= dt.timedelta(
            minutes=2
        )
    finally:
        context.close()

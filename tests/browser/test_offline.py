"""Filing that never loses a word (issue 13), on a 390 × 844 phone in Chromium,
and on the same phone at 200 % zoom:
the form opens without a signal, Submit keeps the whole form on the phone,
and it is sent when the signal is back: filed once, refused back to the
mentor with the reason, or kept beside a newer server version. Signing out
leaves nothing on the phone; an expired session asks for sign-in, then sends."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from logs_app.fields import OPTION_FIELDS, SCALAR_FIELDS
from logs_app.models import InteractionLog, LogAutosave
from logs_app.services import log_save
from mentors.models import Assignment
from tests.browser.chromium import PHONE, ZOOM_200, submit_sign_in
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    fill_contact_date_yesterday,
    page_in,
    screenshot,
    sign_in,
)
from tests.factories import PASSWORD, InteractionLogFactory

pytestmark = BROWSER_TEST

# Every kind of character a mentor might type, line breaks included.
TYPED = (
    "Met at the café near the clinic — Jay said “one day at a time” & <b>meant</b> "
    "it. 🚭 Cravings at 7:30; plan: walk first.\nSecond line: ünïcödé, 100 % sure."
)
QUEUED = "Saved on this phone. It will be sent when you are back online."


SIZES = {"phone": {"viewport": PHONE}, "zoom200": ZOOM_200}


@pytest.fixture(params=list(SIZES))
def context(browser, request):
    context = browser.new_context(service_workers="allow", **SIZES[request.param])
    yield context
    context.close()


def shot(page, name: str) -> None:
    """A screenshot named for the size it was taken at."""
    zoomed = page.viewport_size["width"] != PHONE["width"]
    screenshot(page, f"{name}-zoom200" if zoomed else name)


def wait_until_ready_offline(page) -> None:
    """The worker controls the page and keeps the two offline pages."""
    ready = """async () => {
      if (!navigator.serviceWorker.controller) { return false; }
      const cache = await caches.open('peerlog-pages');
      return (await cache.keys()).length === 2;
    }"""
    # wait_for_function does not wait for a promise. Up to 30 s: on a busy
    # machine the worker's install and first refresh took more than 10 s.
    for _ in range(300):
        if page.evaluate(ready):
            return
        page.wait_for_timeout(100)
    pytest.fail("the offline pages were not kept")


def device_storage(page) -> dict:
    return page.evaluate(
        """async () => ({
          databases: (await indexedDB.databases()).map(db => db.name),
          caches: await caches.keys(),
          workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )


def outbox_records(page) -> list:
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
          const request = indexedDB.open('peerlog', 1);
          request.onupgradeneeded = () => {
            request.result.createObjectStore('outbox', {keyPath: 'key'});
            request.result.createObjectStore('meta', {keyPath: 'name'});
          };
          request.onsuccess = () => {
            const db = request.result;
            const all = db.transaction('outbox').objectStore('outbox').getAll();
            all.onsuccess = () => { db.close(); resolve(all.result); };
          };
          request.onerror = () => reject(request.error);
        })"""
    )


def type_log_offline(context, live_server, participant, *, narrative=TYPED):
    """Signed in online, then the signal goes; the form opens from the phone
    and everything is typed and submitted without a signal."""
    page = page_in(context)
    sign_in(page, live_server, "mentor", lands_on="/week/")
    wait_until_ready_offline(page)
    context.set_offline(True)
    page.goto(
        live_server.url + reverse("log_create") + f"?participant={participant.pk}"
    )
    assert page.get_by_label("Participant", exact=True).input_value() == str(
        participant.pk
    )
    fill_contact_date_yesterday(page, participant.site)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("How long (minutes)").fill("45")
    page.get_by_label("In person").check()
    page.get_by_label("Cravings and triggers").check()
    page.get_by_label("Summary of the contact").fill(narrative)
    return page


def submit_offline(page) -> None:
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url("**/week/?queued=*")
    page.get_by_text(QUEUED).wait_for()
    assert "Waiting on this phone to be sent: 1" in page.locator("#outbox").inner_text()


def reopen_online(context, live_server):
    context.set_offline(False)
    page = page_in(context)
    page.goto(live_server.url + reverse("my_week"))
    return page


def test_offline_submit_files_one_log_with_every_character(
    context, live_server, mentor, participant
):
    page = type_log_offline(context, live_server, participant)
    shot(page, "offline-new-log-phone")
    submit_offline(page)
    check_accessibility(page)
    shot(page, "offline-saved-on-phone")
    assert not InteractionLog.objects.exists()
    page.close()  # the tab is closed while still offline

    page = reopen_online(context, live_server)
    page.get_by_text("Sent from this phone:").wait_for()
    log = InteractionLog.objects.get()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.narrative.replace("\r\n", "\n") == TYPED
    assert [t.code for t in log.topics.all()] == ["cravings_triggers"]
    check_accessibility(page)
    shot(page, "offline-sent-phone")
    # Opening again sends nothing twice.
    page.reload()
    page.wait_for_load_state("networkidle")
    assert InteractionLog.objects.count() == 1
    assert page.console_errors == []


def test_refused_log_comes_back_with_the_reason_and_nothing_lost(
    context, live_server, mentor, participant
):
    page = type_log_offline(context, live_server, participant)
    typed_day = page.get_by_label("Date", exact=True).input_value()
    submit_offline(page)
    page.close()
    # Meanwhile the assignment was ended before the contact date.
    day = dt.date.fromisoformat(typed_day)
    Assignment.objects.filter(mentor=mentor).update(end_date=day - dt.timedelta(3))

    page = reopen_online(context, live_server)
    page.get_by_text("Not sent, open it to fix:").wait_for()
    assert "was not assigned to you" in page.locator("#outbox").inner_text()
    assert not InteractionLog.objects.exists()
    check_accessibility(page)
    shot(page, "offline-refused-phone")
    # The sync's 400 is the refusal it expects; nothing else may fail.
    page.console_errors = [e for e in page.console_errors if "400" not in e]

    page.locator("#outbox a").first.click()
    page.wait_for_url("**/logs/new/?outbox=*")
    note = page.locator("#outbox-error-contact_date")
    note.wait_for()
    assert "was not assigned to you" in note.inner_text()
    # The same error summary as a form the server refuses (part B): a count,
    # a link to the field, focus on it, "Error:" in the title.
    summary = wait_for_error_summary(page)
    assert "There is 1 problem" in summary.inner_text()
    assert page.title().startswith("Error: ")
    link = summary.get_by_role("link")
    assert "was not assigned to you" in link.inner_text()
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_contact_date"
    assert (
        page.get_by_label("Summary of the contact").input_value().replace("\r\n", "\n")
        == TYPED
    )
    # At the top: further down the sticky bar covers fields (issue 13, part B).
    page.evaluate("window.scrollTo(0, 0)")
    check_accessibility(page)
    shot(page, "offline-refused-form-phone")
    page.get_by_label("Date", exact=True).fill((day - dt.timedelta(4)).isoformat())
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url("**/logs/*/")
    log = InteractionLog.objects.get()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.contact_date == day - dt.timedelta(4)
    assert log.narrative.replace("\r\n", "\n") == TYPED
    assert page.console_errors == []


def wait_for_error_summary(page):
    """The summary the page built from the outbox's record, once it has focus."""
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    page.wait_for_function(
        "document.activeElement && document.activeElement.hasAttribute("
        "'data-error-summary')",
        timeout=5000,
    )
    return summary


def test_a_reason_for_the_whole_log_is_in_the_error_summary(
    context, live_server, mentor, participant, other_mentor, other_participant
):
    """A refusal that names no field (here the form's key is another mentor's
    log) is listed in the summary without a link; nothing typed is lost."""
    page = type_log_offline(context, live_server, participant)
    submit_offline(page)
    [record] = outbox_records(page)
    page.close()
    InteractionLogFactory(
        mentor=other_mentor,
        participant=other_participant,
        idempotency_key=record["key"],
    )

    page = reopen_online(context, live_server)
    page.get_by_text("Not sent, open it to fix:").wait_for()
    page.console_errors = [e for e in page.console_errors if "400" not in e]
    page.locator("#outbox a").first.click()
    page.wait_for_url("**/logs/new/?outbox=*")
    summary = wait_for_error_summary(page)
    assert "There is 1 problem" in summary.inner_text()
    assert "This form has expired. Please open a new one." in summary.inner_text()
    assert summary.get_by_role("link").count() == 0
    assert page.title().startswith("Error: ")
    assert page.locator(".outbox-error").count() == 0
    assert (
        page.get_by_label("Summary of the contact").input_value().replace("\r\n", "\n")
        == TYPED
    )
    assert page.get_by_label("Cravings and triggers").is_checked()
    page.evaluate("window.scrollTo(0, 0)")
    check_accessibility(page)
    screenshot(page, "offline-refused-whole-log-phone")
    assert page.console_errors == []


def test_newer_server_version_keeps_both_and_asks(
    context, live_server, mentor, participant, settings
):
    settings.PEERLOG_AUTOSAVE_INTERVAL_MS = 300
    page = page_in(context)
    sign_in(page, live_server, "mentor", lands_on="/week/")
    wait_until_ready_offline(page)
    page.goto(
        live_server.url + reverse("log_create") + f"?participant={participant.pk}"
    )
    page.get_by_label("Summary of the contact").fill("Started online.")
    page.get_by_text("Saved automatically").wait_for(timeout=5000)
    draft = InteractionLog.objects.get()
    page.wait_for_url(f"**/logs/{draft.pk}/edit/")

    context.set_offline(True)
    fill_contact_date_yesterday(page, participant.site)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("How long (minutes)").fill("45")
    page.get_by_label("In person").check()
    page.get_by_label("Summary of the contact").fill(TYPED)
    submit_offline(page)
    page.close()

    # The draft was changed on another device meanwhile.
    draft.refresh_from_db()
    values = {name: getattr(draft, name) for name in SCALAR_FIELDS}
    values.update({name: list(getattr(draft, name).all()) for name in OPTION_FIELDS})
    log_save(
        actor=mentor.user,
        mentor=mentor,
        values={**values, "narrative": "Written on the office computer."},
        idempotency_key=draft.idempotency_key,
        log=draft,
        expected_version=draft.version,
        submit=False,
    )

    page = reopen_online(context, live_server)
    page.get_by_text("Both versions are kept").wait_for()
    check_accessibility(page)
    shot(page, "offline-conflict-phone")
    log = InteractionLog.objects.get()
    assert log.narrative == "Written on the office computer."
    kept = LogAutosave.objects.get(log=log)
    assert kept.data["narrative"][0].replace("\r\n", "\n") == TYPED

    page.locator("#outbox a").first.click()
    page.wait_for_url(f"**/logs/{log.pk}/edit/")
    page.get_by_text("Check them first").wait_for()
    # The sync's 409 is the answer it expects; nothing else may fail.
    page.console_errors = [e for e in page.console_errors if "409" not in e]
    assert (
        page.get_by_label("Summary of the contact").input_value().replace("\r\n", "\n")
        == TYPED
    )
    assert page.console_errors == []


def wait_for_outbox(page) -> None:
    """What the page started on load (sending, refreshing the offline copies)
    has finished."""
    page.wait_for_function("window.PeerlogOutbox !== undefined")
    page.evaluate("window.PeerlogOutbox.ready")


def open_menu(page) -> None:
    """Open the collapsed menu and wait until it has stopped moving: at 200 %
    zoom a click during Bootstrap's animation can land on the link above."""
    page.get_by_role("button", name="Menu").click()
    page.locator("#nav.collapse.show").wait_for()


def sign_out(page) -> None:
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")


def test_sign_out_leaves_nothing_on_the_phone(
    context, live_server, mentor, participant
):
    page = type_log_offline(context, live_server, participant)
    submit_offline(page)
    context.set_offline(False)  # the open page sends it when the signal returns
    for _ in range(100):
        if InteractionLog.objects.exists():
            break
        page.wait_for_timeout(100)
    page.goto(live_server.url + reverse("offline_shell"))
    wait_for_outbox(page)
    assert outbox_records(page) == []
    before = device_storage(page)
    assert before["databases"] == ["peerlog"]
    assert "peerlog-pages" in before["caches"]
    sign_out(page)
    assert device_storage(page) == {"databases": [], "caches": [], "workers": 0}
    assert InteractionLog.objects.get().narrative.replace("\r\n", "\n") == TYPED


def test_sign_out_while_the_page_is_starting_leaves_nothing(
    context, live_server, mentor, participant
):
    """A mentor who signs out the moment a page opens, while it is still
    refreshing the offline copies: the page waits for that before wiping, and
    the sign-out's Clear-Site-Data catches whatever a page could not wipe."""
    page = page_in(context)
    sign_in(page, live_server, "mentor", lands_on="/week/")
    wait_until_ready_offline(page)
    page.evaluate("PeerlogStore.dropMeta('pagesAt')")  # the next page refreshes them
    page.goto(live_server.url + reverse("my_week"), wait_until="commit")
    sign_out(page)
    assert device_storage(page) == {"databases": [], "caches": [], "workers": 0}


def test_sign_out_with_unsent_logs_asks_first(
    context, live_server, mentor, participant
):
    page = type_log_offline(context, live_server, participant)
    submit_offline(page)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    for _ in range(150):  # the question comes at once; a busy machine is slow
        if asked:
            break
        page.wait_for_timeout(100)
    assert asked and "not sent yet" in asked[0]
    assert device_storage(page)["databases"] == ["peerlog"]  # still there


def test_expired_session_asks_for_sign_in_then_sends(
    context, live_server, mentor, participant
):
    page = type_log_offline(context, live_server, participant)
    submit_offline(page)
    Session.objects.all().delete()  # the session ended while the phone was away

    context.set_offline(False)  # the page is still open: the signal comes back
    page.get_by_role("link", name="Sign in to send them.").wait_for()
    shot(page, "offline-sign-in-phone")
    assert not InteractionLog.objects.exists()
    page.get_by_role("link", name="Sign in to send them.").click()
    page.wait_for_url("**/accounts/login/**")
    page.get_by_text("Waiting on this phone to be sent: 1").wait_for()
    submit_sign_in(page, "mentor", PASSWORD)
    page.wait_for_url("**/week/**")
    page.get_by_text("Sent from this phone:").wait_for()
    log = InteractionLog.objects.get()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.narrative.replace("\r\n", "\n") == TYPED


def test_a_week_without_use_wipes_the_phone(context, live_server, mentor, participant):
    page = type_log_offline(context, live_server, participant)
    submit_offline(page)
    page.evaluate("PeerlogStore.setMeta('lastUsed', Date.now() - 8 * 24 * 3600 * 1000)")
    with pytest.raises(PlaywrightError):  # offline, and the phone's copy is gone
        page.goto(live_server.url + reverse("log_create"))
    context.set_offline(False)
    page.goto(live_server.url + "/sw.js")  # a page of the site that keeps nothing
    assert device_storage(page)["caches"] == []
    assert outbox_records(page) == []


def test_idle_sign_out_without_a_signal_keeps_the_form(
    context, live_server, mentor, participant, settings
):
    """The idle sign-out used to take the page to sign-in whatever the
    signal: offline, that lost the form and everything typed in it."""
    page = page_in(context)
    sign_in(page, live_server, "mentor", lands_on="/week/")
    wait_until_ready_offline(page)
    settings.PEERLOG_SESSION_IDLE_SECONDS = 4
    settings.PEERLOG_SESSION_WARNING_SECONDS = 3
    page.goto(
        live_server.url + reverse("log_create") + f"?participant={participant.pk}"
    )
    context.set_offline(True)
    page.get_by_label("Summary of the contact").fill(TYPED)
    page.wait_for_timeout(6000)  # past the session's end by the page's count
    assert page.url.endswith(f"?participant={participant.pk}")
    assert page.get_by_label("Summary of the contact").input_value() == TYPED
    fill_contact_date_yesterday(page, participant.site)
    page.get_by_label("Start time").fill("10:30")
    page.get_by_label("How long (minutes)").fill("45")
    page.get_by_label("In person").check()
    submit_offline(page)
    assert outbox_records(page)[0]["fields"]

"""A mentor on a phone files a log end to end in a real browser."""

import re

from django.urls import reverse

from logs_app.models import InteractionLog
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    fill_contact_date_yesterday,
    screenshot,
    sign_in,
)

pytestmark = BROWSER_TEST


def sign_in_to_my_week(page, live_server, username: str) -> None:
    sign_in(page, live_server, username, "/week/")
    page.console_errors.clear()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_mentor_drafts_autosaves_and_submits_from_a_phone(
    phone, live_server, mentor, participant, settings
):
    settings.PEERLOG_AUTOSAVE_INTERVAL_MS = 300
    sign_in_to_my_week(phone, live_server, mentor.user.username)
    assert phone.get_by_text("NYC-0001 – Jay").is_visible()
    assert no_sideways_scroll(phone)
    check_accessibility(phone)
    screenshot(phone, "my-week-phone")

    phone.get_by_role("link", name="Log NYC-0001").click()
    phone.wait_for_url("**/logs/new/**")
    assert phone.get_by_label("Participant", exact=True).input_value() == str(
        participant.pk
    )

    # Typing autosaves a draft on the server (REL-1) and the URL follows it.
    phone.get_by_label("Summary of the contact").fill(
        "We walked to the library and planned how to handle morning cravings."
    )
    phone.get_by_text("Saved automatically").wait_for(timeout=5000)
    # The words come from the page (data-t-saved), the time from the script.
    status = phone.locator("#autosave-status").inner_text()
    assert re.fullmatch(r"Saved automatically at \d\d:\d\d( [AP]M)?", status), status
    draft = InteractionLog.objects.get()
    assert draft.status == InteractionLog.Status.DRAFT
    assert "library" in draft.narrative
    phone.wait_for_url(f"**/logs/{draft.pk}/edit/")

    # An attempt hides the meeting-only questions; a meeting shows them again.
    phone.get_by_label("Tried – no answer").check()
    assert not phone.get_by_text("What you did", exact=True).is_visible()
    phone.get_by_label("We met").check()
    assert phone.get_by_text("What you did", exact=True).is_visible()

    fill_contact_date_yesterday(phone, participant.site)
    phone.get_by_label("Start time").fill("10:30")
    phone.get_by_label("How long (minutes)").fill("45")
    phone.get_by_label("In person").check()
    phone.get_by_label("Cravings and triggers").check()
    phone.get_by_label("Working on quitting smoking").check()
    assert no_sideways_scroll(phone)
    check_accessibility(phone)
    screenshot(phone, "new-log-phone")
    phone.get_by_role("button", name="Submit", exact=True).click()

    phone.get_by_text("Your log is submitted").wait_for()
    assert no_sideways_scroll(phone)
    check_accessibility(phone)
    screenshot(phone, "log-detail-phone")
    log = InteractionLog.objects.get()
    assert log.pk == draft.pk
    assert log.status == InteractionLog.Status.SUBMITTED
    assert [t.code for t in log.topics.all()] == ["cravings_triggers"]
    assert phone.console_errors == []


def test_submit_errors_show_next_to_the_field_and_keep_the_text(
    phone, live_server, mentor, participant
):
    sign_in_to_my_week(phone, live_server, mentor.user.username)
    phone.goto(live_server.url + reverse("log_create"))
    phone.get_by_label("Participant", exact=True).select_option(str(participant.pk))
    phone.get_by_label("How long (minutes)").fill("900")
    phone.get_by_label("Summary of the contact").fill(
        "We talked about the patch and sleep."
    )
    phone.get_by_role("button", name="Submit", exact=True).click()
    field_error = phone.locator(
        "#id_duration_minutes ~ .invalid-feedback, #error_1_id_duration_minutes"
    )
    field_error.first.wait_for()
    assert "between 1 and 600" in field_error.first.inner_text()
    assert (
        phone.get_by_label("Summary of the contact").input_value()
        == "We talked about the patch and sleep."
    )
    check_accessibility(phone)
    screenshot(phone, "log-errors-phone")
    # The form answers 400 on purpose (the browser logs that); nothing else failed.
    assert [e for e in phone.console_errors if "status of 400" not in e] == []

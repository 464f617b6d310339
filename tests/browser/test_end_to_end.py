"""One story end to end in a real browser, as new users would go through it:
a mentor on a phone files a log with a reflection; the supervisor signs in
with two-step sign-in (AUTH-4) by keyboard alone, reviews it from the queue
and leaves feedback; the mentor signs in again and reads it; research staff
with an export right (EXP-1), also through two-step sign-in, preview and
download a CSV holding the log. Every page is audited with axe-core (WCAG 2.2
AA, serious and critical) and photographed into test-artifacts/."""

import csv
import datetime as dt
import io
import re
import time

from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from exports.models import ExportLevel, ExportRight
from logs_app.models import InteractionLog, LogComment
from tests.accounts.conftest import totp_code
from tests.browser.chromium import DESK, PHONE, submit_sign_in
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    fill_contact_date_yesterday,
    new_page,
    screenshot,
)
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST

SUMMARY = "We walked to the library and planned how to get through the mornings."
REFLECTION = "I felt hopeful; it reminded me of my own first weeks without smoking."
FEEDBACK = "Lovely, clear summary. Thank you for sharing how it felt for you."


def quick_page(browser, viewport):
    """A new page that fails a step after 10 s rather than 30 s."""
    page = new_page(browser, viewport)
    page.context.set_default_timeout(10_000)
    return page


def audit_sign_in(page, live_server, username: str, lands_on: str) -> None:
    """Sign in as `sign_in` does, auditing the sign-in page on the way."""
    page.goto(live_server.url + reverse("login"))
    check_accessibility(page)
    submit_sign_in(page, username, PASSWORD)
    page.wait_for_url(f"**{lands_on}")


def tab_to(page, selector: str, limit: int = 25) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(
            "s => document.activeElement === document.querySelector(s)", selector
        ):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def wrong_code(device) -> str:
    """A well-formed code the device does not accept now."""
    now = {totp_code(device, at=time.time() + d) for d in (-30, 0, 30)}
    return next(c for c in ("000000", "123456", "999999") if c not in now)


def test_mentor_files_supervisor_reviews_mentor_reads_staff_exports(
    browser, live_server, mentor, participant, supervisor, staff, settings, tmp_path
):
    settings.PEERLOG_2FA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code, then the right one
    settings.PEERLOG_EXPORT_DIR = str(tmp_path / "exports")
    # Both already set up an authenticator app (enrolment has its own test).
    supervisor_app = TOTPDevice.objects.create(user=supervisor, name="phone")
    staff_app = TOTPDevice.objects.create(user=staff, name="phone")
    ExportRight.objects.create(
        user=staff, level=ExportLevel.TEXT, granted_at=dt.datetime.now(dt.UTC)
    )

    # 1. The mentor, on a phone, files a log with a reflection and submits it.
    phone = quick_page(browser, PHONE)
    audit_sign_in(phone, live_server, mentor.user.username, "/week/")
    check_accessibility(phone)
    screenshot(phone, "e2e-1-mentor-week-phone")
    phone.get_by_role("link", name="Log NYC-0001").click()
    phone.wait_for_url("**/logs/new/**")
    check_accessibility(phone)
    phone.get_by_label("We met").check()
    fill_contact_date_yesterday(phone, participant.site)
    phone.get_by_label("Start time").fill("10:30")
    phone.get_by_label("How long (minutes)").fill("45")
    phone.get_by_label("In person").check()
    phone.get_by_label("Cravings and triggers").check()
    phone.get_by_label("Summary of the contact").fill(SUMMARY)
    phone.get_by_label("How did this contact affect you?").fill(REFLECTION)
    check_accessibility(phone)
    screenshot(phone, "e2e-2-mentor-log-form-phone")
    phone.get_by_role("button", name="Submit", exact=True).click()
    phone.get_by_text("Your log is submitted").wait_for()
    check_accessibility(phone)
    screenshot(phone, "e2e-3-mentor-submitted-phone")
    log = InteractionLog.objects.get()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.reflection_feelings == REFLECTION
    assert phone.console_errors == []
    phone.context.close()

    # 2. The supervisor signs in with the keyboard alone, two-step included.
    desk = quick_page(browser, DESK)
    desk.goto(live_server.url + reverse("login"))
    tab_to(desk, "#id_username")
    desk.keyboard.type(supervisor.username)
    desk.keyboard.press("Tab")
    desk.keyboard.type(PASSWORD)
    desk.keyboard.press("Enter")
    desk.wait_for_url("**/accounts/two-factor/**")
    tab_to(desk, "#id_code")
    desk.keyboard.type(wrong_code(supervisor_app))
    tab_to(desk, "form:has(#id_code) button[type=submit]")
    desk.keyboard.press("Space")
    # The error is announced with its field: tied to it and right beside it.
    desk.get_by_text("That code did not work").wait_for()
    code = desk.locator("#id_code")
    assert code.get_attribute("aria-invalid") == "true"
    described_by = (code.get_attribute("aria-describedby") or "").split()
    assert any(
        desk.evaluate(
            """id => {
                const note = document.getElementById(id);
                const field = document.getElementById("id_code");
                return !!note && note.textContent.includes("That code did not work")
                    && note.parentElement === field.parentElement;
            }""",
            note_id,
        )
        for note_id in described_by
    ), described_by
    check_accessibility(desk)
    screenshot(desk, "e2e-4-supervisor-code-error")
    tab_to(desk, "#id_code")
    desk.keyboard.type(totp_code(supervisor_app))
    desk.keyboard.press("Enter")
    desk.wait_for_url("**/team/")
    check_accessibility(desk)

    # 3. ... reviews the log from the queue and leaves feedback.
    desk.get_by_role("link", name="Review", exact=True).click()
    desk.wait_for_url("**/review/")
    check_accessibility(desk)
    screenshot(desk, "e2e-5-supervisor-queue")
    desk.get_by_role("link", name=re.compile(r"^NYC-0001 · ")).click()
    desk.get_by_text(REFLECTION).wait_for()
    check_accessibility(desk)
    desk.get_by_label("Feedback for the mentor").fill(FEEDBACK)
    screenshot(desk, "e2e-6-supervisor-review")
    desk.get_by_role("button", name="Mark reviewed").click()
    desk.get_by_text("Marked reviewed. Your feedback is with the mentor.").wait_for()
    check_accessibility(desk)
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED
    assert log.reviewed_by == supervisor
    assert LogComment.objects.get().body == FEEDBACK
    # The wrong code answers 400 on purpose (the browser logs that); nothing else.
    assert [e for e in desk.console_errors if "status of 400" not in e] == []
    desk.context.close()

    # 4. The mentor signs in again and reads the feedback.
    phone = quick_page(browser, PHONE)
    audit_sign_in(phone, live_server, mentor.user.username, "/week/")
    assert phone.get_by_text("New feedback from your supervisor").is_visible()
    check_accessibility(phone)
    phone.locator("#unread-h ~ ul a").first.click()
    phone.get_by_text(FEEDBACK).wait_for()
    check_accessibility(phone)
    screenshot(phone, "e2e-7-mentor-feedback-phone")
    phone.get_by_role("button", name="I've read this feedback").click()
    phone.get_by_text("marked as read").wait_for()
    assert LogComment.objects.get().acknowledged_at is not None
    assert phone.console_errors == []
    phone.context.close()

    # 5. Research staff sign in with a code, preview and download a CSV.
    desk = quick_page(browser, DESK)
    audit_sign_in(desk, live_server, staff.username, "/accounts/two-factor/**")
    check_accessibility(desk)
    desk.get_by_label("Code").fill(totp_code(staff_app))
    desk.get_by_role("button", name="Continue").click()
    desk.get_by_role("link", name="Export", exact=True).click()
    desk.wait_for_url("**/export/")
    check_accessibility(desk)
    desk.get_by_label("With text: adds narratives and reflections").check()
    desk.get_by_label("CSV, one row per log", exact=True).check()
    desk.get_by_role("button", name="Preview").click()
    desk.get_by_text("1 log will be exported.").wait_for()
    check_accessibility(desk)
    screenshot(desk, "e2e-8-staff-export-preview")
    with desk.expect_download() as caught:
        desk.get_by_role("button", name="Download now").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(
        csv.DictReader(io.StringIO(download.path().read_text(encoding="utf-8-sig")))
    )
    mine = [row for row in rows if row["log_id"] == str(log.pk)]
    assert len(mine) == 1, rows
    assert mine[0]["narrative"] == SUMMARY
    assert "NYC-0001" not in download.path().read_text(encoding="utf-8-sig")
    assert desk.console_errors == []
    desk.context.close()

"""Sign-in security in a real browser, on a phone: a supervisor sets up
two-step sign-in (AUTH-4); a mentor is warned before an idle sign-out, stays,
and is then signed out with the way back to the page (SES-1/3)."""

from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.conftest import totp_code
from tests.browser.chromium import submit_sign_in
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import PASSWORD

pytestmark = BROWSER_TEST


def test_auth_4_supervisor_sets_up_two_step_sign_in_on_a_phone(
    phone, live_server, supervisor, settings
):
    settings.PEERLOG_2FA_REQUIRED = True
    sign_in(
        phone, live_server, supervisor.username, "/accounts/two-factor/setup/?next=/"
    )
    assert phone.get_by_role("heading", name="Set up two-step sign-in").is_visible()
    assert phone.locator("svg title").text_content().startswith("QR code")
    phone.get_by_text("Can't scan? Type this key instead").click()
    assert phone.locator("#manual-key").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
    check_accessibility(phone)
    screenshot(phone, "two-factor-setup-phone")

    device = TOTPDevice.objects.get(user=supervisor)
    phone.get_by_label("Code").fill(totp_code(device))
    phone.get_by_role("button", name="Turn on two-step sign-in").click()
    phone.get_by_role("heading", name="Your backup codes").wait_for()
    assert phone.locator("#backup-codes li").count() == 10
    check_accessibility(phone)
    screenshot(phone, "two-factor-backup-codes-phone")
    phone.get_by_role("link", name="I have kept them — continue").click()
    phone.wait_for_url("**/team/")
    check_accessibility(phone)
    assert phone.console_errors == []


def test_ses_3_warning_then_stay_signed_in_then_idle_sign_out(
    phone, live_server, mentor, settings
):
    # A short session so the test takes seconds: warned at once, out after 4 s.
    settings.PEERLOG_SESSION_IDLE_SECONDS = 4
    settings.PEERLOG_SESSION_WARNING_SECONDS = 3
    sign_in(phone, live_server, mentor.user.username, "/week/")
    warning = phone.get_by_role("alert").filter(has_text="signed out soon")
    warning.wait_for(timeout=5000)
    assert phone.get_by_role("button", name="Stay signed in").is_visible()
    screenshot(phone, "session-timeout-warning-phone")

    phone.get_by_role("button", name="Stay signed in").click()
    warning.wait_for(state="hidden", timeout=3000)

    # Nothing more: the page goes to sign-in, and back to /week/ after it.
    phone.wait_for_url("**/accounts/login/?next=%2Fweek%2F", timeout=10000)
    assert phone.get_by_text("without activity").is_visible()
    check_accessibility(phone)
    screenshot(phone, "session-timeout-signed-out-phone")
    submit_sign_in(phone, mentor.user.username, PASSWORD)
    phone.wait_for_url("**/week/")
    assert [e for e in phone.console_errors if "401" not in e] == []

"""Issue 16 in a real browser, on a phone: research staff make a personal
access token with a code from their authenticator, see the secret once with a
working copy button (a static script: CSP on), and the page is accessible."""

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from exports.models import ExportRight
from tests.accounts.conftest import totp_code
from tests.browser.chromium import PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import UserFactory

pytestmark = BROWSER_TEST


def test_research_staff_make_a_token_on_a_phone(page_at, live_server, site, other_site):
    user = UserFactory(
        username="rita.research",
        first_name="Rita",
        roles=[Role.RESEARCH],
        sites=[site, other_site],
    )
    ExportRight.objects.create(user=user, level="text", granted_at=timezone.now())
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    phone = page_at(PHONE, device_scale_factor=2)
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(phone, live_server, user.username)

    phone.goto(live_server.url + "/accounts/tokens/")
    assert phone.get_by_text("You have no API tokens yet.").is_visible()
    check_accessibility(phone)
    phone.get_by_role("link", name="Make your first token").click()
    phone.get_by_label("Name").fill("Nightly pull into R")
    phone.get_by_label("With text: adds narratives and reflections").check()
    phone.get_by_label("New York").check()
    phone.get_by_label("Code from your authenticator app").fill(totp_code(device))
    check_accessibility(phone)
    phone.get_by_role("button", name="Make the token").click()

    phone.get_by_role("heading", name="Your new API token").wait_for()
    secret = phone.locator("#token-secret").input_value()
    assert secret.startswith("plg_")
    phone.get_by_role("button", name="Copy to clipboard").click()
    phone.get_by_text("Copied", exact=True).wait_for()
    assert phone.evaluate("navigator.clipboard.readText()") == secret
    assert phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
    check_accessibility(phone)
    screenshot(phone, "api-token-created-phone")

    phone.get_by_role("link", name="back to your tokens").click()
    phone.get_by_role("heading", name="API tokens").wait_for()
    assert secret not in phone.content()
    assert phone.console_errors == []

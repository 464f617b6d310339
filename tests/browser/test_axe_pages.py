"""axe-core's serious findings from the outside review (issue 11, finding 17):
the contact-type radios were smaller than 24 × 24 CSS px (WCAG 2.5.8
target-size) and the audit table scrolled sideways in a box the keyboard could
not reach (scrollable-region-focusable). The log form and the audit viewer are
audited on a phone and a desk, and photographed into test-artifacts/."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from tests.browser.chromium import DESK, PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)

pytestmark = BROWSER_TEST

# The smallest target WCAG 2.2 AA (2.5.8) asks for, in CSS px.
TARGET = 24


def _radio_targets(page, name: str) -> list[dict]:
    """Each radio's clickable box: the input and its label, as the browser
    lays them out."""
    return page.evaluate(
        """name => [...document.querySelectorAll(`input[type=radio][name=${name}]`)]
        .map(input => {
          const label = document.querySelector(`label[for="${input.id}"]`);
          const box = el => el.getBoundingClientRect();
          return {input: box(input).toJSON(), label: box(label).toJSON()};
        })""",
        name,
    )


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_log_form_radios_are_big_enough_and_axe_finds_nothing_serious(
    page_at, live_server, mentor, participant, viewport
):
    """Issue 11 finding 17: target-size on the contact-type radios."""
    page = page_at(viewport)
    sign_in(page, live_server, mentor.user.username, "/week/")
    page.goto(live_server.url + reverse("log_create"))
    for name in ("outcome", "mode"):
        targets = _radio_targets(page, name)
        assert targets
        for target in targets:
            assert target["input"]["width"] >= TARGET, (name, target)
            assert target["input"]["height"] >= TARGET, (name, target)
            assert target["label"]["height"] >= TARGET, (name, target)
    check_accessibility(page)
    # An attempted contact shows the shorter form: audited too.
    page.get_by_label("No answer").check()
    check_accessibility(page)
    screenshot(page, f"log-form-radios-{'phone' if viewport is PHONE else 'desk'}")


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_audit_viewer_reads_as_a_list_and_axe_finds_nothing_serious(
    page_at, live_server, admin_user, viewport
):
    """Issue 11 finding 17: readable details, a keyboard-scrollable table."""
    AuditEvent.objects.create(
        at=dt.datetime(2026, 11, 19, 12, tzinfo=dt.UTC),
        action="export.finished",
        object_type="exportjob",
        object_id="7",
        details={
            "export": 7,
            "rows": 399,
            "level": "coded",
            "format": "csv",
            "filters": {"sites": [1, 2], "since": None, "include_voided": False},
            "columns": [f"column_number_{n}" for n in range(40)],
            "sha256": "ab" * 32,
        },
    )
    page = page_at(viewport)
    sign_in(page, live_server, admin_user.username, "/logs/")
    page.goto(live_server.url + reverse("audit_list") + "?action=export.")
    row = page.locator("tr", has_text="export.finished")
    # One event, a readable height (it was about 1,000 px).
    assert row.bounding_box()["height"] < 600
    assert row.locator("dt", has_text="rows").is_visible()
    region = page.get_by_role("region", name="Audit events")
    region.focus()
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    check_accessibility(page)
    name = f"audit-viewer-{'phone' if viewport is PHONE else 'desk'}"
    screenshot(page, name)
    row.locator("summary").first.click()
    assert row.get_by_text("column_number_39").is_visible()
    check_accessibility(page)
    screenshot(page, f"{name}-open")

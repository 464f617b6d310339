"""The enrolment import in a real browser (issue 17): a site's lead uploads a
file with a bad row, reads the error by row and column, uploads the
corrected file, checks what would be added and changed, and applies it;
on a phone the preview stays readable. Accessibility checked on each page."""

import pytest
from django.urls import reverse

from participants.models import Participant
from tests.browser.chromium import DESK, PHONE
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import CohortFactory

pytestmark = BROWSER_TEST
HEADER = "study_id,site,research_consent,enrolled_on,preferred_name,cohort,quit_date"
BAD = "\r\n".join(
    [
        HEADER,
        "NYC-0101,nyc,yes,2026-09-01,Ana,Spring 2026,",
        "NYC-0102,nyc,maybe,2026-09-31,Bo,,",
        "NYC-0001,nyc,yes,2026-01-05,Jay B.,,",
    ]
)
GOOD = BAD.replace("maybe,2026-09-31", "no,2026-09-30")


@pytest.fixture
def lead(site, supervisor, participant):
    site.lead = supervisor
    site.save()
    CohortFactory(site=site, name="Spring 2026")
    return supervisor


def _upload(page, text: str) -> None:
    page.get_by_label("Participant file (CSV or Excel .xlsx)").set_input_files(
        files=[
            {"name": "enrolled.csv", "mimeType": "text/csv", "buffer": text.encode()}
        ]
    )
    page.get_by_role("button", name="Preview the import").click()


def test_a_lead_reads_the_errors_then_applies_the_corrected_file(
    page_at, live_server, lead
):
    desk = page_at(DESK)
    sign_in(desk, live_server, lead.username, "/team/")
    desk.get_by_role("link", name="Program").click()
    desk.get_by_role("heading", name="Participants").wait_for()
    desk.get_by_role("link", name="Import", exact=True).click()
    desk.get_by_role("heading", name="Import participants").wait_for()
    check_accessibility(desk)

    _upload(desk, BAD)
    desk.get_by_role("heading", name="Errors").wait_for()
    errors = desk.get_by_role("table").first
    assert "research_consent" in errors.inner_text()
    assert "enrolled_on" in errors.inner_text()
    assert desk.get_by_role("button", name="Apply this import").count() == 0
    check_accessibility(desk)
    assert not Participant.objects.filter(study_id="NYC-0101").exists()

    desk.goto(live_server.url + reverse("import_page"))
    _upload(desk, GOOD)
    desk.get_by_role("heading", name="To add").wait_for()
    assert (
        "Jay B."
        in desk.get_by_role("listitem").filter(has_text="NYC-0001").inner_text()
    )
    phone = page_at(PHONE)
    sign_in(phone, live_server, lead.username, "/team/")
    phone.goto(desk.url)
    phone.get_by_role("heading", name="To add").wait_for()
    check_accessibility(phone)
    screenshot(phone, "import-preview-phone")
    screenshot(desk, "import-preview")

    desk.get_by_role("button", name="Apply this import").click()
    desk.get_by_text("Applied: 2 participants added, 1 changed.").wait_for()
    check_accessibility(desk)
    assert set(
        Participant.objects.filter(study_id__in=["NYC-0101", "NYC-0102"]).values_list(
            "study_id", flat=True
        )
    ) == {"NYC-0101", "NYC-0102"}
    assert Participant.objects.get(study_id="NYC-0001").preferred_name == "Jay B."


def test_a_lead_withdraws_a_participants_research_consent_on_a_phone(
    page_at, live_server, lead, participant
):
    phone = page_at(PHONE)
    sign_in(phone, live_server, lead.username, "/team/")
    phone.goto(live_server.url + reverse("program_participants"))
    phone.get_by_role("link", name="NYC-0001").click()
    phone.get_by_label("Their consent covers research use").uncheck()
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("Say why: it is kept in the audit trail.").wait_for()
    assert not phone.get_by_label("Their consent covers research use").is_checked()
    check_accessibility(phone)
    phone.get_by_label("Why", exact=True).select_option(label="The participant asked")
    phone.get_by_role("button", name="Save").click()
    phone.get_by_text("of their filed logs are left out").wait_for()
    check_accessibility(phone)
    screenshot(phone, "participant-consent-withdrawn-phone")
    participant.refresh_from_db()
    assert not participant.has_research_consent


def test_a_lead_invites_a_mentor_who_accepts_from_the_mail(
    page_at, live_server, lead, settings
):
    """The invitation's whole way: the form, the outbox, the mail's link,
    choosing a password on a phone, and landing signed in."""
    import re

    from django.core import mail

    from notifications.tasks import dispatch_once

    settings.PEERLOG_SITE_URL = live_server.url
    desk = page_at(DESK)
    sign_in(desk, live_server, lead.username, "/team/")
    desk.goto(live_server.url + reverse("invitation_list"))
    desk.get_by_label("E-mail").fill("noa@example.org")
    desk.get_by_label("First name").fill("Noa")
    desk.get_by_label("Role").select_option(label="Peer mentor")
    desk.get_by_role("button", name="Send the invitation").click()
    desk.get_by_text("Invitation sent to noa@example.org.").wait_for()
    check_accessibility(desk)
    screenshot(desk, "invitations")

    dispatch_once()
    link = re.search(r"https?://\S+/invite/\d+/[0-9a-f]+/", mail.outbox[-1].body)[0]
    phone = page_at(PHONE)
    phone.goto(link)
    phone.get_by_role("heading", name="Welcome to Peerlog").wait_for()
    check_accessibility(phone)
    phone.get_by_label("Username").fill("noa.m")
    phone.locator("#id_password1").fill("a long enough pass phrase 42")
    phone.get_by_label("The password again").fill("a long enough pass phrase 42")
    screenshot(phone, "invitation-accept-phone")
    phone.get_by_role("button", name="Create my account").click()
    phone.get_by_role("heading", name="My week").wait_for()
    desk.reload()
    assert "Accepted" in desk.get_by_role("list", name="Invitations").inner_text()

"""Assignments and the protocol's dose in a real browser (issue 17): a site's
lead hands a participant over on a phone, is asked to confirm above the
caseload warning, and reads the history; the new mentor's My week flags the
overdue planned contact; research staff read the dose report with its
charts. Accessibility checked on each page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role
from exports.models import ExportRight
from mentors.models import Assignment
from participants.models import Cohort
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
    UserFactory,
)

pytestmark = BROWSER_TEST
D = dt.date


@pytest.fixture
def program(site, supervisor, mentor):
    """NYC-0800 in a weekly protocol from 2 Nov, met on the 2nd only, with
    `mentor`; Sam already mentors one participant and the site warns at 1."""
    site.lead = supervisor
    site.caseload_limit = 1
    site.save()
    fall = Cohort.objects.create(
        site=site, name="Fall", start_date=D(2026, 11, 2), planned_contacts=8,
        contact_every_days=7, window_days=3, planned_minutes=30,
    )  # fmt: skip
    person = ParticipantFactory(
        site=site, cohort=fall, study_id="NYC-0800", enrolled_on=D(2026, 11, 2),
        has_research_consent=True,
    )  # fmt: skip
    AssignmentFactory(mentor=mentor, participant=person, start_date=D(2026, 11, 2))
    InteractionLogFactory(
        mentor=mentor, participant=person, contact_date=D(2026, 11, 2),
        narrative="Talked about the bakery shifts.", co_ppm=18, duration_minutes=35,
    )  # fmt: skip
    sam = MentorFactory(
        user__username="sam", user__first_name="Sam", user__last_name="Okafor",
        sites=[site], supervisor=supervisor,
    )  # fmt: skip
    AssignmentFactory(
        mentor=sam,
        participant=ParticipantFactory(site=site, study_id="NYC-0801", cohort=fall),
        start_date=D(2026, 11, 2),
    )
    return person, sam


def test_a_lead_hands_a_participant_over_on_a_phone(
    page_at, live_server, program, supervisor, mentor
):
    person, sam = program
    phone = page_at(PHONE)
    sign_in(phone, live_server, supervisor.username, "/team/")
    phone.goto(live_server.url + reverse("participant_lifecycle", args=[person.pk]))
    phone.get_by_role("heading", name="Who mentors them").wait_for()
    phone.locator("#id_assign-mentor").select_option(label=str(sam))
    phone.get_by_label("From").fill("2026-11-18")
    phone.get_by_role("button", name="Hand over").click()
    # Above the warning level: asked to confirm, with the choice kept.
    phone.get_by_text("already mentors 1 participant;").wait_for()
    assert phone.locator("#id_assign-mentor").input_value() == str(sam.pk)
    assert phone.get_by_label("From").input_value() == "2026-11-18"
    check_accessibility(phone)
    phone.get_by_label("Assign anyway, above the caseload warning").check()
    phone.get_by_role("button", name="Hand over").click()
    phone.get_by_text("NYC-0800 is handed over to").wait_for()
    history = phone.get_by_role("region", name="Assignment history")
    assert history.get_by_text("Handed over to another mentor").is_visible()
    assert history.get_by_text("17 Nov 2026").is_visible()
    check_accessibility(phone)
    screenshot(phone, "handover-phone")
    old, new = Assignment.objects.filter(participant=person).order_by("start_date")
    assert (old.end_date, new.mentor, new.start_date) == (
        D(2026, 11, 17),
        sam,
        D(2026, 11, 18),
    )

    desk = page_at(DESK)
    sign_in(desk, live_server, supervisor.username, "/team/")
    desk.goto(live_server.url + reverse("caseload_list"))
    sam_row = desk.get_by_role("listitem").filter(has_text="Sam Okafor")
    assert sam_row.get_by_text("Over the warning level").is_visible()
    check_accessibility(desk)
    screenshot(desk, "caseloads")

    # The new mentor: the overdue contact on My week, the earlier contact's
    # measures (not its words) on the participant's page.
    sams_phone = page_at(PHONE)
    sign_in(sams_phone, live_server, sam.user.username, "/week/")
    sams_phone.get_by_text(
        "Contact 3 was due Mon 16 Nov: meet by Thu 19 Nov"
    ).wait_for()
    check_accessibility(sams_phone)
    screenshot(sams_phone, "my-week-overdue-phone")
    sams_phone.get_by_role("link", name="NYC-0800", exact=True).click()
    sams_phone.get_by_text("(an earlier mentor's log)").wait_for()
    assert "bakery" not in sams_phone.content()
    check_accessibility(sams_phone)


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_research_staff_read_the_dose_report(
    page_at, live_server, program, site, viewport
):
    researcher = UserFactory(username="rita", roles=[Role.RESEARCH], sites=[site])
    TOTPDevice.objects.create(user=researcher, name="phone", confirmed=True)
    ExportRight.objects.create(
        user=researcher, level="coded", granted_at=timezone.now()
    )
    page = page_at(viewport)
    sign_in(page, live_server, researcher.username)
    page.goto(live_server.url + reverse("dose_report"))
    page.get_by_role("heading", name="Dose delivered").wait_for()
    assert page.get_by_role("img").count() == 2
    region = page.get_by_role("region", name="Figures")
    assert region.get_by_text("Fall").first.is_visible()
    check_accessibility(page)
    screenshot(page, f"dose-report-{'phone' if viewport is PHONE else 'desk'}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("peerlog-dose-")

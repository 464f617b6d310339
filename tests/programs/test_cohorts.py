"""Issue 17: a site's lead sets up cohorts and their protocol of planned
contacts, and the site's caseload warning level, on Peerlog's own pages;
every change audited with what it was before."""

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from participants.models import Cohort
from tests.conftest import client_for

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def lead(site, supervisor):
    site.lead = supervisor
    site.save()
    return supervisor


NEW = {
    "new-site": None,
    "new-name": "Spring 2027",
    "new-start_date": "2027-03-01",
    "new-end_date": "",
    "new-planned_contacts": "8",
    "new-contact_every_days": "7",
    "new-window_days": "3",
    "new-planned_minutes": "30",
}


def _new(site, **changes):
    return {**NEW, "new-site": str(site.pk), **changes}


def test_a_lead_adds_a_cohort_with_its_protocol_and_it_is_audited(lead, site):
    response = client_for(lead).post(reverse("cohort_list"), _new(site))
    assert response.status_code == 302
    cohort = Cohort.objects.get(name="Spring 2027")
    assert (cohort.site, cohort.start_date, cohort.planned_contacts) == (
        site,
        dt.date(2027, 3, 1),
        8,
    )
    assert (cohort.contact_every_days, cohort.window_days, cohort.planned_minutes) == (
        7,
        3,
        30,
    )
    event = AuditEvent.objects.get(action="cohort.created")
    assert event.site_id == site.pk
    assert event.details["planned_contacts"] == 8
    page = client_for(lead).get(reverse("cohort_list")).content.decode()
    assert "8 planned contacts, every 7 days, ± 3 days" in page


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"new-end_date": "2027-02-01"}, "end_date", "cannot be before the start"),
        ({"new-name": "spring 2027 "}, "name", "already has a cohort of that name"),
        ({"new-window_days": "61"}, "window_days", "At most 60 days"),
        ({"new-planned_contacts": "501"}, "planned_contacts", "At most 500"),
        ({"new-contact_every_days": "0"}, "contact_every_days", "At least one day"),
        ({"new-contact_every_days": "367"}, "contact_every_days", "At most 366 days"),
        ({"new-planned_contacts": "-1"}, "planned_contacts", "greater than or equal"),
        ({"new-start_date": "03/01/2027"}, "start_date", "Enter a valid date"),
    ],
)
def test_bad_values_are_refused_next_to_the_field_and_kept(
    lead, site, changes, field, message
):
    Cohort.objects.create(site=site, name="Spring 2027", start_date=dt.date(2027, 1, 1))
    data = _new(site, **changes)
    if field != "name":
        data["new-name"] = "Summer"
    response = client_for(lead).post(reverse("cohort_list"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    typed = changes[f"new-{field}"].strip() if field != "name" else "spring 2027"
    assert typed in html
    assert not Cohort.objects.filter(name="Summer").exists()


def test_editing_the_protocol_audits_before_and_after_and_never_moves_the_site(
    lead, site, other_site
):
    cohort = Cohort.objects.create(
        site=site, name="Fall", start_date=dt.date(2026, 9, 1), planned_contacts=8
    )
    data = {
        "site": str(other_site.pk),  # ignored: the field is disabled
        "name": "Fall",
        "start_date": "2026-09-01",
        "end_date": "",
        "planned_contacts": "12",
        "contact_every_days": "7",
        "window_days": "2",
        "planned_minutes": "",
    }
    response = client_for(lead).post(reverse("cohort_edit", args=[cohort.pk]), data)
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.site, cohort.planned_contacts, cohort.window_days) == (site, 12, 2)
    event = AuditEvent.objects.get(action="cohort.changed")
    assert event.details == {
        "before": {"planned_contacts": 8, "window_days": 3},
        "after": {"planned_contacts": 12, "window_days": 2},
    }
    # Saving again unchanged adds no audit row.
    client_for(lead).post(reverse("cohort_edit", args=[cohort.pk]), data)
    assert AuditEvent.objects.filter(action="cohort.changed").count() == 1


def test_another_sites_cohort_is_a_404_and_cannot_be_added_there(
    lead, site, other_site
):
    theirs = Cohort.objects.create(
        site=other_site, name="Syd", start_date=dt.date(2026, 9, 1)
    )
    client = client_for(lead)
    assert client.get(reverse("cohort_edit", args=[theirs.pk])).status_code == 404
    response = client.post(reverse("cohort_list"), _new(other_site))
    assert response.status_code == 400
    assert "Select a valid choice" in " ".join(response.context["form"].errors["site"])
    assert not Cohort.objects.filter(name="Spring 2027").exists()


def test_the_caseload_warning_level_is_set_per_site_and_audited(lead, site):
    client = client_for(lead)
    url = reverse("caseload_limit", args=[site.pk])
    response = client.post(url, {"caseload_limit": "8"}, follow=True)
    assert "New York now warns at 8 participants" in response.content.decode()
    site.refresh_from_db()
    assert site.caseload_limit == 8
    event = AuditEvent.objects.get(action="site.caseload_limit")
    assert (event.site_id, event.details) == (site.pk, {"before": 12, "after": 8})
    response = client.post(url, {"caseload_limit": "0"}, follow=True)
    assert "greater than or equal to 1" in response.content.decode()
    site.refresh_from_db()
    assert site.caseload_limit == 8


def test_a_supervisor_who_leads_no_site_cannot_set_a_level(site, supervisor):
    response = client_for(supervisor).post(
        reverse("caseload_limit", args=[site.pk]), {"caseload_limit": "3"}
    )
    assert response.status_code == 404
    site.refresh_from_db()
    assert site.caseload_limit == 12

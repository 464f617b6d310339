"""Issue 17, the dose-delivered report: by site and cohort, planned against
delivered contacts, minutes and the role-function mix, as a page with charts
and as a CSV read back here; research staff, leads and admins only; its
figures equal a hand count on the demo data."""

import csv
import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from logs_app.dose import met_contacts
from logs_app.models import InteractionLog, RoleFunction
from participants.models import Cohort, Participant, Site
from programs.dose_report import dose_report
from tests.conftest import client_for
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    ParticipantFactory,
    UserFactory,
)

D = dt.date
pytestmark = pytest.mark.usefixtures("frozen_now")  # 19 Nov 2026, 15:00 in New York


@pytest.fixture
def program(site, mentor):
    """Cohort "Fall" at New York, weekly for 4 weeks from 1 Oct (window 3
    days, 30 planned minutes): A met in weeks 1, 2 and 4 (one met contact
    outside every window), B in week 1 only; C has no research consent."""
    fall = Cohort.objects.create(
        site=site, name="Fall", start_date=D(2026, 10, 1), planned_contacts=4,
        contact_every_days=7, window_days=3, planned_minutes=30,
    )  # fmt: skip
    people = {}
    for key, consent in (("A", True), ("B", True), ("C", False)):
        people[key] = ParticipantFactory(
            site=site, cohort=fall, study_id=f"NYC-1{key}", enrolled_on=D(2026, 10, 1),
            has_research_consent=consent,
        )  # fmt: skip
        AssignmentFactory(
            mentor=mentor, participant=people[key], start_date=D(2026, 10, 1)
        )
    cessation, relationship = RoleFunction.objects.order_by("position")[:2]
    for day, minutes in ((1, 30), (9, 40), (23, 20), (29, 15)):
        log = InteractionLogFactory(
            mentor=mentor, participant=people["A"], contact_date=D(2026, 10, day),
            duration_minutes=minutes,
        )  # fmt: skip
        log.role_functions.set([cessation] if day != 9 else [cessation, relationship])
    InteractionLogFactory(
        mentor=mentor, participant=people["B"], contact_date=D(2026, 10, 2),
        duration_minutes=50,
    )  # fmt: skip
    InteractionLogFactory(
        mentor=mentor, participant=people["C"], contact_date=D(2026, 10, 2),
        duration_minutes=60,
    )  # fmt: skip
    return fall, people, (cessation, relationship)


def test_the_figures_by_cohort_site_and_overall(program, site):
    _fall, _people, (cessation, relationship) = program
    report = dose_report([site])
    cohort_row, site_row, total = report.rows
    assert (cohort_row.level, site_row.level, total.level) == ("cohort", "site", "all")
    for row in report.rows:
        # A: weeks 1, 2 and 4 delivered (the 29th is in no window: 26 Oct –
        # 1 Nov is week 5, not planned); B: week 1. 4 planned each.
        assert (row.participants, row.left_out) == (2, 1)
        assert (row.planned_to_date, row.delivered, row.missed) == (8, 4, 4)
        assert row.share == 0.5
        assert (row.adequate, row.with_due) == (0, 2)  # A got 3 of 4
        assert (row.contacts, row.minutes, row.planned_minutes) == (5, 155, 240)
        assert row.functions == {cessation.pk: 4, relationship.pk: 1}


def test_a_lead_sees_the_page_with_charts_and_a_research_only_user_too(
    program, site, supervisor
):
    site.lead = supervisor
    site.save()
    researcher = UserFactory(username="rita", roles=[Role.RESEARCH], sites=[site])
    for user in (supervisor, researcher):
        page = client_for(user).get(reverse("dose_report"))
        assert page.status_code == 200
        html = page.content.decode()
        assert html.count('role="img"') == 2  # the two charts
        # Delivered is drawn green, missed vermillion, whatever the palette's order.
        first_bar = html.index('class="bar-segment"')
        assert 'fill="#009E73"' in html[first_bar : first_bar + 200]
        assert 'fill="#D55E00"' in html
        assert "50 %" in html
        assert "(+1)" in html  # C, without research consent
    # The program's tabs only for those who run it.
    assert 'href="/program/caseloads/"' not in html


@pytest.mark.parametrize("who", ["mentor", "supervisor", "other_site_research"])
def test_others_are_refused(program, site, other_site, mentor, supervisor, who):
    user = {
        "mentor": mentor.user,
        "supervisor": supervisor,  # supervises, leads no site
        "other_site_research": UserFactory(
            username="far", roles=[Role.RESEARCH], sites=[other_site]
        ),
    }[who]
    client = client_for(user)
    response = client.get(reverse("dose_report"), {"site": site.pk})
    assert response.status_code in (403, 404)
    csv_response = client.get(reverse("dose_report_csv"), {"site": site.pk})
    assert csv_response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="dose.report.exported").exists()


@pytest.mark.parametrize("site_param", ["x", "١", "99999", "-1", "1" * 12])
def test_a_bad_site_is_a_404(program, site, admin_user, site_param):
    response = client_for(admin_user).get(reverse("dose_report"), {"site": site_param})
    assert response.status_code == 404


def test_the_csv_reads_back_with_the_pages_figures_and_is_audited(
    program, site, admin_user
):
    site.name = "=HYPERLINK(1)"
    site.save()
    response = client_for(admin_user).get(reverse("dose_report_csv"), {"site": site.pk})
    assert response.status_code == 200
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["level"] for row in rows] == ["cohort", "site", "all"]
    first = rows[0]
    assert first["site"] == "'=HYPERLINK(1)"  # neutralised
    assert first["cohort"] == "Fall"
    assert (first["participants"], first["left_out_no_research_consent"]) == ("2", "1")
    assert (first["planned_contacts_to_date"], first["delivered"]) == ("8", "4")
    assert first["delivered_share"] == "0.500"
    assert (first["met_contacts"], first["minutes"]) == ("5", "155")
    assert first["met_contacts_per_participant_mean"] == "2.50"
    assert first["role_cessation_contacts"] == "4"
    event = AuditEvent.objects.get(action="dose.report.exported")
    assert event.actor_id == admin_user.pk
    assert event.details["rows"] == 3
    assert event.details["sha256"] == hashlib.sha256(body).hexdigest()
    assert response["X-Export-SHA256"] == event.details["sha256"]


def test_the_page_takes_the_same_queries_for_more_participants(
    program, site, mentor, admin_user, django_assert_num_queries
):
    fall = program[0]
    client = client_for(admin_user)
    client.get(reverse("dose_report"))
    with django_assert_num_queries(QUERIES_REPORT):
        assert client.get(reverse("dose_report")).status_code == 200
    for i in range(6):
        person = ParticipantFactory(
            site=site, cohort=fall, study_id=f"NYC-2{i}", enrolled_on=D(2026, 10, 1),
            has_research_consent=True,
        )  # fmt: skip
        InteractionLogFactory(
            mentor=mentor, participant=person, contact_date=D(2026, 10, 8)
        ).role_functions.set(RoleFunction.objects.all()[:1])
    with django_assert_num_queries(QUERIES_REPORT):
        assert client.get(reverse("dose_report")).status_code == 200


# session, user, groups, the user's sites, participants, met contacts, pauses,
# role functions, role-function counts
QUERIES_REPORT = 9


# --- the demo, counted by hand ---------------------------------------------------
SEEDED_AT = dt.datetime(2026, 11, 28, 0, 30, tzinfo=dt.UTC)


def _hand_count(participants):
    """Counted the plain way: for each planned contact, is there a met
    contact in its window (the demo's windows never overlap, so this is the
    report's matching rule)? One query per planned contact."""
    planned = delivered = contacts = minutes = 0
    for person in participants:
        cohort = person.cohort
        today = SEEDED_AT.astimezone(person.site.tzinfo).date()
        met = InteractionLog.objects.filter(met_contacts(), participant=person)
        contacts += met.count()
        minutes += sum(m or 0 for m in met.values_list("duration_minutes", flat=True))
        for k in range(cohort.planned_contacts):
            due = person.enrolled_on + dt.timedelta(days=k * cohort.contact_every_days)
            opens = max(person.enrolled_on, due - dt.timedelta(days=cohort.window_days))
            closes = due + dt.timedelta(days=cohort.window_days)
            hit = met.filter(contact_date__range=(opens, closes)).exists()
            if due <= today or hit:
                planned += 1
                delivered += hit
    return planned, delivered, contacts, minutes


@pytest.mark.django_db
def test_the_report_equals_a_hand_count_on_the_demo(monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: SEEDED_AT)
    with time_machine.travel(SEEDED_AT, tick=False):
        call_command("seed_demo")
        report = dose_report(list(Site.objects.all()))  # an admin's: every site
    cohort_rows = report.cohort_rows
    assert len(cohort_rows) == 6
    for cohort in Cohort.objects.select_related("site"):
        people = list(
            Participant.objects.filter(
                cohort=cohort, has_research_consent=True
            ).select_related("site", "cohort")
        )
        [row] = [
            r
            for r in cohort_rows
            if (r.site, r.cohort) == (cohort.site.name, cohort.name)
        ]
        assert (row.planned_to_date, row.delivered, row.contacts, row.minutes) == (
            _hand_count(people)
        ), cohort
        assert row.participants == len(people)
    total = report.total
    assert total.delivered == sum(row.delivered for row in cohort_rows)
    assert total.participants + total.left_out == Participant.objects.count()


def test_the_csv_follows_the_export_right(program, site, supervisor):
    """Found in review: research staff without an export right (EXP-1: none
    by default) could download the CSV. They read the page; the file needs
    a right, or leading the site."""
    from django.utils import timezone

    from exports.models import ExportRight

    researcher = UserFactory(username="rita", roles=[Role.RESEARCH], sites=[site])
    client = client_for(researcher)
    assert client.get(reverse("dose_report")).status_code == 200
    assert client.get(reverse("dose_report_csv")).status_code == 403
    ExportRight.objects.create(
        user=researcher, level="coded", granted_at=timezone.now()
    )
    assert client.get(reverse("dose_report_csv")).status_code == 200
    site.lead = supervisor
    site.save()
    assert client_for(supervisor).get(reverse("dose_report_csv")).status_code == 200
    assert AuditEvent.objects.filter(action="dose.report.exported").count() == 2

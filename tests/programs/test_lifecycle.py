"""Issue 17, the participant's lifecycle: a site's lead sets active, paused,
completed or withdrawn; withdrawing research consent takes the participant
out of later exports and API pulls and, now, out of every analysis project
(codings with them), each project counting what left, with one audit row
that says why and how many; the form keeps what was typed when it refuses."""

import datetime as dt

import pytest
from django.urls import reverse

from analysis import coding, screening
from analysis.codebook import code_save
from analysis.models import Coding, Member, Project, Text
from analysis.permissions import ProjectAccess
from analysis.progress import progress_recount
from audit.models import AuditEvent
from core.roles import Role
from exports.filters import ExportFilters, exported_logs
from participants.models import Participant
from tests.analysis.factories import analyst, project_of, reflection
from tests.conftest import client_for
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
NOW = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)


@pytest.fixture
def lead(site, supervisor):
    site.lead = supervisor
    site.save()
    return supervisor


@pytest.fixture
def coded_project(site):
    """A project with three texts of `leaving` (two coded) and two of `staying`."""
    leader = analyst("leader", site)
    leaving = ParticipantFactory(site=site, study_id="NYC-0500")
    staying = ParticipantFactory(site=site, study_id="NYC-0600")
    for i in range(3):
        reflection(participant=leaving, text=f"Leaving {i}.")
    for i in range(2):
        reflection(participant=staying, text=f"Staying {i}.")
    project = project_of(leader, site)
    code_save(
        actor=leader, project=project, reason="First",
        data={"name": "Role", "definition": "About the role.", "color": "#0072b2"},
    )  # fmt: skip
    access = ProjectAccess.of(leader, project)
    for text in project.texts.order_by("pk"):
        screening.screening_decide(
            actor=leader, access=access, text_pk=text.pk, include=True, reason="",
            now=NOW,
        )  # fmt: skip
    for text in project.texts.filter(participant_key__isnull=False).order_by("pk")[:4]:
        coding.coding_whole_set(actor=leader, text=text, codes=[project.codes.get()])
        coding.coder_text_finish(actor=leader, text=text, now=NOW)
    return project, leaving, staying, leader


def _post(client, participant, **data):
    return client.post(reverse("participant_lifecycle", args=[participant.pk]), data)


def test_withdrawing_consent_takes_them_out_of_exports_and_analysis(
    lead, coded_project, staff
):
    project, leaving, staying, leader = coded_project
    texts_before = project.texts.count()
    theirs = Text.objects.filter(project=project, log__participant=leaving).count()
    assert theirs == 3 and texts_before == 5
    client = client_for(lead)

    response = _post(
        client,
        leaving,
        status="active",
        research_consent="",
        reason="participant_request",
    )

    assert response.status_code == 302
    leaving.refresh_from_db()
    assert not leaving.has_research_consent and leaving.status == "active"
    assert not Text.objects.filter(project=project, log__participant=leaving).exists()
    assert not Coding.objects.filter(
        text__project=project, text__log__participant=leaving
    ).exists()
    assert project.texts.count() == 2
    project.refresh_from_db()
    assert project.flow["withdrawn"] == 3
    counted = (
        project.included_count,
        Member.objects.get(project=project).finished_count,
    )
    progress_recount(project)
    project.refresh_from_db()
    assert counted == (
        project.included_count,
        Member.objects.get(project=project).finished_count,
    )
    assert (
        not exported_logs(staff, ExportFilters()).filter(participant=leaving).exists()
    )
    assert exported_logs(staff, ExportFilters()).filter(participant=staying).exists()

    event = AuditEvent.objects.get(action="participant.lifecycle")
    assert event.details["before"] == {"status": "active", "research_consent": True}
    assert event.details["after"] == {"status": "active", "research_consent": False}
    assert event.details["reason"] == "participant_request"
    assert (
        event.details["logs_left_out"],
        event.details["analysis_texts_removed"],
    ) == (
        3,
        3,
    )
    removed = AuditEvent.objects.get(action="analysis.texts.withdrawn")
    assert removed.details["texts"] == 3 and "Leaving" not in str(removed.details)

    overview = client_for(leader).get(reverse("analysis_project", args=[project.pk]))
    assert (
        "3 removed since: consent to research use withdrawn"
        in overview.content.decode()
    )
    page = client.get(reverse("participant_lifecycle", args=[leaving.pk]))
    assert "3 of their filed logs are left out" in page.content.decode()


def test_a_withdrawal_without_a_reason_is_refused_next_to_the_field(lead, participant):
    response = _post(
        client_for(lead),
        participant,
        status="withdrawn",
        research_consent="on",
        reason="",
    )

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors == {"reason": ["Say why: it is kept in the audit trail."]}
    assert form["status"].value() == "withdrawn"  # what was chosen stays chosen
    participant.refresh_from_db()
    assert participant.status == "active"
    assert not AuditEvent.objects.filter(action="participant.lifecycle").exists()


def test_pausing_needs_no_reason_and_saving_the_same_changes_nothing(lead, participant):
    client = client_for(lead)
    assert (
        _post(client, participant, status="paused", research_consent="on").status_code
        == 302
    )
    participant.refresh_from_db()
    assert participant.status == "paused"
    assert (
        _post(client, participant, status="paused", research_consent="on").status_code
        == 302
    )
    assert AuditEvent.objects.filter(action="participant.lifecycle").count() == 1


def test_a_participant_at_another_site_is_not_found(lead, other_participant):
    client = client_for(lead)
    url = reverse("participant_lifecycle", args=[other_participant.pk])
    assert client.get(url).status_code == 404
    assert (
        _post(client, other_participant, status="withdrawn", reason="other").status_code
        == 404
    )
    other_participant.refresh_from_db()
    assert other_participant.status == "active"


@pytest.mark.parametrize("role", [Role.MENTOR, Role.RESEARCH])
def test_mentors_and_research_staff_cannot_change_a_participant(
    role, site, participant
):
    client = client_for(UserFactory(roles=[role], sites=[site]))
    assert client.get(reverse("program_participants")).status_code == 403
    url = reverse("participant_lifecycle", args=[participant.pk])
    assert (
        client.post(url, {"status": "withdrawn", "reason": "other"}).status_code == 403
    )


def test_the_list_holds_the_sites_participants_and_costs_the_same_queries(
    lead, participant, other_participant, site, django_assert_num_queries
):
    client = client_for(lead)
    url = reverse("program_participants")
    client.get(url)
    # The session, the user, the roles, the page's count and rows (the led
    # sites are a subquery): the same for 2 participants or 32.
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert "NYC-0001" in page and "SYD-0001" not in page
    ParticipantFactory.create_batch(30, site=site)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    found = client.get(url, {"q": "0001"}).content.decode()
    assert "NYC-0001" in found
    assert Participant.objects.count() == 32


def test_a_withdrawal_cut_short_is_completed_by_saving_again(lead, coded_project):
    """Found in review: the texts leave analysis after the consent change is
    committed, so a run cut short in between must be completed later. Saving
    the page again (nothing else changing) removes what is left."""
    project, leaving, _staying, _leader = coded_project
    Participant.objects.filter(pk=leaving.pk).update(has_research_consent=False)
    assert Text.objects.filter(project=project, log__participant=leaving).count() == 3

    response = _post(
        client_for(lead), leaving, status="active", research_consent="", reason=""
    )

    assert response.status_code == 302
    assert not Text.objects.filter(project=project, log__participant=leaving).exists()
    event = AuditEvent.objects.get(action="participant.lifecycle")
    assert event.details["changed"] is False
    assert event.details["analysis_texts_removed"] == 3


def test_the_withdrawn_count_survives_a_new_batch_of_texts(lead, coded_project, site):
    """Found in review: adding texts rewrote the project's flow counts and
    lost how many had left for withdrawn consent."""
    from analysis.snapshot import texts_add

    project, leaving, staying, _leader = coded_project
    _post(
        client_for(lead), leaving, status="active", research_consent="", reason="other"
    )
    reflection(participant=staying, text="A new one.")

    texts_add(Project.objects.get(pk=project.pk))

    project.refresh_from_db()
    assert project.flow["withdrawn"] == 3
    assert project.texts.filter(body="A new one.").exists()
    assert not Text.objects.filter(project=project, log__participant=leaving).exists()


def test_the_admin_shows_status_and_consent_without_changing_them(
    admin_user, participant
):
    """Second review: the admin changed status and consent without what the
    participant's page does (withdrawal from analysis, ending the assignment,
    recording a pause)."""
    client = client_for(admin_user)
    url = f"/admin/participants/participant/{participant.pk}/change/"
    html = client.get(url).content.decode()
    assert 'name="status"' not in html
    assert 'name="has_research_consent"' not in html
    assert 'name="study_id"' in html

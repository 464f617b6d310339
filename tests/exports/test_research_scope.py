"""Issue 11 finding 5 (SECURITY AZ-14): research staff read, list and count only
logs of participants whose consent covers research use, like the export; the
supervisor and the mentor keep reading them."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from core.roles import Role
from exports.filters import ExportFilters
from exports.models import ExportLevel
from exports.preview import export_preview
from logs_app.models import InteractionLog
from participants.models import Participant
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
    UserFactory,
)

NARRATIVE = "We walked to the pharmacy and talked about the first week."


@pytest.fixture
def unconsented(site, mentor):
    participant = ParticipantFactory(
        study_id="NYC-0010", site=site, has_research_consent=False
    )
    AssignmentFactory(mentor=mentor, participant=participant)
    return participant


@pytest.fixture
def hidden_log(mentor, unconsented):
    return InteractionLogFactory(
        mentor=mentor, participant=unconsented, narrative=NARRATIVE
    )


def test_research_staff_get_404_for_a_log_without_research_consent(
    staff, hidden_log, log, as_user
):
    """Issue 11 finding 5 (AZ-14): `/logs/<id>/` of a participant without
    research consent is a 404 for research staff, audited like other 404s."""
    client = as_user(staff)

    response = client.get(reverse("log_detail", args=[hidden_log.pk]))

    assert response.status_code == 404
    assert NARRATIVE not in response.content.decode()
    denial = AuditEvent.objects.get(action="access.denied")
    assert (denial.actor, denial.outcome, denial.details["view"]) == (
        staff,
        "404",
        "log_detail",
    )
    # A consented participant's log at the same site still opens.
    assert client.get(reverse("log_detail", args=[log.pk])).status_code == 200


def test_research_staff_do_not_list_or_count_logs_without_research_consent(
    staff, hidden_log, unconsented, log, as_user
):
    """Issue 11 finding 5 (AZ-14): `/logs/?participant=<id>` listed the logs of
    a participant without research consent; the list, its count and the
    participant filter now leave them out."""
    client = as_user(staff)

    filtered = client.get(reverse("log_list"), {"participant": unconsented.pk})
    assert "participant" in filtered.context["filters"].errors  # not a choice
    assert [row.pk for row in filtered.context["page"].object_list] == [log.pk]
    offered = filtered.context["filters"].fields["participant"].queryset
    assert unconsented not in offered

    everything = client.get(reverse("log_list"))
    assert everything.context["page"].paginator.count == 1
    assert "NYC-0010" not in everything.content.decode()


def test_visible_to_follows_research_consent_for_research_staff_only(
    staff, supervisor, mentor, admin_user, hidden_log, unconsented, log
):
    """Issue 11 finding 5 (AZ-14): the one definition of scope (visible_to)
    follows consent for the research role; supervisors, mentors and admins are
    unchanged."""
    logs = InteractionLog.objects
    assert set(logs.visible_to(staff)) == {log}
    assert set(Participant.objects.visible_to(staff)) == {log.participant}
    for user in (supervisor, mentor.user, admin_user):
        assert hidden_log in logs.visible_to(user)
        assert unconsented in Participant.objects.visible_to(user)


def test_supervisor_who_is_also_research_staff_keeps_reading_their_mentors_logs(
    site, hidden_log, unconsented, mentor, as_user
):
    """Issue 11 finding 5 (AZ-14): the consent rule narrows the research scope
    only; a supervisor's own scope is unchanged when they also do research."""
    both = UserFactory(
        username="both", roles=[Role.SUPERVISOR, Role.RESEARCH], sites=[site]
    )
    mentor.supervisor = both
    mentor.save()

    response = as_user(both).get(reverse("log_detail", args=[hidden_log.pk]))

    assert response.status_code == 200
    assert NARRATIVE in response.content.decode()
    # Another mentor's log of the same participant: research scope only → hidden.
    stranger = MentorFactory(sites=[site])
    AssignmentFactory(mentor=stranger, participant=unconsented)
    theirs = InteractionLogFactory(mentor=stranger, participant=unconsented)
    assert as_user(both).get(reverse("log_detail", args=[theirs.pk])).status_code == (
        404
    )


def test_export_preview_still_says_how_many_consent_leaves_out(staff, hidden_log, log):
    """Issue 11 finding 5 (AZ-14, DESIGN): reading follows consent, and the
    export still counts what consent left out without exporting it."""
    preview = export_preview(
        user=staff, filters=ExportFilters(), level=ExportLevel.CODED
    )
    assert preview.rows == 1
    assert preview.excluded["no_participant_consent"] == 1

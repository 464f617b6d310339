"""The phone's outbox sends its logs to /logs/sync/ (issue 13): same form, same
log_save, filed once per idempotency key (REL-3), conflicts keep both (REL-2),
refusals come back with the field errors, another mentor's log is a 404 (AZ-2),
and CSRF stays on. The offline app's worker, manifest and shell are here too."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from logs_app.models import InteractionLog, LogAutosave
from logs_app.review import log_review
from logs_app.services import log_save
from tests.factories import AssignmentFactory, ParticipantFactory
from tests.logs_app.test_log_lifecycle import NARRATIVE, complete

pytestmark = pytest.mark.usefixtures("frozen_now")
SYNC = reverse("log_sync")


@pytest.fixture
def ended(mentor, site):
    """Someone the mentor met until the end of June: no longer theirs to log."""
    participant = ParticipantFactory(study_id="NYC-0009", site=site)
    AssignmentFactory(
        mentor=mentor,
        participant=participant,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 6, 30),
    )
    return participant


def test_same_key_twice_files_one_log(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant)
    first = client.post(SYNC, data, HTTP_ACCEPT="application/json")
    again = client.post(SYNC, data, HTTP_ACCEPT="application/json")
    log = InteractionLog.objects.get()
    assert first.status_code == 200
    assert first.json() == {
        "status": "filed",
        "log": log.pk,
        "version": 1,
        "url": reverse("log_detail", args=[log.pk]),
    }
    assert again.status_code == 200
    assert again.json()["status"] == "replayed"
    assert again.json()["log"] == log.pk
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.narrative == NARRATIVE
    assert log.revisions.count() == 1


def test_a_draft_is_saved_as_a_draft(as_user, mentor, participant):
    data = complete(participant, action="draft", narrative="half a thought")
    response = as_user(mentor.user).post(SYNC, data)
    log = InteractionLog.objects.get()
    assert response.json()["status"] == "saved"
    assert response.json()["url"] == reverse("log_edit", args=[log.pk])
    assert log.status == InteractionLog.Status.DRAFT
    assert log.narrative == "half a thought"


def test_refused_log_returns_the_field_errors_and_files_nothing(as_user, mentor, ended):
    response = as_user(mentor.user).post(SYNC, complete(ended, narrative=""))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "refused"
    assert "NYC-0009 was not assigned to you" in body["errors"]["contact_date"][0]
    assert body["errors"]["narrative"] == ["Write a few sentences about the contact."]
    assert not InteractionLog.objects.exists()


def test_conflict_keeps_the_server_version_and_the_phone_version(
    as_user, mentor, participant
):
    client = as_user(mentor.user)
    data = complete(participant)
    client.post(SYNC, data)
    log = InteractionLog.objects.get()
    # Edited elsewhere after the phone's copy was typed at version 1.
    log_save(
        actor=mentor.user,
        mentor=mentor,
        values={**_values(log), "narrative": NARRATIVE + " Edited on the laptop."},
        idempotency_key=log.idempotency_key,
        log=log,
        expected_version=1,
        submit=True,
    )
    phone = {**data, "version": "1", "log": log.pk, "narrative": "Typed on the bus."}
    response = client.post(SYNC, phone)
    assert response.status_code == 409
    assert response.json()["status"] == "conflict"
    assert response.json()["url"] == reverse("log_edit", args=[log.pk])
    log.refresh_from_db()
    assert log.narrative.endswith("Edited on the laptop.")
    kept = LogAutosave.objects.get(log=log, user=mentor.user)
    assert kept.data["narrative"] == ["Typed on the bus."]
    assert kept.base_version == 1
    assert "log" not in kept.data and "action" not in kept.data
    page = client.get(reverse("log_edit", args=[log.pk]))
    assert "Typed on the bus." in page.content.decode()
    assert "Check them first" in page.content.decode()


def test_other_mentor_gets_404_and_nothing_changes(
    as_user, other_mentor, log, participant
):
    before = log.narrative
    data = complete(participant, narrative="Not mine to write at all.", log=log.pk)
    response = as_user(other_mentor.user).post(SYNC, data)
    assert response.status_code == 404
    log.refresh_from_db()
    assert log.narrative == before


def test_other_mentor_cannot_reuse_a_key(as_user, other_mentor, log, participant):
    data = complete(participant, idempotency_key=str(log.idempotency_key))
    response = as_user(other_mentor.user).post(SYNC, data)
    assert response.status_code == 400
    assert InteractionLog.objects.count() == 1


def test_locked_log_is_refused_with_the_reason(
    as_user, mentor, supervisor, log, participant
):
    log_review(actor=supervisor, log=log, expected_version=log.version, approve=True)
    response = as_user(mentor.user).post(SYNC, complete(participant, log=log.pk))
    assert response.status_code == 403
    assert response.json()["status"] == "refused"
    assert "locked" in response.json()["errors"]["__all__"][0]


def test_sync_needs_the_csrf_token(mentor, participant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentor.user)
    refused = client.post(SYNC, complete(participant))
    assert refused.status_code == 403
    token = client.get(SYNC).json()["csrf"]
    accepted = client.post(SYNC, complete(participant), HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200
    assert InteractionLog.objects.count() == 1


def test_expired_session_is_sent_to_sign_in(client, participant):
    response = client.post(SYNC, complete(participant))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["supervisor", "staff", "nobody"])
def test_only_mentors_sync(request, as_user, role, participant):
    user = request.getfixturevalue(role)
    assert as_user(user).get(SYNC).status_code == 403
    assert as_user(user).get(reverse("offline_shell")).status_code == 403


def test_offline_shell_lists_only_current_participants(
    as_user, mentor, participant, ended
):
    page = as_user(mentor.user).get(reverse("offline_shell")).content.decode()
    assert "NYC-0001 – Jay" in page
    assert "NYC-0009" not in page


def test_service_worker_is_served_from_the_root_for_anyone(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert "importScripts(" in response.content.decode()


def test_worker_is_not_no_store_for_a_signed_in_mentor(as_user, mentor):
    response = as_user(mentor.user).get("/sw.js")
    assert response["Cache-Control"] == "no-cache"
    assert "Content-Security-Policy" in response


def test_manifest(client):
    response = client.get(reverse("manifest"))
    assert response["Content-Type"] == "application/manifest+json"
    assert response.json()["start_url"] == reverse("my_week")


def test_sign_out_clears_the_site_data(as_user, mentor):
    response = as_user(mentor.user).post(reverse("logout"))
    assert response["Clear-Site-Data"] == '"storage"'


def _values(log: InteractionLog) -> dict:
    from logs_app.fields import OPTION_FIELDS, SCALAR_FIELDS

    values = {name: getattr(log, name) for name in SCALAR_FIELDS}
    values.update({name: list(getattr(log, name).all()) for name in OPTION_FIELDS})
    return values

"""Issue 16: an analysis project's final code set through the API: only for a
token whose owner works on the project, at sites all within the token's;
consent withdrawn since the snapshot leaves a text out; cursor pages."""

import pytest

from analysis.consensus import consensus_settle, final_codes
from audit.models import AuditEvent
from tests.analysis.codebook_helpers import apply, code_of, finish, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.api.helpers import get, researcher, token_for
from tests.factories import InteractionLogFactory, ParticipantFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


def _url(project_id: int) -> str:
    return f"/api/v1/analysis/{project_id}/final-codes"


@pytest.fixture
def coded(db, site):
    """A project at `site` coded by its lead and one member: `done` finished
    by both (Friendship by both, Hope by one but settled as applying), `open_`
    finished by one only (not final yet)."""
    lead = researcher("", user=analyst("lead", site))
    project = project_of(lead, site)
    other = analyst("b", site)
    member(project, other)
    friend, hope = code_of(project, "Friendship"), code_of(project, "Hope")
    done = text_of(project, site)
    apply(done, lead, friend)
    apply(done, other, friend, hope)
    finish(done, lead, other)
    consensus_settle(
        actor=lead, project=project, text=done, code=hope, applies=True, note="yes"
    )
    open_ = text_of(project, site)
    apply(open_, lead, hope)
    finish(open_, lead)
    return project, lead, done, other


def test_final_codes_are_the_consensus_sets_by_text(client, coded, site):
    project, lead, done, other = coded
    body = get(client, _url(project.pk), token_for(lead, site)).json()
    # The analysis's own final sets, by name.
    names = {code.pk: code.name for code in project.codes.all()}
    expected = {
        text: sorted(names[c] for c in codes) for text, codes in final_codes(project)
    }
    assert expected == {done.pk: ["Friendship", "Hope"]}
    assert body["data"] == [
        {
            "text_guid": str(done.guid),
            "mentor_key": done.mentor_key,
            "participant_key": done.participant_key,
            "site_code": site.code,
            "contact_date": done.contact_date.isoformat(),
            "codes": expected[done.pk],
        }
    ]
    assert body["project"] == str(project.guid)
    assert [c["name"] for c in body["codes"]] == ["Friendship", "Hope"]
    assert body["next"] is None and body["count"] == 1
    event = AuditEvent.objects.get(action="api.request")
    assert event.details["filters"]["project"] == project.pk
    assert event.details["rows"] == 1


def test_a_project_outside_the_owners_work_is_404(client, coded, site):
    project, _lead, _done, _other = coded
    stranger = researcher("", user=analyst("stranger", site))
    response = get(client, _url(project.pk), token_for(stranger, site))
    assert response.status_code == 404


def test_a_project_reaching_past_the_tokens_sites_is_404(client, site, other_site):
    lead = researcher("", user=analyst("lead", site, other_site))
    project = project_of(lead, site, other_site)
    assert get(client, _url(project.pk), token_for(lead, site)).status_code == 404
    wide = get(client, _url(project.pk), token_for(lead, site, other_site))
    assert wide.status_code == 200


def test_a_missing_or_absurd_project_id_is_404(client, coded, site):
    _project, lead, _done, _other = coded
    token = token_for(lead, site)
    assert get(client, _url(0), token).status_code == 404
    assert get(client, _url(10**30), token).status_code == 404


def test_consent_withdrawn_since_the_snapshot_leaves_the_text_out(
    client, coded, site, mentor
):
    project, lead, done, other = coded
    participant = ParticipantFactory(site=site)
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    later = text_of(project, site, log=log)
    code = project.codes.get(name="Friendship")
    apply(later, lead, code)
    apply(later, other, code)
    finish(later, lead, other)
    token = token_for(lead, site)
    # The mentor never consented to research use of reflections: left out.
    assert [
        r["text_guid"] for r in get(client, _url(project.pk), token).json()["data"]
    ] == [str(done.guid)]
    mentor.reflections_consent_at = lead.date_joined
    mentor.save()
    got = get(client, _url(project.pk), token).json()["data"]
    assert [r["text_guid"] for r in got] == [str(done.guid), str(later.guid)]
    participant.has_research_consent = False
    participant.save()
    got = get(client, _url(project.pk), token).json()["data"]
    assert [r["text_guid"] for r in got] == [str(done.guid)]


def test_final_codes_page_through(client, coded, site):
    project, lead, done, other = coded
    texts = [done]
    for _ in range(2):
        text = text_of(project, site)
        finish(text, lead, other)
        texts.append(text)
    token = token_for(lead, site)
    url, seen = _url(project.pk) + "?limit=2", []
    while url:
        body = get(client, url, token).json()
        seen += [r["text_guid"] for r in body["data"]]
        url = body["next"]
    assert seen == [str(t.guid) for t in texts]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"cursor": "x"}, {"limit": "1e3"}])
def test_bad_final_codes_parameters_are_400(client, coded, site, params):
    project, lead, _done, _other = coded
    response = get(client, _url(project.pk), token_for(lead, site), **params)
    assert response.status_code == 400


def test_a_token_without_an_analysis_right_sees_no_project(client, coded, site):
    project, _lead, _done, _other = coded
    plain = researcher("plain", site)
    assert not UserFactory._meta.model.objects.get(pk=plain.pk).analysis_rights.exists()
    assert get(client, _url(project.pk), token_for(plain, site)).status_code == 404

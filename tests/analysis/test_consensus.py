"""Issue 15: disagreements, settling them, and the final code set."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.consensus import (
    consensus_settle,
    disagreement_count,
    disagreement_list,
    final_codes,
)
from analysis.models import Consensus, Text
from audit.models import AuditEvent
from tests.analysis.codebook_helpers import apply, code_of, finish, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.conftest import NOW, client_for

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def team(db, site):
    """A project with three coders (the lead, b, c) and an adjudicator who
    does not code."""
    lead = analyst("lead", site)
    project = project_of(lead, site)
    b, c = analyst("b", site), analyst("c", site)
    member(project, b)
    member(project, c)
    judge = analyst("judge", site)
    member(project, judge, codes=False, adjudicates=True)
    return project, lead, b, c, judge


@pytest.fixture
def example(team, site):
    """The hand-built example; each text's expected final set is reasoned out
    where it is built."""
    project, a, b, c, judge = team
    A, B, C, D, E = (code_of(project, n) for n in "ABCDE")  # noqa: N806
    # T1: all three apply A (whole text or a passage: the text level counts);
    # only b applies B. Final {A}; (T1, B) is a disagreement.
    t1 = text_of(project, site)
    apply(t1, a, A)
    apply(t1, b, A, B, span=(0, 5))
    apply(t1, c, A)
    # T2: all apply A and B; an adjudicator says A does not apply. Final {B}.
    t2 = text_of(project, site)
    for coder in (a, b, c):
        apply(t2, coder, A, B)
    # T3: only a applies C (settled: applies); a and b apply D, c does not
    # (open). Final {C}: D lacks c and no decision.
    t3 = text_of(project, site)
    apply(t3, a, C, D)
    apply(t3, b, D)
    # T4: c has not finished: not in the final set, no disagreement, even
    # though a and b applied A and B differently.
    t4 = text_of(project, site)
    apply(t4, a, A, B)
    apply(t4, b, A)
    # T5: excluded from the analysis although everyone finished it.
    t5 = text_of(project, site, screening=Text.Screening.EXCLUDED)
    apply(t5, a, A)
    # T6: finished with no codes at all: final {} (E was never used anywhere,
    # so it is no disagreement).
    t6 = text_of(project, site)
    for text in (t1, t2, t3, t5, t6):
        finish(text, a, b, c)
    finish(t4, a, b)
    consensus_settle(
        actor=judge, project=project, text=t2, code=A, applies=False, note="Off topic."
    )
    consensus_settle(
        actor=judge, project=project, text=t3, code=C, applies=True, note="Fits."
    )
    return project, (t1, t2, t3, t4, t5, t6), (A, B, C, D, E)


def test_final_codes_on_the_hand_built_example(example):
    project, (t1, t2, t3, _t4, _t5, t6), (A, B, C, _D, _E) = example  # noqa: N806
    assert dict(final_codes(project)) == {
        t1.pk: {A.pk},
        t2.pk: {B.pk},
        t3.pk: {C.pk},
        t6.pk: set(),
    }


def test_final_codes_streams_texts_whole_across_chunks(example):
    # A chunk of one row splits T1..T6's rows at every boundary.
    project = example[0]
    assert list(final_codes(project, chunk=1)) == list(final_codes(project))


def test_disagreements_are_text_level_and_ignore_unused_codes(example):
    project, (t1, _t2, t3, *_), (_A, B, C, D, E) = example  # noqa: N806
    rows = disagreement_list(project)
    assert [(r.text_id, r.code_id, r.applied_by, r.settled) for r in rows] == [
        (t1.pk, B.pk, 1, None),
        (t3.pk, C.pk, 1, True),
        (t3.pk, D.pk, 2, None),
    ]
    assert disagreement_count(project) == 3
    assert disagreement_count(project, open_only=True) == 2
    assert disagreement_count(project, code_id=D.pk) == 1
    assert disagreement_count(project, code_id=E.pk) == 0


def test_a_coder_no_longer_coding_does_not_count(example, team):
    project, (_t1, _t2, t3, t4, *_), (A, B, *_r) = example  # noqa: N806
    _p, _a, _b, c, _j = team
    project.members.filter(user=c).update(codes=False)
    # Two coders now: T4 (a, b finished) counts; a applied B there, b did not.
    pairs = {(r.text_id, r.code_id) for r in disagreement_list(project)}
    assert (t4.pk, B.pk) in pairs
    assert dict(final_codes(project))[t4.pk] == {A.pk}
    # T3: a and b both applied D: no longer a disagreement, now final.
    assert (t3.pk, example[2][3].pk) not in pairs


def test_changing_a_decision_supersedes_and_keeps_history(example, team):
    project, (t1, *_), (_A, B, *_r) = example  # noqa: N806
    judge = team[4]
    consensus_settle(
        actor=judge, project=project, text=t1, code=B, applies=True, note="Yes."
    )
    consensus_settle(
        actor=judge, project=project, text=t1, code=B, applies=False, note="No."
    )
    rows = Consensus.objects.filter(text=t1, code=B).order_by("pk")
    assert [(r.applies, r.superseded_at) for r in rows] == [(True, NOW), (False, None)]
    assert B.pk not in dict(final_codes(project))[t1.pk]
    events = AuditEvent.objects.filter(action="analysis.consensus.settle")
    assert events.count() == 4  # two in the fixture, two here
    assert events.order_by("-pk").first().details["supersedes"] == [rows[0].pk]


def test_settling_needs_a_note_and_a_finished_text(example, team):
    project, (t1, _t2, _t3, t4, *_), (A, *_r) = example  # noqa: N806
    judge = team[4]
    with pytest.raises(ValidationError):
        consensus_settle(
            actor=judge, project=project, text=t1, code=A, applies=True, note=" "
        )
    with pytest.raises(ValidationError):
        consensus_settle(
            actor=judge, project=project, text=t4, code=A, applies=True, note="x"
        )


# --- pages ---------------------------------------------------------------------------
def test_adjudicator_settles_from_the_list_in_one_click(example, team):
    project, (t1, *_), (_A, B, *_r) = example  # noqa: N806
    client = client_for(team[4])
    listing = client.get(reverse("analysis_disagreements", args=[project.pk]))
    settle = reverse("analysis_settle", args=[project.pk, t1.pk, B.pk])
    assert settle in listing.content.decode()
    page = client.get(settle)
    # After everyone finished, each coder's codes show.
    assert page.status_code == 200
    assert [u.username for u, _c in page.context["by_coder"]] == ["b", "c", "lead"]
    response = client.post(settle, {"applies": "1", "note": "b is right."})
    assert response.status_code == 302
    assert Consensus.objects.get(text=t1, code=B).applies is True


def test_settle_refuses_without_a_note_and_keeps_what_was_typed(example, team):
    project, (t1, *_), (_A, B, *_r) = example  # noqa: N806
    url = reverse("analysis_settle", args=[project.pk, t1.pk, B.pk])
    response = client_for(team[4]).post(url, {"applies": "0", "note": ""})
    assert response.status_code == 400
    assert "note" in response.context["form"].errors
    assert not Consensus.objects.filter(text=t1, code=B).exists()


def test_coder_reads_but_cannot_settle(example, team):
    project, (t1, *_), (_A, B, *_r) = example  # noqa: N806
    client = client_for(team[2])  # b: codes, does not adjudicate
    url = reverse("analysis_settle", args=[project.pk, t1.pk, B.pk])
    page = client.get(url)
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(url, {"applies": "1", "note": "x"}).status_code == 403


def test_unfinished_text_has_no_settle_page(example, team):
    """Blinding: before every coder finished, nobody sees the codes of others."""
    project, (_t1, _t2, _t3, t4, *_), (A, *_r) = example  # noqa: N806
    url = reverse("analysis_settle", args=[project.pk, t4.pk, A.pk])
    assert client_for(team[4]).get(url).status_code == 404
    assert client_for(team[1]).get(url).status_code == 404


def test_outsiders_get_404(example, site, other_site):
    project, (t1, *_), (_A, B, *_r) = example  # noqa: N806
    outsider = analyst("outsider", site)
    for url in (
        reverse("analysis_disagreements", args=[project.pk]),
        reverse("analysis_settle", args=[project.pk, t1.pk, B.pk]),
    ):
        assert client_for(outsider).get(url).status_code == 404


def test_filter_by_code(example, team):
    project, _texts, (_A, _B, _C, D, _E) = example  # noqa: N806
    page = client_for(team[4]).get(
        reverse("analysis_disagreements", args=[project.pk]), {"code": D.pk}
    )
    assert [code.pk for _d, _t, code in page.context["rows"]] == [D.pk]


def _list_queries(client, project) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert (
            client.get(reverse("analysis_disagreements", args=[project.pk])).status_code
            == 200
        )
    return len(ctx)


def test_disagreement_list_queries_do_not_grow_with_the_data(team, site):
    project, a, b, c, judge = team
    codes = [code_of(project, f"K{i}") for i in range(4)]
    client = client_for(judge)

    def add_texts(n):
        for _i in range(n):
            text = text_of(project, site)
            apply(text, a, *codes)
            finish(text, a, b, c)

    add_texts(2)
    few = _list_queries(client, project)
    add_texts(10)
    assert _list_queries(client, project) == few

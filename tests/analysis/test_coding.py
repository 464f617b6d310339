"""Issue 15: coding a text blind, whole answer or passage, memo, finish and
reopen, recoding under a new codebook version; the blinding rule tried through
every coding URL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.coding import others_visible, visible_codings
from analysis.coding_pages import segments
from analysis.models import (
    AnalysisRight,
    CodebookVersion,
    CoderText,
    Coding,
    Consensus,
    Memo,
    Text,
)
from analysis.permissions import ProjectAccess
from audit.models import AuditEvent
from core.roles import Role
from tests.analysis.factories import (
    CodeFactory,
    analyst,
    member,
    project_of,
    reflection,
)
from tests.conftest import client_for
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

BODY = "Je l’ai aidé 😀 à appeler. Then we\r\ntalked about quitting."


@pytest.fixture
def world(db, site):
    """A blind project at `site`: lead `ana` and coder `bo` code, three
    included texts, two active codes and a retired one."""
    ana, bo = analyst("ana", site), analyst("bo", site)
    p = ParticipantFactory(site=site)
    for words in (BODY, "Second text.", "Third text."):
        reflection(participant=p, text=words)
    project = project_of(ana, site)
    member(project, bo)
    project.texts.update(screening=Text.Screening.INCLUDED)
    codes = [
        CodeFactory(project=project, name="Helping", position=1),
        CodeFactory(project=project, name="Boundaries", position=2),
    ]
    retired = CodeFactory(project=project, name="Old", active=False)
    texts = list(project.texts.order_by("pk"))
    return project, ana, bo, codes, retired, texts


def url(name, project, text=None, *extra):
    args = [project.pk] + ([text.pk] if text else []) + list(extra)
    return reverse(name, args=args)


def test_whole_answer_codes_without_js_and_a_double_post_makes_one_row(world):
    project, ana, _bo, codes, _r, texts = world
    c = client_for(ana)
    page = url("analysis_code_text", project, texts[0])
    for _ in range(2):
        assert c.post(page, {"codes": [codes[0].pk]}).status_code == 302
    assert Coding.objects.filter(coder=ana, start=None).count() == 1
    c.post(page, {"codes": [codes[1].pk]})  # unticking the first removes it
    assert list(Coding.objects.values_list("code__name", flat=True)) == ["Boundaries"]
    assert CoderText.objects.get(coder=ana).finished_at is None  # started


def test_passage_in_code_points_round_trips_and_is_audited(world):
    project, ana, _bo, codes, _r, texts = world
    c = client_for(ana)
    start = BODY.index("😀")
    end = BODY.index(" à")  # the emoji is one code point in Python
    assert end - start == 1
    data = {"code": codes[0].pk, "start": start, "end": end}
    for _ in range(2):
        assert (
            c.post(url("analysis_passage_add", project, texts[0]), data).status_code
            == 302
        )
    coding = Coding.objects.get()
    assert texts[0].body[coding.start : coding.end] == "😀"
    event = AuditEvent.objects.filter(action="analysis.coding.passage").get()
    assert "😀" not in str(event.details) and event.details["start"] == start


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 5, "The passage is empty"),
        (9, 3, "The passage is empty"),
        (0, len(BODY) + 1, "goes past the end"),
        (-1, 3, "greater than or equal to 0"),
    ],
)
def test_a_bad_passage_is_refused_with_a_message(world, start, end, message):
    project, ana, _bo, codes, _r, texts = world
    r = client_for(ana).post(
        url("analysis_passage_add", project, texts[0]),
        {"code": codes[0].pk, "start": start, "end": end},
    )
    assert r.status_code == 400 and message in r.content.decode()
    assert not Coding.objects.exists()


def test_a_retired_code_or_another_projects_code_is_refused(world, site):
    project, ana, _bo, _codes, retired, texts = world
    elsewhere = CodeFactory(project=project_of(ana, site, name="Other"))
    c = client_for(ana)
    for code in (retired, elsewhere):
        r = c.post(
            url("analysis_passage_add", project, texts[0]),
            {"code": code.pk, "start": 0, "end": 2},
        )
        assert r.status_code == 400 and "retired or not part" in r.content.decode()
        r = c.post(url("analysis_code_text", project, texts[0]), {"codes": [code.pk]})
        assert r.status_code == 400
    assert not Coding.objects.exists()


def test_another_projects_text_or_an_excluded_text_is_404(world, site):
    project, ana, _bo, codes, _r, texts = world
    other = project_of(ana, site, name="Other")
    foreign = other.texts.first()
    Text.objects.filter(pk=texts[2].pk).update(screening=Text.Screening.EXCLUDED)
    c = client_for(ana)
    for text in (foreign, texts[2]):
        assert c.get(url("analysis_code_text", project, text)).status_code == 404
        r = c.post(url("analysis_code_finish", project, text))
        assert r.status_code == 404
    assert not CoderText.objects.exists()


def test_lifecycle_code_finish_next_and_double_finish_is_harmless(world):
    project, ana, _bo, codes, _r, texts = world
    c = client_for(ana)
    assert c.get(url("analysis_code", project)).url == url(
        "analysis_code_text", project, texts[0]
    )
    c.post(url("analysis_code_text", project, texts[0]), {"codes": [codes[0].pk]})
    r = c.post(url("analysis_code_finish", project, texts[0]))
    assert r.url == url("analysis_code", project)
    first = CoderText.objects.get(coder=ana, text=texts[0])
    c.post(url("analysis_code_finish", project, texts[0]))
    assert CoderText.objects.get(pk=first.pk).finished_at == first.finished_at
    assert AuditEvent.objects.filter(action="analysis.coding.finish").count() == 1
    assert c.get(url("analysis_code", project)).url.endswith(f"/{texts[1].pk}/")
    # A finished text is frozen until reopened.
    r = c.post(url("analysis_code_text", project, texts[0]), {"codes": []})
    assert r.status_code == 400 and "Reopen it" in r.content.decode()
    c.post(url("analysis_code_reopen", project, texts[0]))
    assert (
        c.post(url("analysis_code_text", project, texts[0]), {"codes": []}).status_code
        == 302
    )
    assert not Coding.objects.exists()


def test_all_finished_shows_the_summary(world):
    project, ana, _bo, _codes, _r, texts = world
    c = client_for(ana)
    for text in texts:
        c.post(url("analysis_code_finish", project, text))
    r = c.get(url("analysis_code", project))
    assert r.status_code == 200 and "finished every included text" in r.content.decode()


def test_a_settled_text_cannot_be_reopened_or_changed(world):
    project, ana, _bo, codes, _r, texts = world
    c = client_for(ana)
    c.post(url("analysis_code_finish", project, texts[0]))
    Consensus.objects.create(
        text=texts[0],
        code=codes[0],
        applies=True,
        note="Both saw help.",
        decided_by=ana,
        decided_at=CoderText.objects.get().finished_at,
        codebook_version=1,
    )
    r = c.post(url("analysis_code_reopen", project, texts[0]))
    assert r.status_code == 400 and "settled" in r.content.decode()
    assert CoderText.objects.get().finished_at is not None


def test_recoding_after_a_codebook_change_is_tracked_per_version(world):
    project, ana, _bo, _codes, _r, texts = world
    c = client_for(ana)
    for text in texts[:2]:
        c.post(url("analysis_code_finish", project, text))
    CodebookVersion.objects.create(
        project=project, number=2, reason="Split a code.", created_by=ana
    )
    page = c.get(url("analysis_code_text", project, texts[2]))
    assert "2 texts coded under an older codebook version" in page.content.decode()
    r = c.get(url("analysis_code", project) + "?outdated=1")
    assert r.url == url("analysis_code_text", project, texts[0]) + "?outdated=1"
    c.post(url("analysis_code_finish", project, texts[0]), {"outdated": "1"})
    row = CoderText.objects.get(text=texts[0], coder=ana)
    assert row.codebook_version == 2
    event = (
        AuditEvent.objects.filter(action="analysis.coding.finish").order_by("pk").last()
    )
    assert event.details["recoded"] is True
    page = c.get(url("analysis_code_text", project, texts[2]))
    assert "1 text coded under an older codebook version" in page.content.decode()


def test_memo_is_saved_changed_and_removed(world):
    project, ana, _bo, _codes, _r, texts = world
    c = client_for(ana)
    memo_url = url("analysis_memo_save", project, texts[0])
    c.post(memo_url, {"body": "Reads as pride."})
    c.post(memo_url, {"body": "Reads as pride, or relief."})
    assert Memo.objects.get().body == "Reads as pride, or relief."
    c.post(memo_url, {"body": "  "})
    assert not Memo.objects.exists()
    assert "pride" not in str(
        list(AuditEvent.objects.filter(action="analysis.coding.memo").values("details"))
    )


# --- blinding -------------------------------------------------------------------
def _bo_codes_a_passage_and_a_memo(world):
    project, _ana, bo, codes, _r, texts = world
    c = client_for(bo)
    c.post(
        url("analysis_passage_add", project, texts[0]),
        {"code": codes[1].pk, "start": 0, "end": 2},
    )
    c.post(url("analysis_memo_save", project, texts[0]), {"body": "BO-SECRET-MEMO"})
    return Coding.objects.get(coder=bo)


def _every_url_ana_can_reach(project, text, coding):
    return [
        ("get", url("analysis_code_text", project, text)),
        ("get", url("analysis_code", project)),
        ("post", url("analysis_coding_delete", project, text, coding.pk)),
        ("post", url("analysis_code_text", project, text)),
        ("post", url("analysis_passage_add", project, text)),
        ("post", url("analysis_memo_save", project, text)),
        ("post", url("analysis_code_reopen", project, text)),
        ("get", url("analysis_screen", project)),
    ]


def test_blind_until_every_coder_has_finished_through_every_url(world):
    project, ana, bo, codes, _r, texts = world
    bos = _bo_codes_a_passage_and_a_memo(world)
    c = client_for(ana)
    for method, path in _every_url_ana_can_reach(project, texts[0], bos):
        body = getattr(c, method)(path, follow=True).content.decode()
        assert "BO-SECRET-MEMO" not in body and "Boundaries</strong>" not in body
    # Guessing bo's coding id does not remove it (404: not ana's).
    assert Coding.objects.filter(pk=bos.pk).exists()
    assert (
        c.post(url("analysis_coding_delete", project, texts[0], bos.pk)).status_code
        == 404
    )
    # Ana finishes: still blind, bo has not.
    c.post(url("analysis_code_finish", project, texts[0]))
    access = ProjectAccess.of(ana, project)
    assert not others_visible(access, texts[0])
    assert list(visible_codings(access, texts[0], ana)) == []
    # Bo finishes: both see each other.
    client_for(bo).post(url("analysis_code_finish", project, texts[0]))
    page = c.get(url("analysis_code_text", project, texts[0])).content.decode()
    assert "BO-SECRET-MEMO" in page and "Boundaries</strong>" in page


def test_a_new_coder_blinds_the_text_again_and_reopening_blinds_it(world, site):
    project, ana, bo, _codes, _r, texts = world
    _bo_codes_a_passage_and_a_memo(world)
    for user in (ana, bo):
        client_for(user).post(url("analysis_code_finish", project, texts[0]))
    access = ProjectAccess.of(ana, project)
    assert others_visible(access, texts[0])
    client_for(bo).post(url("analysis_code_reopen", project, texts[0]))
    assert not others_visible(access, texts[0])
    event = AuditEvent.objects.get(action="analysis.coding.reopen")
    assert event.details["had_seen_others"] is True
    client_for(bo).post(url("analysis_code_finish", project, texts[0]))
    member(project, analyst("cy", site))
    assert not others_visible(access, texts[0])


def test_without_blinding_others_codes_show_at_once(world):
    project, ana, _bo, _codes, _r, texts = world
    project.blinded = False
    project.save()
    _bo_codes_a_passage_and_a_memo(world)
    page = client_for(ana).get(url("analysis_code_text", project, texts[0]))
    assert "BO-SECRET-MEMO" in page.content.decode()


# --- permissions ----------------------------------------------------------------
def test_roles(world, site, other_site):
    project, ana, _bo, _codes, _r, texts = world
    page = url("analysis_code_text", project, texts[0])
    screener = analyst("sc", site)
    member(project, screener, codes=False, screens=True)
    assert client_for(screener).get(page).status_code == 403
    assert client_for(analyst("stranger", site)).get(page).status_code == 404
    lost = analyst("lost", site, other_site)
    member(project, lost)
    assert client_for(lost).get(page).status_code == 200
    project.sites.add(other_site)
    AnalysisRight.objects.filter(user=lost, site=other_site).delete()
    assert client_for(lost).get(page).status_code == 404
    staff = UserFactory(username="norights", roles=[Role.RESEARCH], sites=[site])
    assert client_for(staff).get(reverse("analysis_projects")).status_code == 403
    assert client_for(staff).get(page).status_code == 404
    assert (
        client_for(ana).get(url("analysis_code_finish", project, texts[0])).status_code
        == 405
    )


# --- the page and its queries -----------------------------------------------------
def test_segments_cut_at_passages_and_carriage_returns():
    class P:
        def __init__(self, start, end):
            self.start, self.end = start, end

    body = "ab😀c\r\nde"
    segs = segments(body, [P(1, 3)])
    # Each segment's start and length index the stored text in code points.
    assert [(s.start, s.length) for s in segs] == [
        (0, 1),
        (1, 2),
        (3, 1),
        (4, 1),
        (5, 3),
    ]
    assert "".join(body[s.start : s.start + s.length] for s in segs) == body
    assert segs[3].shown == ""  # the CR before a LF is not shown
    assert [len(s.codings) for s in segs] == [0, 1, 0, 0, 0]


def test_coding_page_queries_do_not_grow_with_texts_or_codings(
    world, site, django_assert_num_queries
):
    project, ana, bo, codes, _r, texts = world
    c = client_for(ana)
    page = url("analysis_code_text", project, texts[0])
    c.get(page)  # warm the session

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(page).status_code == 200
        return len(ctx)

    before = count()
    p = ParticipantFactory(site=site)
    for i in range(5):
        reflection(participant=p, text=f"More words {i}.")
    project.texts.update(screening=Text.Screening.INCLUDED)
    for text in project.texts.all():
        for user in (ana, bo):
            Coding.objects.create(
                text=text, coder=user, code=codes[0], codebook_version=1
            )
            Coding.objects.create(
                text=text, coder=user, code=codes[1], start=0, end=3, codebook_version=1
            )
    with django_assert_num_queries(before):
        assert c.get(page).status_code == 200

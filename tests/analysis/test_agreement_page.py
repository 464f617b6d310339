"""Issue 15: agreement from the database. The statistics are proven against
the reference libraries in test_agreement.py; here, that the SQL hands them
the right tables: finished coders only, included texts only, any passage or
the whole answer counting as applied, and who applied what for kappa."""

import pytest
from django.urls import reverse

from analysis.agreement_data import agreement_data, code_passages
from analysis.agreement_tables import PairTable, UnitCounts
from analysis.models import Text
from tests.analysis.codebook_helpers import apply, finish
from tests.analysis.factories import (
    CodeFactory,
    analyst,
    member,
    project_of,
    reflection,
)
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def coded(db, site):
    """A project of 12 texts, two coders (the lead `a` and `b`), two codes."""
    a, b = analyst("coder_a", site), analyst("coder_b", site)
    participant = ParticipantFactory(site=site)
    for i in range(12):
        reflection(participant=participant, text=f"Reflection number {i} " * 3)
    # Blinding off: a text counts once two coders finished it (blinding is
    # tested on its own below).
    project = project_of(a, site, blinded=False)
    member(project, b)
    project.texts.update(screening=Text.Screening.INCLUDED)
    codes = CodeFactory(project=project), CodeFactory(project=project)
    return project, a, b, codes, list(project.texts.order_by("pk"))


def _code(text, coder, code, span=None):
    apply(text, coder, code, span=span)


def test_two_coders_get_the_two_by_two_table(coded):
    project, a, b, (x, y), texts = coded
    # Texts 0-2: both apply x (text 2: twice by a, on passages) → both = 3.
    for t in texts[:3]:
        _code(t, a, x)
        _code(t, b, x, (0, 5))
    _code(texts[2], a, x, (3, 9))
    _code(texts[3], a, x)  # only a
    _code(texts[4], a, x)  # only a
    _code(texts[5], b, x)  # only b
    for t in texts[:10]:
        finish(t, a, b)  # texts 6-9: neither applied x
    finish(texts[10], a)  # unpaired
    _code(texts[11], a, x)  # a never finished text 11: not counted at all
    _code(texts[11], b, x)
    data = agreement_data(project, [x.pk, y.pk])
    assert data.coders == sorted([a.pk, b.pk])
    first, second = (a, b) if a.pk < b.pk else (b, a)
    only = {a.pk: 2, b.pk: 1}
    assert data.tables[x.pk] == PairTable(
        both=3, only_a=only[first.pk], only_b=only[second.pk], neither=4, unpaired=1
    )
    assert data.tables[y.pk] == PairTable(0, 0, 0, 10, unpaired=1)
    assert data.disagreements == {x.pk: 3, y.pk: 0}
    assert data.units == 11


def test_excluded_texts_do_not_count_and_three_coders_get_unit_counts(coded, site):
    project, a, b, (x, _y), texts = coded
    c = analyst("coder_c", site)
    member(project, c)
    Text.objects.filter(pk=texts[0].pk).update(screening=Text.Screening.EXCLUDED)
    _code(texts[0], a, x)
    finish(texts[0], a, b, c)
    _code(texts[1], a, x)
    _code(texts[1], b, x)
    finish(texts[1], a, b, c)  # m=3, k=2
    finish(texts[2], a, b)  # m=2, k=0
    data = agreement_data(project, [x.pk])
    assert data.tables[x.pk] == UnitCounts.from_rows([(3, 2, 1), (2, 0, 1)])
    assert data.disagreements == {x.pk: 1}


def test_passages_of_one_code(coded):
    project, a, b, (x, _y), texts = coded
    _code(texts[0], a, x, (0, 10))
    _code(texts[0], b, x, (5, 10))
    _code(texts[0], b, x)  # the whole answer is not a passage
    finish(texts[0], a, b)
    passages, finished = code_passages(project, x.pk)
    assert {t: dict(c) for t, c in passages.items()} == {
        texts[0].pk: {a.pk: [(0, 10)], b.pk: [(5, 10)]}
    }
    assert finished == {texts[0].pk: {a.pk, b.pk}}


def test_the_page_shows_each_code_and_the_passage_overlap(coded, as_user):
    project, a, b, (x, y), texts = coded
    for t in texts[:6]:
        _code(t, a, x, (0, 10))
        _code(t, b, x, (0, 5) if t.pk % 2 else (0, 10))
        finish(t, a, b)
    response = as_user(a).get(
        reverse("analysis_agreement", args=[project.pk]), {"passages": x.pk}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert x.name in html and y.name in html
    assert "no variation" in html  # y was never applied
    assert response.context["passages"].overlap == pytest.approx(
        sum(5 if t.pk % 2 else 10 for t in texts[:6]) / 60
    )
    assert "<svg" in html and 'role="img"' in html


def test_a_non_member_analyst_gets_404(coded, as_user, site):
    project = coded[0]
    stranger = analyst("stranger", site)
    response = as_user(stranger).get(reverse("analysis_agreement", args=[project.pk]))
    assert response.status_code == 404


def test_with_blinding_only_texts_every_coder_finished_count(coded, site):
    """A figure over a text another coder is still on would tell the finished
    coders something of that coder's codes: with blinding on, agreement reads
    only the texts every coder of the project has finished."""
    project, a, b, (x, _y), texts = coded
    project.blinded = True
    project.save()
    c = analyst("coder_c", site)
    member(project, c)
    _code(texts[0], a, x)
    finish(texts[0], a, b)  # c is still coding it
    finish(texts[1], a, b, c)
    data = agreement_data(project, [x.pk])
    assert data.tables[x.pk] == UnitCounts.from_rows([(3, 0, 1)])
    assert data.units == 1
    passages, finished = code_passages(project, x.pk)
    assert set(finished) == {texts[1].pk}

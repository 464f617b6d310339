"""Issue 15: quotes, and the theme summary's counts from the final code set."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.consensus import final_codes
from analysis.models import Category, Quote
from analysis.themes import theme_summary
from audit.models import AuditEvent
from tests.analysis.codebook_helpers import apply, code_of, finish, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.conftest import client_for
from tests.factories import CohortFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def setup(db, site, other_site):
    lead = analyst("lead", site, other_site)
    project = project_of(lead, site, other_site)
    b = analyst("b", site, other_site)
    member(project, b)
    role = Category.objects.create(project=project, name="Role", position=0)
    friend = code_of(project, "Friendship", category=role)
    hope = code_of(project, "Hope")
    spring = CohortFactory(site=site, name="Spring")
    texts = [
        text_of(project, site, cohort=spring),
        text_of(project, site, cohort=spring),
        text_of(project, site),
        text_of(project, other_site),
    ]
    for text in texts:
        apply(text, lead, friend)
        apply(text, b, friend)
        finish(text, lead, b)
    apply(texts[0], lead, hope)  # b did not: a disagreement, not final
    return project, lead, b, texts, friend, hope, spring


def test_counts_by_site_and_cohort_come_from_the_final_code_set(
    setup, site, other_site
):
    project, _lead, _b, texts, friend, hope, spring = setup
    summary = theme_summary(project)
    assert summary.finished == 4
    role, other = summary.categories
    assert role.category.name == "Role" and other.category is None
    (friendship,) = role.codes
    # Expected, from final_codes itself: texts whose final set has the code.
    finals = dict(final_codes(project))
    assert friendship.texts == sum(friend.pk in c for c in finals.values()) == 4
    assert friendship.by_site == [(site, 3), (other_site, 1)]
    assert dict(friendship.by_cohort) == {spring: 2, None: 2}
    assert other.codes[0].code == hope and other.codes[0].texts == 0


def test_theme_summary_queries_do_not_grow(setup, site, django_assert_num_queries):
    project, lead, b, _texts, friend, _hope, _spring = setup
    Quote.objects.create(text=_texts[0], code=friend, chosen_by=lead)
    # codes, final counts, sites, cohorts, quotes (with texts), finished count
    with django_assert_num_queries(6):
        theme_summary(project)
    for _i in range(5):
        text = text_of(project, site, cohort=CohortFactory(site=site))
        apply(text, lead, friend)
        apply(text, b, friend)
        finish(text, lead, b)
        Quote.objects.create(text=text, code=friend, chosen_by=lead)
    with django_assert_num_queries(6):
        theme_summary(project)


def test_coder_marks_a_passage_as_a_quote(setup):
    project, _lead, b, texts, friend, _hope, _spring = setup
    text = texts[0]
    url = reverse("analysis_quote_add", args=[project.pk, text.pk])
    response = client_for(b).post(
        url, {"code": friend.pk, "passage": "a friend", "note": "Plain words."}
    )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert text.body[quote.start : quote.end] == "a friend"
    assert AuditEvent.objects.filter(action="analysis.quote.add").count() == 1
    page = client_for(b).get(reverse("analysis_themes", args=[project.pk]))
    html = page.content.decode()
    assert "“a friend”" in html and text.participant_key in html


def test_whole_text_quote_and_a_passage_not_in_the_text(setup):
    project, _lead, b, texts, friend, _hope, _spring = setup
    url = reverse("analysis_quote_add", args=[project.pk, texts[1].pk])
    client = client_for(b)
    refused = client.post(url, {"code": friend.pk, "passage": "not there"})
    assert refused.status_code == 400 and "passage" in refused.context["form"].errors
    assert client.post(url, {"code": friend.pk, "passage": ""}).status_code == 302
    assert Quote.objects.get().start is None
    again = client.post(url, {"code": friend.pk, "passage": ""})
    assert again.status_code == 400  # the same quote twice


def test_member_who_neither_codes_nor_settles_cannot_quote(setup, site, other_site):
    project, _lead, _b, texts, friend, *_ = setup
    reader = analyst("reader", site, other_site)
    member(project, reader, codes=False)
    client = client_for(reader)
    assert client.get(reverse("analysis_themes", args=[project.pk])).status_code == 200
    url = reverse("analysis_quote_add", args=[project.pk, texts[0].pk])
    assert client.post(url, {"code": friend.pk}).status_code == 403


def test_quote_can_be_removed_and_outsiders_get_404(setup, site):
    project, lead, b, texts, friend, *_ = setup
    quote = Quote.objects.create(text=texts[0], code=friend, chosen_by=lead)
    url = reverse("analysis_quote_remove", args=[project.pk, quote.pk])
    assert client_for(analyst("outsider", site)).post(url).status_code == 404
    assert client_for(b).post(url).status_code == 302
    assert not Quote.objects.exists()


def test_theme_page_query_count_is_constant(setup, site):
    project, lead, b, _texts, friend, *_ = setup
    client = client_for(b)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("analysis_themes", args=[project.pk]))
        return len(ctx)

    few = count()
    for _i in range(4):
        text = text_of(project, site)
        apply(text, lead, friend)
        apply(text, b, friend)
        finish(text, lead, b)
        Quote.objects.create(text=text, code=friend, chosen_by=lead)
    assert count() == few

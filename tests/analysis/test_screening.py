"""Issue 15: screening texts in or out, by one or two screeners, and settling
their disagreements; `Text.screening` always follows the decisions."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.models import CoderText, ScreeningDecision, Text
from audit.models import AuditEvent
from tests.analysis.factories import analyst, member, project_of, reflection
from tests.conftest import client_for
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

REASON = "Nothing about the mentor role"


def _texts(site, n):
    p = ParticipantFactory(site=site)
    for i in range(n):
        reflection(participant=p, text=f"SECRET-WORDS {i}")


@pytest.fixture
def lead(db, site):
    return analyst("lead", site)


def include(text):
    return {"text": text.pk, "decision": "include"}


def exclude(text, reason=REASON, other=""):
    return {"text": text.pk, "decision": "exclude", "reason": reason, "other": other}


def screen_url(project):
    return reverse("analysis_screen", args=[project.pk])


def test_one_screener_includes_and_excludes_with_audit(lead, site):
    _texts(site, 3)
    project = project_of(lead, site)
    a, b, c = project.texts.order_by("pk")
    client = client_for(lead)
    page = client.get(screen_url(project)).content.decode()
    assert "0 of 3 screened" in page and "SECRET-WORDS 0" in page
    assert client.post(screen_url(project), include(a)).status_code == 302
    assert client.post(screen_url(project), exclude(b)).status_code == 302
    client.post(screen_url(project), exclude(c, "other", "A list of errands"))
    states = dict(project.texts.values_list("pk", "screening"))
    assert states == {a.pk: "included", b.pk: "excluded", c.pk: "excluded"}
    assert Text.objects.get(pk=c.pk).screening_reason == "A list of errands"
    events = AuditEvent.objects.filter(action="analysis.screening.decide")
    assert [e.details["reason"] for e in events.order_by("pk")] == ["", REASON, "other"]
    assert "SECRET" not in str(list(events.values("details")))
    assert "errands" not in str(list(events.values("details")))
    page = client.get(screen_url(project)).content.decode()
    assert "3 of 3 screened" in page and "Nothing left" in page


def test_double_post_is_harmless_and_a_change_is_refused_once_coding_started(
    lead, site
):
    _texts(site, 1)
    project = project_of(lead, site)
    text = project.texts.get()
    client = client_for(lead)
    client.post(screen_url(project), include(text))
    client.post(screen_url(project), include(text))
    assert ScreeningDecision.objects.count() == 1
    assert AuditEvent.objects.filter(action="analysis.screening.decide").count() == 1
    CoderText.objects.create(text=text, coder=lead)
    r = client.post(screen_url(project), exclude(text))
    assert (
        r.status_code == 400 and "Coding of this text has started" in r.content.decode()
    )
    assert Text.objects.get().screening == "included"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "exclude"}, "Choose why this text is excluded."),
        ({"decision": "exclude", "reason": "other"}, "Say why this text is excluded."),
        ({"decision": "exclude", "reason": "made up"}, "Select a valid choice"),
        ({"decision": "maybe"}, "Select a valid choice"),
    ],
)
def test_invalid_decisions_are_refused(lead, site, data, message):
    _texts(site, 1)
    project = project_of(lead, site)
    r = client_for(lead).post(
        screen_url(project), {"text": project.texts.get().pk, **data}
    )
    assert r.status_code == 400 and message in r.content.decode()
    assert not ScreeningDecision.objects.exists()


def test_another_projects_text_is_404(lead, site):
    _texts(site, 1)
    project = project_of(lead, site)
    other = project_of(lead, site, name="Other")
    r = client_for(lead).post(screen_url(project), include(other.texts.get()))
    assert r.status_code == 404


def test_two_screeners_agree_or_disagree_and_an_adjudicator_settles(lead, site):
    _texts(site, 2)
    project = project_of(lead, site, double_screening=True)
    second = analyst("second", site)
    member(project, second, codes=False, screens=True)
    agreed, split = project.texts.order_by("pk")
    lead_c, second_c = client_for(lead), client_for(second)
    lead_c.post(screen_url(project), include(agreed))
    assert Text.objects.get(pk=agreed.pk).screening == "pending"  # one of two
    # The second screener is offered the same text: it is not decided for them.
    assert f'value="{agreed.pk}"' in second_c.get(screen_url(project)).content.decode()
    second_c.post(screen_url(project), include(agreed))
    assert Text.objects.get(pk=agreed.pk).screening == "included"
    lead_c.post(screen_url(project), include(split))
    second_c.post(screen_url(project), exclude(split))
    assert Text.objects.get(pk=split.pk).screening == "disagreed"
    settle = reverse("analysis_screen_settle", args=[project.pk])
    assert second_c.get(settle).status_code == 403  # not an adjudicator
    page = lead_c.get(settle).content.decode()
    assert "second: exclude" in page and "1 text waits" in page
    assert lead_c.post(settle, exclude(split)).status_code == 302
    text = Text.objects.get(pk=split.pk)
    assert (text.screening, text.screening_reason) == ("excluded", REASON)
    assert ScreeningDecision.objects.filter(settles=True).count() == 1
    r = lead_c.post(settle, include(agreed))
    assert r.status_code == 400 and "do not disagree" in r.content.decode()


def test_a_third_decision_on_a_screened_text_is_refused(lead, site):
    _texts(site, 1)
    project = project_of(lead, site)
    other = analyst("other", site)
    member(project, other, codes=False, screens=True)
    text = project.texts.get()
    client_for(lead).post(screen_url(project), include(text))
    r = client_for(other).post(screen_url(project), exclude(text))
    assert r.status_code == 400 and "already been screened" in r.content.decode()


def test_roles(lead, site, other_site):
    _texts(site, 1)
    project = project_of(lead, site)
    coder = analyst("coder", site)
    member(project, coder)
    assert client_for(coder).get(screen_url(project)).status_code == 403
    assert (
        client_for(analyst("stranger", site)).get(screen_url(project)).status_code
        == 404
    )
    assert client_for(lead).put(screen_url(project)).status_code == 405


def test_screening_page_queries_do_not_grow_with_texts(
    lead, site, django_assert_num_queries
):
    _texts(site, 2)
    project = project_of(lead, site)
    client = client_for(lead)
    client.get(screen_url(project))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(screen_url(project)).status_code == 200
    # session, user, project, member, next text, the counts, the user's roles
    expected = len(ctx)
    _texts(site, 20)
    client.post(reverse("analysis_texts_add", args=[project.pk]))
    client.post(screen_url(project), include(project.texts.first()))
    with django_assert_num_queries(expected):
        assert client.get(screen_url(project)).status_code == 200

"""Issue 15: memos on codes, written from the codebook by the project's
coders and shown under the code to everyone in the project."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.models import Memo
from audit.models import AuditEvent
from tests.analysis.factories import CodeFactory, analyst, member, project_of

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def setup(db, site):
    lead, coder = analyst("lead", site), analyst("coder", site)
    screener = analyst("screener", site)
    project = project_of(lead, site)
    member(project, coder)
    member(project, screener, codes=False, screens=True)
    code = CodeFactory(project=project, name="Boundaries")
    return project, code, {"lead": lead, "coder": coder, "screener": screener}


def _post(client, project, code, body):
    return client.post(
        reverse("analysis_code_memo", args=[project.pk, code.pk]), {"body": body}
    )


def test_a_coder_writes_a_memo_everyone_in_the_project_reads(setup, as_user):
    project, code, people = setup
    response = _post(as_user(people["coder"]), project, code, "Often about money <b>")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/codebook/#code-{code.pk}")
    memo = Memo.objects.get()
    assert (memo.code, memo.author, memo.text) == (code, people["coder"], None)
    html = as_user(people["screener"]).get(
        reverse("analysis_codebook", args=[project.pk])
    )
    assert "Often about money &lt;b&gt;" in html.content.decode()
    assert AuditEvent.objects.filter(action="analysis.memo.code").count() == 1


def test_a_screener_who_does_not_code_gets_403_and_a_stranger_404(setup, as_user, site):
    project, code, people = setup
    assert _post(as_user(people["screener"]), project, code, "x").status_code == 403
    stranger = analyst("stranger", site)
    assert _post(as_user(stranger), project, code, "x").status_code == 404
    assert not Memo.objects.exists()


def test_an_empty_memo_is_refused_and_another_projects_code_is_404(
    setup, as_user, site
):
    project, code, people = setup
    client = as_user(people["lead"])
    response = _post(client, project, code, "   ")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "Write the memo first." in page.content.decode()
    other = project_of(people["lead"], site, name="Other")
    foreign = CodeFactory(project=other, name="Foreign")
    assert _post(client, project, foreign, "x").status_code == 404
    assert not Memo.objects.exists()


def test_the_codebook_reads_memos_in_constant_queries(setup, as_user):
    project, code, people = setup
    client = as_user(people["lead"])
    url = reverse("analysis_codebook", args=[project.pk])
    counts = []
    for n in (1, 6):
        for i in range(n):
            extra = CodeFactory(project=project)
            Memo.objects.create(project=project, author=people["coder"], code=extra,
                                body=f"memo {i}")  # fmt: skip
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]

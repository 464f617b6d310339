"""Issue 16: the README's Python example runs. The block between the
`python-example` markers of README.md is executed as written against a live
Peerlog (pytest-django's live_server) with a real token, and the data frame
it builds must hold the logs the export would give for the same filter."""

import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from exports.filters import ExportFilters, exported_logs
from tests.api.helpers import researcher, token_for
from tests.factories import InteractionLogFactory, ParticipantFactory

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(
    r"<!-- python-example:start -->\n```python\n(.*?)```\n<!-- python-example:end -->",
    re.S,
)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seed")]


def _logs_route_exists() -> bool:
    try:
        reverse("api-v1:logs")
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def seed(django_db_blocker):
    """A transactional test's flush takes the data migrations' rows with it:
    the role groups and option lists go back first (as in tests/browser)."""
    from django.apps import apps

    with django_db_blocker.unblock():
        importlib.import_module(
            "participants.migrations.0002_role_groups"
        ).create_groups(apps, None)
        importlib.import_module("logs_app.migrations.0002_seed_options").seed(
            apps, None
        )


def python_example() -> str:
    (code,) = BLOCK.findall(README.read_text(encoding="utf-8"))
    return code


@pytest.fixture
def pulled(site, other_site, mentor, participant, other_mentor, other_participant):
    """Logs on both sides of the example's filters, and a token for one site:
    1,001 logs of the token's site since 2026-01-01 (three pages of at most
    500), older ones, another site's, and a draft."""
    user = researcher("res", site, other_site)
    others = [ParticipantFactory(site=site) for _ in range(9)]
    start = dt.date(2026, 1, 1)
    for n in range(1001):
        InteractionLogFactory(
            mentor=mentor,
            participant=[participant, *others][n % 10],
            contact_date=start + dt.timedelta(days=n % 300),
            co_ppm=n % 30,  # a measure, so the measures endpoint lists it too
        )
    measured = {"co_ppm": 4}
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2025, 12, 31),
        **measured,
    )
    InteractionLogFactory(
        mentor=other_mentor, participant=other_participant, **measured
    )
    InteractionLogFactory(
        mentor=mentor, participant=participant, status="draft", **measured
    )
    expected = sorted(
        exported_logs(
            user, ExportFilters(since=dt.date(2026, 1, 1), sites=(site.pk,))
        ).values_list("pk", flat=True)
    )
    assert len(expected) == 1001
    return token_for(user, site), expected


def _run(code: str, live_server, token: str, monkeypatch) -> dict:
    monkeypatch.setenv("PEERLOG_URL", live_server.url)
    monkeypatch.setenv("PEERLOG_TOKEN", token)
    namespace: dict = {}
    exec(compile(code, "README.md (python example)", "exec"), namespace)  # noqa: S102
    return namespace


@pytest.mark.skipif(
    not _logs_route_exists(), reason="api-v1:logs is not on this branch yet"
)
def test_the_readme_python_example_pulls_the_logs_into_a_data_frame(
    live_server, pulled, monkeypatch
):
    token, expected = pulled
    frame = _run(python_example(), live_server, token, monkeypatch)["logs"]
    assert list(frame["log_id"]) == expected  # each once, in log_id order
    assert frame["participant_code"].str.match(r"^P-[A-Z2-7]{12}$").all()


def test_the_examples_paging_loop_pulls_every_page(live_server, pulled, monkeypatch):
    """The same block against the measures endpoint, which pages the same way
    (`data`, `next`), so the loop itself is proved before /logs is merged."""
    token, expected = pulled
    code = python_example()
    assert '"/api/v1/logs"' in code
    code = code.replace('"/api/v1/logs"', '"/api/v1/participants/measures"')
    frame = _run(code, live_server, token, monkeypatch)["logs"]
    assert list(frame["log_id"]) == expected
    assert list(frame["co_ppm"]) == [
        n % 30 for n in range(1001)
    ]  # in log_id order, which is the order they were made

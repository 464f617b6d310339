"""Issue 16: the reference endpoints (options, codebook, participants'
measures, final codes) under a token's scope: its sites within its owner's,
its level, the export's consent rules; every request audited; bad parameters
a 400, never a 500; the measures page's queries do not grow with the data."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from exports.columns import wide_columns
from exports.filters import ExportFilters, exported_logs
from exports.options import option_sets
from exports.rows_orm import python_rows
from logs_app.models import InteractionLog, Technique
from participants.models import SiteAccess
from tests.api.helpers import get, researcher, token_for
from tests.factories import InteractionLogFactory, ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
MEASURES_URL = "/api/v1/participants/measures"


def _measured(mentor, participant, day=16, **kw):
    values = {
        "co_ppm": 12,
        "cigarettes_per_day": 9,
        "stage_of_change": "preparation",
        "quit_date": dt.date(2026, 12, 1),
    }
    values.update(kw)
    return InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, day),
        **values,
    )


@pytest.fixture
def both(db, site, other_site):
    """Research staff at both sites with a coded export right."""
    return researcher("res", site, other_site)


# --- routes ----------------------------------------------------------------------
def test_the_routes_reverse_to_their_documented_paths():
    assert reverse("api-v1:options") == "/api/v1/options"
    assert reverse("api-v1:codebook") == "/api/v1/codebook"
    assert reverse("api-v1:participant_measures") == MEASURES_URL
    assert (
        reverse("api-v1:analysis_final_codes", args=[7])
        == "/api/v1/analysis/7/final-codes"
    )


# --- options ---------------------------------------------------------------------
def test_options_lists_every_code_retired_ones_too(client, both, site):
    retired = Technique.objects.order_by("code").first()
    retired.is_active = False
    retired.save()
    body = get(client, "/api/v1/options", token_for(both, site)).json()
    assert [o["list"] for o in body] == [o.key for o in option_sets()]
    techniques = next(o for o in body if o["field"] == "techniques")
    expected = list(
        Technique.objects.order_by("code").values_list("code", "label", "is_active")
    )
    assert [(o["code"], o["label"], o["active"]) for o in techniques["options"]] == (
        expected
    )
    assert {"code": retired.code, "active": False}.items() <= next(
        o for o in techniques["options"] if o["code"] == retired.code
    ).items()
    event = AuditEvent.objects.get(action="api.request")
    assert event.details["endpoint"] == "/api/v1/options"
    assert event.details["rows"] == sum(len(o["options"]) for o in body)


# --- codebook --------------------------------------------------------------------
def test_codebook_follows_the_tokens_level_not_the_owners(client, site):
    owner = researcher("res", site, level="text")
    coded = get(client, "/api/v1/codebook", token_for(owner, site)).json()
    text = get(client, "/api/v1/codebook", token_for(owner, site, level="text")).json()
    sets = option_sets()
    assert [c["name"] for c in coded["columns"]] == [
        c.name for c in wide_columns("coded", sets)
    ]
    assert [c["name"] for c in text["columns"]] == [
        c.name for c in wide_columns("text", sets)
    ]
    # A lower level: fewer columns, and no typed text among them.
    assert len(coded["columns"]) < len(text["columns"])
    assert "narrative" in {c["name"] for c in text["columns"]}
    assert "narrative" not in {c["name"] for c in coded["columns"]}
    assert {c["level"] for c in coded["columns"]} == {"coded"}
    # The export's descriptor: the same columns in the logs resource.
    logs = coded["datapackage"]["resources"][0]
    assert [f["name"] for f in logs["schema"]["fields"]] == [
        c["name"] for c in coded["columns"]
    ]
    stage = next(c for c in coded["columns"] if c["name"] == "stage_of_change")
    assert "preparation = " in stage["allowed"]
    assert AuditEvent.objects.filter(action="api.request").count() == 2


# --- participants' measures ------------------------------------------------------
def test_measures_are_the_exports_values_by_pseudonym(
    client, both, site, mentor, participant
):
    first = _measured(mentor, participant, day=2, co_ppm=20, quit_date=None)
    second = _measured(mentor, participant, day=16, stage_of_change="")
    _measured(
        mentor,
        participant,
        co_ppm=None,
        cigarettes_per_day=None,
        stage_of_change="",
        quit_date=None,
    )  # no measure at all: not a row
    body = get(client, MEASURES_URL, token_for(both, site)).json()
    assert [r["log_id"] for r in body["data"]] == [first.pk, second.pk]
    assert body["next"] is None and body["count"] == 2
    # The export's own rows for the same logs, through its own columns.
    logs = exported_logs(both, ExportFilters(sites=(site.pk,)))
    rows = {r["pk"]: r for r in python_rows(logs, option_sets())}
    columns = {c.name: c for c in wide_columns("coded", option_sets())}
    for got in body["data"]:
        row = rows[got["log_id"]]
        assert got["participant_code"] == row["participant_code"]
        assert got["site_code"] == site.code
        assert got["contact_date"] == row["contact_date"].isoformat()
        for name in ("co_ppm", "cigarettes_per_day"):
            assert got[name] == columns[name].value(row)
        assert got["stage_of_change"] == (row["stage_of_change"] or None)
        quit_date = row["quit_date"]
        assert got["quit_date"] == (quit_date.isoformat() if quit_date else None)
    assert body["data"][1]["stage_of_change"] is None


def test_measures_keep_to_the_tokens_sites_and_the_exports_rules(
    client, both, site, mentor, participant, other_mentor, other_participant
):
    kept = _measured(mentor, participant)
    _measured(other_mentor, other_participant)  # the token's other site
    _measured(mentor, participant, status=InteractionLog.Status.DRAFT)
    _measured(mentor, participant, is_voided=True, void_reason="wrong person")
    withdrawn = ParticipantFactory(site=site, has_research_consent=False)
    _measured(mentor, withdrawn)
    body = get(client, MEASURES_URL, token_for(both, site)).json()
    assert [r["log_id"] for r in body["data"]] == [kept.pk]


def test_a_withdrawn_site_empties_the_tokens_reach_not_widens_it(
    client, both, site, mentor, participant, other_mentor, other_participant
):
    _measured(mentor, participant)
    _measured(other_mentor, other_participant)
    token = token_for(both, site)
    SiteAccess.objects.filter(user=both, site=site).delete()
    body = get(client, MEASURES_URL, token).json()
    assert body == {"data": [], "next": None, "count": 0}


def test_measures_page_through_with_the_next_link(client, both, site, mentor):
    participants = [ParticipantFactory(site=site) for _ in range(3)]
    made = [_measured(mentor, p, day=d) for d in (3, 10) for p in participants]
    token = token_for(both, site)
    url, seen, pages = MEASURES_URL + "?limit=4&since=2026-11-01", [], 0
    while url:
        body = get(client, url, token).json()
        seen += [r["log_id"] for r in body["data"]]
        url, pages = body["next"], pages + 1
    assert seen == sorted(log.pk for log in made)  # each once, in log_id order
    assert pages == 2  # 4 + 2
    events = AuditEvent.objects.filter(action="api.request").order_by("pk")
    assert [e.details["rows"] for e in events] == [4, 2]
    assert events[0].details["filters"]["since"] == "2026-11-01"


def test_since_and_until_bound_the_contact_date(client, both, site, mentor):
    participant = ParticipantFactory(site=site)
    inside = _measured(mentor, participant, day=10)
    _measured(mentor, participant, day=3)
    _measured(mentor, participant, day=17)
    token = token_for(both, site)
    body = get(client, MEASURES_URL, token, since="2026-11-10", until="2026-11-16")
    body = body.json()
    assert [r["log_id"] for r in body["data"]] == [inside.pk]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "501"),
        ("limit", "ten"),
        ("limit", "٣"),  # a digit, but not an ASCII one
        ("cursor", "-1"),
        ("cursor", "9" * 40),
        ("since", "2026-13-01"),
        ("since", "20261101"),
        ("until", "yesterday"),
    ],
)
def test_bad_measures_parameters_are_400_naming_the_parameter(
    client, both, site, param, value
):
    response = get(client, MEASURES_URL, token_for(both, site), **{param: value})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{param}:")


def test_since_after_until_is_400(client, both, site):
    token = token_for(both, site)
    response = get(client, MEASURES_URL, token, since="2026-11-20", until="2026-11-01")
    assert response.status_code == 400


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["since", "until", "cursor", "limit"]),
        st.text(max_size=24) | st.integers(-(10**20), 10**20).map(str),
    )
)
def test_no_measures_parameter_gives_a_500(client, both, site, mentor, params):
    token = token_for(both, site)
    response = get(client, MEASURES_URL, token, **params)
    assert response.status_code in {200, 400}, (params, response.content)


def _queries(client, token) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, MEASURES_URL, token, limit="500")
    assert response.status_code == 200
    return len(queries)


def test_measures_queries_stay_the_same_as_the_data_grows(client, both, site, mentor):
    token = token_for(both, site)
    for _ in range(2):
        _measured(mentor, ParticipantFactory(site=site))
    get(client, MEASURES_URL, token)  # the token's last use is written once a minute
    few = _queries(client, token)
    for _ in range(15):
        _measured(mentor, ParticipantFactory(site=site))
    assert _queries(client, token) == few

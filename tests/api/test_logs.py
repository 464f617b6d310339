"""Issue 16, the logs endpoints: the rows are the export's rows for the same
filters and level (JSON page, CSV byte for byte, NDJSON), the cursor walks
the set once in order and cannot be edited or replayed, the token's level
and sites bound what it reads (refusals audited), `updated_since` brings
changed and voided logs, a full pull's audit row holds what was sent, and a
page costs the same queries however many logs there are."""

import csv
import datetime as dt
import hashlib
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from api.endpoints_logs import audited_stream
from api.tokens import token_create, token_revoke
from audit.models import AuditEvent
from core.formulas import unneutralise
from exports import files, rows_copy
from exports.columns import wide_columns
from exports.filters import ExportFilters, exported_logs
from exports.models import ExportLevel, ExportRight
from exports.options import option_sets
from exports.pseudonyms import pseudonym
from exports.rows_json import page_objects, read_page
from exports.writers.base import cell_text
from logs_app.models import InteractionLog
from tests.conftest import NOW
from tests.exports.test_export import HOSTILE
from tests.exports.test_export import data as export_data
from tests.factories import InteractionLogFactory

# The export tests' logs (two sites, hostile text, consent and voiding cases).
data = export_data

LOGS, CSV, NDJSON = "api-v1:logs", "api-v1:logs_csv", "api-v1:logs_ndjson"


def _token(user, *, level: str, sites, days: int = 30) -> str:
    return token_create(
        user=user, name="R", level=level, site_ids=[s.pk for s in sites], days=days
    ).plain


def _get(client, name: str, token: str, **params):
    return client.get(reverse(name), params, HTTP_AUTHORIZATION=f"Bearer {token}")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _export_csv(user, level: str, **filters) -> bytes:
    out = io.BytesIO()
    files.export_write(
        out, user=user, filters=ExportFilters(**filters), level=level, fmt="csv"
    )
    return out.getvalue()


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode(), newline="")))


def _as_csv_cells(objects: list[dict], level: str) -> list[list[str]]:
    """JSON rows as the CSV would hold them: cell_text is the export's own
    formatter (neutralising free text); a JSON true/false is its 1/0."""
    columns = wide_columns(level, option_sets())
    return [
        [cell_text(obj[c.name], c.type, c.free_text) for c in columns]
        for obj in objects
    ]


def _pages(client, token: str, **params) -> list[dict]:
    """Every page of /logs, following `next`; the rows in order."""
    rows: list[dict] = []
    response = _get(client, LOGS, token, **params)
    while True:
        assert response.status_code == 200, response.content
        page = response.json()
        assert page["count"] == len(page["data"])
        rows += page["data"]
        if page["next"] is None:
            return rows
        query = parse_qs(urlsplit(page["next"]).query)
        response = _get(client, LOGS, token, **query)


@pytest.fixture
def researcher(staff):
    """Research staff at `site` with the right to export "with text"."""
    ExportRight.objects.create(user=staff, level="text", granted_at=NOW)
    return staff


FILTERS = [
    {},
    {"since": "2026-11-03", "until": "2026-11-07"},
    {"outcome": ["met"], "status": ["reviewed", "submitted"]},
    {"include_voided": "true"},
]


def _export_filters(params: dict) -> dict:
    out = {}
    for key, value in params.items():
        if key in ("since", "until"):
            out[key] = dt.date.fromisoformat(value)
        elif key == "include_voided":
            out[key] = value == "true"
        else:
            out[{"outcome": "outcomes", "status": "statuses"}[key]] = tuple(value)
    return out


# --- the export's rows ----------------------------------------------------------------
@pytest.mark.parametrize("level", [ExportLevel.CODED, ExportLevel.TEXT, "full"])
@pytest.mark.parametrize("params", FILTERS, ids=lambda p: ",".join(p) or "none")
def test_pages_and_csv_pull_are_the_export(
    client,
    data,
    admin_user,
    site,
    other_site,
    level,
    params,
):
    token = _token(admin_user, level=level, sites=[site, other_site])
    export = _export_csv(admin_user, level, **_export_filters(params))

    rows = _pages(client, token, limit="4", **params)
    pulled = _get(client, CSV, token, **params)
    lines = _get(client, NDJSON, token, **params)

    header, *expected = _csv_rows(export)
    assert expected, "the filters leave rows to compare"
    assert [list(row) for row in rows] == [header] * len(rows)
    assert _as_csv_cells(rows, level) == expected
    kinds = {"boolean": bool, "integer": int, "string": str, "date": str}
    for column in wide_columns(level, option_sets()):
        want = kinds.get(column.type, str)
        assert all(isinstance(r[column.name], want | None) for r in rows), column.name
    assert pulled["Content-Type"] == "text/csv; charset=utf-8"
    assert _body(pulled) == export
    assert [json.loads(line) for line in _body(lines).splitlines()] == rows


def test_json_gives_text_as_typed_and_only_what_the_export_holds(
    client,
    data,
    researcher,
    site,
):
    token = _token(researcher, level="text", sites=[site])

    rows = {row["log_id"]: row for row in _pages(client, token)}

    # Not a spreadsheet: the hostile text comes back as typed, not neutralised.
    narratives = {rows[log.pk]["narrative"] for log in data["nyc"][: len(HOSTILE)]}
    assert narratives == set(HOSTILE)
    # The mentor without consent: the log is there, the reflection is not.
    withheld = rows[data["withheld"].pk]
    assert withheld["reflection_feelings"] is None
    assert withheld["reflections_consent"] is False
    # Consent leaves the participant out; voided left out; the other site too.
    for left_out in [data["excluded"], data["voided"], *data["sydney"]]:
        assert left_out.pk not in rows
    assert not InteractionLog.objects.filter(
        pk__in=rows, status=InteractionLog.Status.DRAFT
    ).exists()
    # "text" level, the token's own: text columns, not the full level's.
    assert "narrative" in withheld and "participant_study_id" not in withheld


def test_csv_cells_unneutralise_to_the_json_values(client, data, researcher, site):
    token = _token(researcher, level="text", sites=[site])

    header, *cells = _csv_rows(_body(_get(client, CSV, token)))
    rows = _pages(client, token)

    name = header.index("narrative")
    assert [unneutralise(r[name]) for r in cells] == [
        r["narrative"] or "" for r in rows
    ]


# --- the cursor -----------------------------------------------------------------------
def test_cursor_pages_cover_the_set_once_in_order(
    client,
    data,
    admin_user,
    site,
    other_site,
):
    token = _token(admin_user, level="coded", sites=[site, other_site])
    header, *expected = _csv_rows(_export_csv(admin_user, "coded"))

    for limit in ("1", "3", "500"):
        ids = [row["log_id"] for row in _pages(client, token, limit=limit)]
        assert ids == [int(row[0]) for row in expected]  # each once, by log_id


def _next_cursor(client, token: str, **params) -> str:
    page = _get(client, LOGS, token, limit="2", **params).json()
    return parse_qs(urlsplit(page["next"]).query)["cursor"][0]


def test_an_edited_or_replayed_cursor_is_a_400_and_audited(
    client,
    data,
    researcher,
    site,
):
    import base64

    token = _token(researcher, level="text", sites=[site])
    cursor = _next_cursor(client, token)
    last, mac = base64.urlsafe_b64decode(cursor + "==").decode().split(".")
    edited = base64.urlsafe_b64encode(f"{int(last) + 1}.{mac}".encode()).decode()

    for params in (
        {"cursor": edited},
        {"cursor": cursor, "outcome": "met"},  # replayed with other filters
        {"cursor": cursor, "level": "coded"},
        {"cursor": "not a cursor"},
    ):
        response = _get(client, LOGS, token, **params)
        assert response.status_code == 400, params
        assert response.json()["detail"].startswith("cursor:")
    refused = AuditEvent.objects.filter(action="api.request", outcome="400")
    assert refused.count() == 4
    assert {e.details["parameter"] for e in refused} == {"cursor"}
    assert _get(client, LOGS, token, cursor=cursor).status_code == 200


# --- the token's scope ----------------------------------------------------------------
def test_a_site_outside_the_token_is_403_and_audited(
    client,
    data,
    admin_user,
    site,
    other_site,
):
    token = _token(admin_user, level="coded", sites=[site])

    for name in (LOGS, CSV, NDJSON):
        response = _get(client, name, token, site=str(other_site.pk))
        assert response.status_code == 403
        assert response.json()["detail"].startswith("site:")
    events = AuditEvent.objects.filter(action="api.request", outcome="403")
    assert events.count() == 3
    assert all(e.details["sites"] == [other_site.pk] for e in events)
    # Without a site: the token's only.
    sites = {row["site_code"] for row in _pages(client, token)}
    assert sites == {site.code}


def test_a_lower_level_token_cannot_ask_for_a_higher_level(
    client,
    data,
    researcher,
    site,
):
    token = _token(researcher, level="coded", sites=[site])

    for level in ("text", "full"):
        response = _get(client, LOGS, token, level=level)
        assert response.status_code == 403
        assert response.json()["detail"].startswith("level:")
    assert AuditEvent.objects.filter(outcome="403").count() == 2
    # Its own level, or the default, is fine; and has no text.
    rows = _get(client, LOGS, token, level="coded").json()["data"]
    assert rows and "narrative" not in rows[0]


def test_a_narrowed_export_right_refuses_a_token_within_it(
    client,
    data,
    researcher,
    site,
):
    token = _token(researcher, level="text", sites=[site])
    researcher.site_access.all().delete()  # the site is withdrawn (AZ-13)

    response = _get(client, LOGS, token)

    assert response.status_code == 403
    assert AuditEvent.objects.filter(outcome="403").count() == 1


@pytest.mark.parametrize("name", [LOGS, CSV, NDJSON])
def test_an_expired_or_revoked_token_is_401_and_audited(
    client,
    data,
    researcher,
    site,
    name,
):
    expired = _token(researcher, level="text", sites=[site], days=1)
    revoked = _token(researcher, level="text", sites=[site])
    token_revoke(
        actor=researcher, token=researcher.api_tokens.get(prefix=revoked[4:12])
    )

    with time_machine.travel(NOW + dt.timedelta(days=2)):
        assert _get(client, name, expired).status_code == 401
    assert _get(client, name, revoked).status_code == 401

    reasons = AuditEvent.objects.filter(action="api.auth.refused")
    assert sorted(e.details["reason"] for e in reasons) == ["expired", "revoked"]
    assert not AuditEvent.objects.filter(action="api.request").exists()


# --- changes since --------------------------------------------------------------------
def test_updated_since_gives_changed_and_voided_logs(client, data, researcher, site):
    token = _token(researcher, level="text", sites=[site])
    changed, voided, *_rest = data["nyc"]
    later = NOW + dt.timedelta(hours=3)
    with time_machine.travel(later):
        changed.narrative = "Corrected"
        changed.save()
        voided.is_voided, voided.void_reason = True, "Filed twice"
        voided.save()

    rows = _pages(client, token, updated_since=later.isoformat())
    before = _pages(
        client, token, updated_since=(later + dt.timedelta(seconds=1)).isoformat()
    )  # noqa: E501

    assert [(r["log_id"], r["is_voided"]) for r in rows] == [
        (changed.pk, False),
        (voided.pk, True),
    ]
    assert rows[0]["narrative"] == "Corrected"
    assert rows[1]["void_reason"] == "Filed twice"
    assert before == []
    event = AuditEvent.objects.filter(action="api.request").order_by("pk").first()
    assert event.details["filters"]["updated_since"] == later.isoformat()


# --- audit of full pulls --------------------------------------------------------------
@pytest.mark.parametrize("name", [CSV, NDJSON])
def test_a_full_pull_audits_rows_and_sha256_of_what_was_sent(
    client,
    data,
    researcher,
    site,
    name,
):
    token = _token(researcher, level="text", sites=[site])

    response = _get(client, name, token, outcome="met")
    assert not AuditEvent.objects.filter(action="api.request").exists()  # not yet
    body = _body(response)

    event = AuditEvent.objects.get(action="api.request")
    assert event.outcome == "ok"
    assert event.details["sha256"] == hashlib.sha256(body).hexdigest()
    rows = len(_csv_rows(body)) - 1 if name == CSV else len(body.splitlines())
    assert event.details["rows"] == rows > 0
    assert event.details["filters"]["outcomes"] == ["met"]
    assert event.details["filters"]["sites"] == [site.pk]


def test_a_pull_cut_short_audits_what_was_sent(rf, data, researcher, site, monkeypatch):
    # One block a row (the Python row source, so on PostgreSQL too), so the
    # client can go away after the first rows.
    monkeypatch.setattr("exports.rows_copy.use_copy", lambda sets: False)
    monkeypatch.setattr("exports.writers.base.CsvBlocks.full", lambda self: True)
    token = _token(researcher, level="text", sites=[site])
    # The view's own response, as a WSGI server gets it (the test client's
    # wrapper would read it to the end).
    request = rf.get(reverse(CSV), HTTP_AUTHORIZATION=f"Bearer {token}")
    response = resolve(request.path).func(request)

    chunks = iter(response.streaming_content)
    sent = next(chunks) + next(chunks) + next(chunks)  # header + two rows
    # What the server does when the client goes away; the test keeps its
    # database connection (inside the test's transaction, Django would close it).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)

    event = AuditEvent.objects.get(action="api.request")
    assert event.outcome == "aborted"
    # The third block was handed over, but the server never asked for more.
    taken = sent[: -len(sent.split(b"\r\n")[-2]) - 2]
    assert event.details["sha256"] == hashlib.sha256(taken).hexdigest()
    assert event.details["rows"] == 1 and event.details["bytes"] == len(taken)


def test_audited_stream_counts_a_block_once_the_next_is_asked_for():
    ended = []
    blocks = [(b"h\r\n", 0), (b"a\r\n", 1), (b"b\r\nc\r\n", 2)]

    whole = list(audited_stream(iter(blocks), lambda *a: ended.append(a)))
    cut = audited_stream(iter(blocks), lambda *a: ended.append(a))
    next(cut), next(cut)
    cut.close()

    assert b"".join(whole) == b"h\r\na\r\nb\r\nc\r\n"
    assert ended[0] == (3, hashlib.sha256(b"".join(whole)).hexdigest(), 12, True)
    assert ended[1] == (0, hashlib.sha256(b"h\r\n").hexdigest(), 3, False)


# --- queries --------------------------------------------------------------------------
def _page_queries(client, token: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert _get(client, LOGS, token, limit="500").status_code == 200
    return len(captured)


def test_a_page_costs_the_same_queries_however_many_logs(
    client,
    data,
    researcher,
    site,
    mentor,
    participant,
    django_assert_num_queries,
):
    token = _token(researcher, level="text", sites=[site])
    _page_queries(client, token)  # the token's last use is written once a minute
    few = _page_queries(client, token)
    InteractionLogFactory.create_batch(40, mentor=mentor, participant=participant)

    # The token and its sites (2), the owner's roles and export right (2), the
    # owner's export sites (1), the export check: the filter's sites among the
    # owner's (1; the right is the one the token check read); the option lists
    # (3), the page's ids with their people (1), then on PostgreSQL no parallel
    # workers and the page's JSON objects (2), elsewhere the rows and their
    # option links (1 + 3); the audit row (1).
    with django_assert_num_queries(few):
        response = _get(client, LOGS, token, limit="500")
    assert response.json()["count"] > 40
    assert few == (13 if connection.vendor == "postgresql" else 15)


# --- the page's objects ---------------------------------------------------------------
def test_a_log_whose_participant_changed_after_the_ids_were_read_is_not_dropped(
    data, researcher, site, other_participant
):
    """On PostgreSQL the page's objects join the pseudonyms of only the people
    the page's ids named; a log moved to another participant in between
    (read_page's snapshot rules that out, a caller's own transaction might
    not) would fall out of that join. The page then comes from the row
    source instead: every log there, with its participant as it is now."""
    logs = exported_logs(researcher, ExportFilters(sites=(site.pk,)))
    page = list(logs.order_by("pk").values_list("pk", "participant_id", "mentor_id"))
    sets = option_sets()
    moved = page[0][0]
    fresh = [json.loads(text) for text in page_objects(page, "text", sets)]
    InteractionLog.objects.filter(pk=moved).update(participant=other_participant)

    got = [json.loads(text) for text in page_objects(page, "text", sets)]

    assert [row["log_id"] for row in got] == [pk for pk, _p, _m in page]
    assert got[0]["participant_code"] == pseudonym("P", other_participant.pk)
    assert got[0]["participant_code"] != fresh[0]["participant_code"]
    assert got[1:] == fresh[1:]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the snapshot is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_a_page_reads_its_ids_and_rows_in_one_snapshot(site):
    """The page's rows are read by id once its ids were read from the scoped
    logs: both in one REPEATABLE READ transaction, so a log that leaves the
    scope in between (consent withdrawn, voided) is not sent. (Any queryset
    will do here: a transactional test starts without the migrations' role
    groups.)"""
    InteractionLogFactory.create_batch(3, participant__site=site)
    logs = InteractionLog.objects.all()
    sets = option_sets()
    with CaptureQueriesContext(connection) as captured:
        texts, last = read_page(logs, after=0, limit=2, level="coded", sets=sets)

    statements = [q["sql"] for q in captured]
    assert statements[:3] == [
        "BEGIN",
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "SET LOCAL max_parallel_workers_per_gather = 0",
    ]
    assert statements[-1] == "COMMIT"
    assert len(texts) == 2 and last == json.loads(texts[1])["log_id"]


def test_the_row_source_fallback_reads_the_page_within_the_scope(
    data, researcher, site, monkeypatch
):
    """Found in review: on the ORM path (SQLite, long option lists, or when
    PostgreSQL's objects miss a row) the page was read by id alone, with no
    snapshot; given the scoped logs it is read within them, so a log that
    left the scope in between is not sent."""
    monkeypatch.setattr(rows_copy, "use_copy", lambda sets: False)
    logs = exported_logs(researcher, ExportFilters(sites=(site.pk,)))
    page = list(logs.order_by("pk").values_list("pk", "participant_id", "mentor_id"))
    left = page[0][0]
    InteractionLog.objects.filter(pk=left).update(is_voided=True, void_reason="x")
    rows = [
        json.loads(text)
        for text in page_objects(page, "text", option_sets(), logs)
        if text
    ]
    got = {row["log_id"] for row in rows}
    assert left not in got and got  # voided since: not sent

"""Read API benchmark (issue 16), as research staff with a token at "coded"
(the export bench's level) over every site. Not bench/api.py: with bench/ on
sys.path that name would shadow the Django app `api`.

Figures: api_page_p50_ms / api_page_p95_ms / api_page_queries (a 500-row
JSON page from the middle of the set, reached by a cursor, as
django.test.Client measures it: the issue asks for p95 under 50 ms at
1,000,000 logs), the same for the first page (api_first_page_*), and the
full streamed CSV pull (GET /api/v1/logs.csv read to the end) against
PostgreSQL's COPY of the same query in the same run: api_csv_rows_per_s,
api_copy_rows_per_s (psycopg), api_copy_psql_rows_per_s (psql, no
Python; named apart from the export section's, as results merge by name) and
api_csv_vs_copy (the ratio to the faster COPY; the issue asks for at least
0.70), with the pull's peak RSS, also at a tenth of the rows (memory does
not grow with them). Each pull runs in a fresh subprocess, so its peak RSS is
its own; the best of two rounds counts."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
LEVEL = "coded"


def _token(ctx, name: str) -> str:
    """A fresh token (its own rate-limit window: 120 requests a minute)."""
    from api.tokens import token_create
    from exports.rights import export_sites

    user = ctx.user("research")
    sites = list(export_sites(user).values_list("pk", flat=True))
    return token_create(
        user=user, name=f"bench {name}", level=LEVEL, site_ids=sites, days=1
    ).plain


def _middle_cursor() -> str:
    """The cursor of the page that starts halfway through the set (the
    latest "bench page" token's sites, at LEVEL, no other filter)."""
    from api.models import ApiToken
    from api.params import cursor_make
    from api.tokens import token_site_ids
    from exports.filters import ExportFilters, exported_logs

    token = ApiToken.objects.filter(name="bench page").latest("pk")
    filters = ExportFilters(sites=tuple(token_site_ids(token)))
    logs = exported_logs(token.user, filters).order_by("pk")
    middle = logs.values_list("pk", flat=True)[max(0, logs.count() // 2 - 1)]
    selection = {**filters.to_json(), "level": LEVEL, "updated_since": None}
    return cursor_make(middle, selection)


def _pages(ctx) -> list[tuple[str, float, str]]:
    from django.urls import reverse
    from pages import _client, _measure

    url = reverse("api-v1:logs")
    figures = []
    for label, name in (("api_first_page", "first"), ("api_page", "page")):
        token = _token(ctx, name)
        client = _client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        target = url if name == "first" else f"{url}?cursor={_middle_cursor()}"
        got = _measure(client, "GET", target)
        figures += [
            (f"{label}_p50_ms", round(got["p50"], 1), "ms"),
            (f"{label}_p95_ms", round(got["p95"], 1), "ms"),
            (f"{label}_queries", got["queries"], "queries"),
        ]
    return figures


def _child(ctx, *args: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, str(HERE), "--child", *args, "--out", f"{tmp}/out"],
            env=ctx.child_env(),
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(ctx) -> list[tuple[str, float, str]]:
    from export import _since_for

    figures = _pages(ctx)
    token = _token(ctx, "pull")
    best: dict[str, dict] = {}
    for _round in range(2):
        for mode in ("copy", "psql", "api"):
            got = _child(ctx, mode, "--token", token)
            if mode not in best or got["seconds"] < best[mode]["seconds"]:
                best[mode] = got
    rate = {mode: got["rows"] / got["seconds"] for mode, got in best.items()}
    counts = {mode: got["rows"] for mode, got in best.items()}
    assert len(set(counts.values())) == 1, f"the pulls disagree: {counts}"
    small = _child(
        ctx, "api", "--token", token, "--since", _since_for(ctx, ctx.n // 10) or ""
    )
    return figures + [
        ("api_csv_rows", best["api"]["rows"], "rows"),
        ("api_copy_rows_per_s", round(rate["copy"]), "rows/s"),
        ("api_copy_psql_rows_per_s", round(rate["psql"]), "rows/s"),
        ("api_csv_rows_per_s", round(rate["api"]), "rows/s"),
        ("api_csv_vs_copy", round(rate["api"] / max(rate["copy"], rate["psql"]), 3),
         "ratio"),
        ("api_csv_peak_rss_mb", round(best["api"]["rss_mb"], 1), "MB"),
        ("api_csv_tenth_rows", small["rows"], "rows"),
        ("api_csv_tenth_peak_rss_mb", round(small["rss_mb"], 1), "MB"),
    ]  # fmt: skip


# --- the subprocess ----------------------------------------------------------------
def child(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--since", default="")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE.parent))
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth.models import User
    from django.db import connection
    from export import _peak_rss_mb, _reference

    from exports.filters import ExportFilters

    if args.child == "api":  # the URLs and the API's modules load once, not timed
        _warm(args.token)
    started = time.perf_counter()
    if args.child in ("copy", "psql"):
        user = User.objects.get(username="bench.research")
        filters = ExportFilters(
            since=dt.date.fromisoformat(args.since) if args.since else None
        )
        rows, size = _reference(args.child, user, filters, LEVEL, args.out)
    else:
        rows, size = _pull(args.token, args.since, args.out)
    seconds = time.perf_counter() - started
    connection.close()
    print(
        json.dumps(
            {"rows": rows, "bytes": size, "seconds": seconds, "rss_mb": _peak_rss_mb()}
        )
    )


def _warm(token: str) -> None:
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(reverse("api-v1:sites")).status_code == 200


def _pull(token: str, since: str, out: str) -> tuple[int, int]:
    """GET /api/v1/logs.csv read to the end into `out`; the rows from the
    pull's own audit row."""
    from django.test import Client
    from django.urls import reverse

    from audit.models import AuditEvent

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.get(reverse("api-v1:logs_csv"), {"since": since} if since else {})
    assert response.status_code == 200, response.status_code
    size = 0
    with open(out, "wb") as handle:
        for block in response.streaming_content:
            handle.write(block)
            size += len(block)
    event = AuditEvent.objects.filter(action="api.request").latest("pk")
    return event.details["rows"], size


if __name__ == "__main__" and "--child" in sys.argv:
    child(sys.argv[1:])

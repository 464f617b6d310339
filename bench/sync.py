"""Outbox sync benchmark (issue 13): a phone back online sends the logs it kept,
one after the other, to /logs/sync/ as the outbox does (one GET for the CSRF
token, then one POST per log), in process with django.test.Client like
pages.py. Goal: 50 queued logs in under 5 s.

Figures: sync_50_s (the slowest of ROUNDS rounds of 50 new logs, seconds),
sync_50_median_s, sync_log_p95_ms (per log, over all rounds), sync_queries
(the most one POST needed), and sync_50_replay_s: the same 50 sent again (a
phone that lost the answers), which must file nothing twice."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pages
import server

QUEUED = 50
ROUNDS = 3


def _round(client, payloads: list[dict]) -> tuple[float, list[float], int, list[Any]]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    began = time.perf_counter()
    client.get("/logs/sync/")
    times, most, answers = [], 0, []
    for payload in payloads:
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.post("/logs/sync/", payload)
            times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(
                f"sync: HTTP {response.status_code} {response.content[:300]}"
            )
        most = max(most, len(captured))
        answers.append(response.json()["status"])
    return time.perf_counter() - began, times, most, answers


def run(ctx) -> list[tuple[str, float, str]]:
    from django.conf import settings

    from logs_app.models import InteractionLog

    settings.PEERLOG_2FA_REQUIRED = False  # force_login cannot pass a code
    pages.ensure_static()
    filer = ctx.user("mentor", 1)
    client = pages._client(filer)
    payload = pages._submit_payload_factory(filer)
    _round(client, [payload() for _ in range(3)])  # warm-up

    totals, per_log, most = [], [], 0
    for _ in range(ROUNDS):
        batch = [payload() for _ in range(QUEUED)]
        total, times, queries, answers = _round(client, batch)
        assert answers == ["filed"] * QUEUED, answers
        totals.append(total)
        per_log += times
        most = max(most, queries)
    before = InteractionLog.objects.filter(mentor__user=filer).count()
    replay, _, _, answers = _round(client, batch)
    assert answers == ["replayed"] * QUEUED, answers
    assert InteractionLog.objects.filter(mentor__user=filer).count() == before
    return [
        ("sync_50_s", round(max(totals), 2), "s"),
        ("sync_50_median_s", round(statistics.median(totals), 2), "s"),
        ("sync_log_p95_ms", round(server.percentile(per_log, 0.95), 1), "ms"),
        ("sync_queries", most, "queries"),
        ("sync_50_replay_s", round(replay, 2), "s"),
    ]

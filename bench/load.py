"""Throughput under gunicorn (2 sync workers) on loopback: a bounded closed-loop
load, SECONDS per page, CONCURRENCY clients in flight (PROCESSES load-generator
processes of threads each, so the generator is not held to one core by the GIL).

Pages: /healthz (trivial reference), the admin changelist of interaction logs
(reference), My week, My logs, the review queue, the team week. Sign-in goes
through the real sign-in form (urllib + http.cookiejar, CSRF token from the
form), once per role; the session cookie is then shared by that page's clients.
Two-step sign-in is off in the server (PEERLOG_2FA_REQUIRED=0).

Figures: load_<page>_rps, load_<page>_errors, load_<page>_p50_ms / p95_ms
(client-side latency), load_<page>_vs_admin (page rps / admin rps),
load_<page>_vs_trivial (page rps / trivial rps), and the workers' RSS before and
after (load_worker_rss_*_mb, load_worker_rss_growth_pct).

Filing: SUBMIT_CLIENTS mentors (bench mentors with an active participant, each
signed in through the form, one client each) POST complete logs to /logs/new/
for SECONDS, each with a fresh idempotency key and the CSRF token of the form
they opened once; only a 302 counts. Figures load_submit_rps (logs filed per
second), load_submit_errors, load_submit_p50_ms / p95_ms. Goal: >= 100 logs/s.

The mix (bench/mix.py, the issue's "load and soak"): MIX_USERS simulated people
for MIX_SECONDS, mentors 60 %, supervisors 25 %, sign-ins 10 %, exports 5 %,
think time 0.5-1.5 s. Figures mix_users, mix_seconds, mix_actions,
mix_requests, mix_rps, mix_errors (any unexpected status; each kind is also
printed as a `# mix error` line), mix_p50_ms / mix_p95_ms over all requests,
mix_<step>_p95_ms per kind of request, and the workers' RSS before and after
(mix_worker_rss_*_mb, mix_worker_rss_growth_pct, mix_workers_restarted).
Goals: 0 errors, p95 < 300 ms, RSS growth < 10 %. MIX_SECONDS=600 is the full
ten-minute soak.

Environment: PEERLOG_BENCH_LOAD_SECONDS (20), PEERLOG_BENCH_LOAD_CONCURRENCY (8),
PEERLOG_BENCH_LOAD_PROCESSES (2), PEERLOG_BENCH_SUBMIT_CLIENTS (8),
PEERLOG_BENCH_MIX_USERS (30), PEERLOG_BENCH_MIX_SECONDS (60),
PEERLOG_BENCH_MIX_SEED (1)."""

from __future__ import annotations

import http.client
import http.cookiejar
import math
import multiprocessing
import os
import signal
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import server

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("PEERLOG_BENCH_LOAD_SECONDS", "20"))
CONCURRENCY = int(os.environ.get("PEERLOG_BENCH_LOAD_CONCURRENCY", "8"))
PROCESSES = int(os.environ.get("PEERLOG_BENCH_LOAD_PROCESSES", "2"))
SUBMIT_CLIENTS = int(os.environ.get("PEERLOG_BENCH_SUBMIT_CLIENTS", "8"))
MIX_USERS = int(os.environ.get("PEERLOG_BENCH_MIX_USERS", "30"))
MIX_SECONDS = float(os.environ.get("PEERLOG_BENCH_MIX_SECONDS", "60"))
MIX_SEED = int(os.environ.get("PEERLOG_BENCH_MIX_SEED", "1"))
# Supervisors signed in for the mix (each sign-in costs a password hash).
MIX_SUPERVISORS = 8
WARMUP_SECONDS = 2.0


def _client_loop(
    port: int, spec: dict[str, Any], stop_at: float, record_from: float, out: list
) -> None:
    """One closed-loop client: a request, wait for the whole answer, again.
    `spec`: method, path, headers, expected status, and for a POST the form
    (sent with a fresh idempotency key each time)."""
    ok = errors = 0
    latencies: list[float] = []
    form = spec.get("form")
    while True:
        began = time.monotonic()
        if began >= stop_at:
            break
        body = None
        if form is not None:
            body = urllib.parse.urlencode(
                {**form, "idempotency_key": str(uuid.uuid4())}, doseq=True
            )
        try:
            # Sync workers close the connection after each response anyway.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request(
                spec["method"], spec["path"], body=body, headers=spec["headers"]
            )
            response = conn.getresponse()
            response.read()
            conn.close()
            good = response.status == spec["expect"]
        except OSError:
            good = False
        done = time.monotonic()
        if began < record_from:
            continue
        if good:
            ok += 1
            latencies.append((done - began) * 1000)
        else:
            errors += 1
    out.append((ok, errors, latencies))


def _generator(args: tuple) -> tuple[int, int, list[float]]:
    """A load-generator process: one thread per client spec until `stop_at`."""
    port, specs, stop_at, record_from = args
    out: list = []
    pool = [
        threading.Thread(
            target=_client_loop, args=(port, spec, stop_at, record_from, out)
        )
        for spec in specs
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    ok = sum(item[0] for item in out)
    errors = sum(item[1] for item in out)
    return ok, errors, [value for item in out for value in item[2]]


def _load(port: int, specs: list[dict[str, Any]]) -> dict:
    """Run one client per spec, spread over the generator processes."""
    processes = max(1, min(PROCESSES, len(specs)))
    now = time.monotonic()
    record_from = now + WARMUP_SECONDS
    stop_at = record_from + SECONDS
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        parts = pool.map(
            _generator,
            [
                (port, specs[i::processes], stop_at, record_from)
                for i in range(processes)
            ],
        )
    ok = sum(part[0] for part in parts)
    errors = sum(part[1] for part in parts)
    latencies = sorted(value for part in parts for value in part[2])
    return {
        "rps": ok / SECONDS,
        "errors": errors,
        "p50": statistics.median(latencies) if latencies else math.nan,
        "p95": server.percentile(latencies, 0.95),
    }


def _get_spec(path: str, cookie: str) -> dict[str, Any]:
    return {
        "method": "GET",
        "path": path,
        "headers": {"Cookie": cookie} if cookie else {},
        "expect": 200,
    }


def _filing_mentors(count: int, exclude: str) -> list:
    """Bench mentors with an active participant (the log form only offers
    those), other than `exclude` (the mentor whose pages are read)."""
    from django.contrib.auth.models import User

    return list(
        User.objects.filter(
            username__startswith="bench.mentor.",
            mentor_profile__is_active=True,
            mentor_profile__assignments__participant__status="active",
        )
        .exclude(username=exclude)
        .select_related("mentor_profile")
        .distinct()
        .order_by("pk")[:count]
    )


def _plan(ctx, busiest: str) -> dict[str, Any]:
    """Everything the filing and mix clients need from the database, read
    before gunicorn starts and the generators fork: identities, a complete log
    per mentor (bench/pages.py's payload, for one of their own active
    participants), logs in each supervisor's queue, a small export."""
    import datetime as dt

    from django.contrib.auth.models import User
    from pages import _submit_payload_factory

    from exports.rights import export_sites
    from logs_app import selectors

    mentors = _filing_mentors(max(SUBMIT_CLIENTS, MIX_USERS), exclude=busiest)
    payloads = {}
    for user in mentors:
        payload = _submit_payload_factory(user)()
        payload.pop("idempotency_key")  # each request gets its own
        payloads[user.username] = payload
    supervisor_ids = list(
        dict.fromkeys(user.mentor_profile.supervisor_id for user in mentors)
    )[:MIX_SUPERVISORS]
    supervisors = {}
    for user in User.objects.filter(pk__in=supervisor_ids).order_by("pk"):
        queue = selectors.review_queue_list(user=user).values_list("pk", flat=True)
        supervisors[user.username] = list(queue[:10])
    research = ctx.user("research")
    site = export_sites(research).order_by("name").values_list("pk", flat=True)[0]
    # One week, one site: a few hundred rows at 1,000,000 logs (the data set
    # spans 2023-12-01 to 2026-11-30), built in the request.
    since = dt.date(2025, 6, 2)
    export_query = {
        "since": since.isoformat(),
        "until": (since + dt.timedelta(days=6)).isoformat(),
        "sites": [str(site)],
        "level": "coded",
        "format": "csv",
    }
    return {
        "mentors": [user.username for user in mentors],
        "payloads": payloads,
        "supervisors": supervisors,
        "research": research.username,
        "export_query": export_query,
    }


def _sign_in_all(port: int, usernames: list[str], password: str) -> dict[str, dict]:
    """Sign each identity in once, through the form, a few at a time."""
    from mix import Browser

    def one(username: str) -> dict[str, str]:
        browser = Browser(port)
        browser.sign_in(username, password)
        return browser.cookies

    with ThreadPoolExecutor(8) as pool:
        return dict(zip(usernames, pool.map(one, usernames), strict=True))


def _submit(port: int, plan: dict, cookies: dict[str, dict]) -> dict:
    """SUBMIT_CLIENTS mentors filing complete logs as fast as they are taken."""
    from mix import Browser

    specs = []
    for username in plan["mentors"][:SUBMIT_CLIENTS]:
        browser = Browser(port, dict(cookies[username]))
        form = browser.request("GET", "/logs/new/")
        if form.status != 200 or not browser.token:
            raise RuntimeError(f"GET /logs/new/ as {username}: HTTP {form.status}")
        specs.append(
            {
                "method": "POST",
                "path": "/logs/new/",
                "headers": {
                    "Cookie": browser.cookie_header(),
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": f"http://127.0.0.1:{port}/logs/new/",
                    "X-CSRFToken": browser.token,
                },
                "form": {
                    **plan["payloads"][username],
                    "csrfmiddlewaretoken": browser.token,
                },
                "expect": 302,
            }
        )
    return _load(port, specs)


def _mix(port: int, plan: dict, cookies: dict[str, dict], password: str):
    """The mixed scenario; see bench/mix.py."""
    from mix import run_mix

    supervisors = list(plan["supervisors"])
    people = []
    for i in range(MIX_USERS):
        mentor = plan["mentors"][i % len(plan["mentors"])]
        supervisor = supervisors[i % len(supervisors)]
        people.append(
            {
                "seed": MIX_SEED * 1000 + i,
                "mentor": mentor,
                "password": password,
                "payload": plan["payloads"][mentor],
                "review_ids": plan["supervisors"][supervisor],
                "export_query": plan["export_query"],
                "cookies": {
                    "mentor": cookies[mentor],
                    "supervisor": cookies[supervisor],
                    "research": cookies[plan["research"]],
                },
            }
        )
    return run_mix(
        port, people, seconds=MIX_SECONDS, warmup=WARMUP_SECONDS, processes=PROCESSES
    )


def run(ctx) -> list[tuple[str, float, str]]:
    import dataset
    from pages import ensure_static

    ensure_static()  # gunicorn renders the same templates with DEBUG off
    mentor = _busiest_mentor_username()
    plan = _plan(ctx, busiest=mentor)
    port = server.free_port()
    env = {
        **ctx.child_env(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PEERLOG_2FA_REQUIRED": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
    }
    # Free the harness's own connection before forking load generators.
    ctx.connection.close()
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi:application",
         "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    figures: list[tuple[str, float, str]] = []
    try:
        server.wait_ready(port, proc)
        cookies = {
            "anon": "",
            "mentor": server.login(port, mentor, dataset.PASSWORD),
            "supervisor": server.login(port, "bench.supervisor.0", dataset.PASSWORD),
            "admin": server.login(port, "bench.admin", dataset.PASSWORD),
        }
        targets = [
            ("trivial", "anon", "/healthz"),
            ("admin", "admin", "/admin/logs_app/interactionlog/"),
            ("week", "mentor", "/week/"),
            ("logs", "mentor", "/logs/"),
            ("review", "supervisor", "/review/"),
            ("team", "supervisor", "/team/"),
        ]
        # Touch every page once, so first-request costs are not in the figures.
        for _name, who, path in targets:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Cookie": cookies[who]} if cookies[who] else {}
            conn.request("GET", path, headers=headers)
            status = conn.getresponse().status
            conn.close()
            if status != 200:
                raise RuntimeError(f"GET {path} as {who}: HTTP {status}")
        workers = server.workers(proc.pid)
        rss_before = {pid: server.rss_kb(pid) for pid in workers}
        results = {}
        for name, who, path in targets:
            results[name] = _load(port, [_get_spec(path, cookies[who])] * CONCURRENCY)
        workers_after = server.workers(proc.pid)
        rss_after = {pid: server.rss_kb(pid) for pid in workers_after}

        identities = [
            *dict.fromkeys(plan["mentors"][: max(SUBMIT_CLIENTS, MIX_USERS)]),
            *plan["supervisors"],
            plan["research"],
        ]
        sessions = _sign_in_all(port, identities, dataset.PASSWORD)
        submit = _submit(port, plan, sessions)
        mix_workers = server.workers(proc.pid)
        mix_rss_before = {pid: server.rss_kb(pid) for pid in mix_workers}
        tally = _mix(port, plan, sessions, dataset.PASSWORD)
        mix_workers_after = server.workers(proc.pid)
        mix_rss_after = {pid: server.rss_kb(pid) for pid in mix_workers_after}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    trivial, admin = results["trivial"]["rps"], results["admin"]["rps"]
    for name, got in results.items():
        figures += [
            (f"load_{name}_rps", round(got["rps"], 1), "req/s"),
            (f"load_{name}_errors", got["errors"], "errors"),
            (f"load_{name}_p50_ms", round(got["p50"], 1), "ms"),
            (f"load_{name}_p95_ms", round(got["p95"], 1), "ms"),
        ]
        if name not in ("trivial", "admin"):
            figures += [
                (f"load_{name}_vs_admin", round(got["rps"] / admin, 1), "x"),
                (f"load_{name}_vs_trivial", round(got["rps"] / trivial, 4), "ratio"),
            ]
    figures += [
        ("load_seconds_per_page", SECONDS, "s"),
        ("load_concurrency", CONCURRENCY, "clients"),
    ]
    figures += _worker_figures(
        "load",
        rss_before=rss_before,
        rss_after=rss_after,
        restarted=len(set(workers_after) - set(workers)),
    )
    figures += [
        ("load_submit_clients", min(SUBMIT_CLIENTS, len(plan["mentors"])), "mentors"),
        ("load_submit_rps", round(submit["rps"], 1), "logs/s"),
        ("load_submit_errors", submit["errors"], "errors"),
        ("load_submit_p50_ms", round(submit["p50"], 1), "ms"),
        ("load_submit_p95_ms", round(submit["p95"], 1), "ms"),
    ]
    figures += _mix_figures(
        tally,
        rss_before=mix_rss_before,
        rss_after=mix_rss_after,
        restarted=len(set(mix_workers_after) - set(mix_workers)),
    )
    return figures


def _mix_figures(
    tally, *, rss_before: dict[int, int], rss_after: dict[int, int], restarted: int
) -> list[tuple[str, float, str]]:
    from mix import STEPS

    every = sorted(value for values in tally.latencies.values() for value in values)
    errors = sum(tally.errors.values())
    for (step, status), count in sorted(tally.errors.items()):
        why = tally.why.get((step, status), "")
        print(f"# mix error: {step} HTTP {status} x{count}: {why}", flush=True)
    figures = [
        ("mix_users", MIX_USERS, "users"),
        ("mix_seconds", MIX_SECONDS, "s"),
        ("mix_actions", sum(tally.actions.values()), "actions"),
        ("mix_requests", len(every) + errors, "requests"),
        ("mix_rps", round((len(every) + errors) / MIX_SECONDS, 1), "req/s"),
        ("mix_errors", errors, "errors"),
        ("mix_p50_ms", round(statistics.median(every), 1) if every else math.nan, "ms"),
        ("mix_p95_ms", round(server.percentile(every, 0.95), 1), "ms"),
    ]
    for step in STEPS:
        values = sorted(tally.latencies.get(step, []))
        if values:
            figures.append(
                (f"mix_{step}_p95_ms", round(server.percentile(values, 0.95), 1), "ms")
            )
    figures += _worker_figures(
        "mix", rss_before=rss_before, rss_after=rss_after, restarted=restarted
    )
    return figures


def _worker_figures(
    prefix: str,
    *,
    rss_before: dict[int, int],
    rss_after: dict[int, int],
    restarted: int,
) -> list[tuple[str, float, str]]:
    """The web workers' memory before and after a run (KiB per pid in, MB out),
    its growth, and how many workers were replaced meanwhile."""
    before = sum(rss_before.values()) / 1024
    after = sum(rss_after.get(pid, 0) for pid in rss_before) / 1024
    return [
        (f"{prefix}_worker_rss_before_mb", round(before, 1), "MB"),
        (f"{prefix}_worker_rss_after_mb", round(after, 1), "MB"),
        (
            f"{prefix}_worker_rss_growth_pct",
            round(100 * (after - before) / before, 1) if before else math.nan,
            "%",
        ),
        (f"{prefix}_workers_restarted", restarted, "workers"),
    ]


def _busiest_mentor_username() -> str:
    from pages import _busiest_mentor_user

    return _busiest_mentor_user().username

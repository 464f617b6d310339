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

Environment: PEERLOG_BENCH_LOAD_SECONDS (20), PEERLOG_BENCH_LOAD_CONCURRENCY (8),
PEERLOG_BENCH_LOAD_PROCESSES (2)."""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import math
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("PEERLOG_BENCH_LOAD_SECONDS", "20"))
CONCURRENCY = int(os.environ.get("PEERLOG_BENCH_LOAD_CONCURRENCY", "8"))
PROCESSES = int(os.environ.get("PEERLOG_BENCH_LOAD_PROCESSES", "2"))
WARMUP_SECONDS = 2.0
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz")


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def _rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _login(port: int, username: str, password: str) -> str:
    """Sign in through the form; return the Cookie header for later requests."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/accounts/login/", timeout=30) as response:
        html = response.read().decode()
    match = CSRF_INPUT.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the sign-in form")
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1),
            "username": username,
            "password": password,
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=body, headers={"Referer": base + "/"}
    )
    with opener.open(request, timeout=30) as response:
        final = response.geturl()
        response.read()
    names = {cookie.name for cookie in jar}
    if "sessionid" not in names or "/accounts/login/" in final:
        raise RuntimeError(f"sign-in as {username} failed (ended at {final})")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def _client_loop(
    port: int, path: str, cookie: str, stop_at: float, record_from: float, out: list
) -> None:
    """One closed-loop client: a request, wait for the whole answer, again."""
    headers = {"Cookie": cookie} if cookie else {}
    ok = errors = 0
    latencies: list[float] = []
    while True:
        began = time.monotonic()
        if began >= stop_at:
            break
        try:
            # Sync workers close the connection after each response anyway.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            good = response.status == 200
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
    """A load-generator process: `threads` clients until `stop_at`."""
    port, path, cookie, threads, stop_at, record_from = args
    out: list = []
    pool = [
        threading.Thread(
            target=_client_loop,
            args=(port, path, cookie, stop_at, record_from, out),
        )
        for _ in range(threads)
    ]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    ok = sum(item[0] for item in out)
    errors = sum(item[1] for item in out)
    return ok, errors, [value for item in out for value in item[2]]


def _load(port: int, path: str, cookie: str) -> dict:
    processes = max(1, min(PROCESSES, CONCURRENCY))
    share, rest = divmod(CONCURRENCY, processes)
    per = [share + (i < rest) for i in range(processes)]
    now = time.monotonic()
    record_from = now + WARMUP_SECONDS
    stop_at = record_from + SECONDS
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        parts = pool.map(
            _generator,
            [(port, path, cookie, n, stop_at, record_from) for n in per],
        )
    ok = sum(part[0] for part in parts)
    errors = sum(part[1] for part in parts)
    latencies = sorted(value for part in parts for value in part[2])
    return {
        "rps": ok / SECONDS,
        "errors": errors,
        "p50": statistics.median(latencies) if latencies else math.nan,
        "p95": latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
        if latencies
        else math.nan,
    }


def run(ctx) -> list[tuple[str, float, str]]:
    import dataset
    from pages import ensure_static

    ensure_static()  # gunicorn renders the same templates with DEBUG off
    mentor = _busiest_mentor_username()
    port = _free_port()
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
        _wait_ready(port, proc)
        cookies = {
            "anon": "",
            "mentor": _login(port, mentor, dataset.PASSWORD),
            "supervisor": _login(port, "bench.supervisor.0", dataset.PASSWORD),
            "admin": _login(port, "bench.admin", dataset.PASSWORD),
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
        workers = _workers(proc.pid)
        rss_before = {pid: _rss_kb(pid) for pid in workers}
        results = {}
        for name, who, path in targets:
            results[name] = _load(port, path, cookies[who])
        workers_after = _workers(proc.pid)
        rss_after = {pid: _rss_kb(pid) for pid in workers_after}
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
    before = sum(rss_before.values()) / 1024
    after = sum(rss_after.get(pid, 0) for pid in rss_before) / 1024
    restarted = len(set(workers_after) - set(workers))
    figures += [
        ("load_seconds_per_page", SECONDS, "s"),
        ("load_concurrency", CONCURRENCY, "clients"),
        ("load_worker_rss_before_mb", round(before, 1), "MB"),
        ("load_worker_rss_after_mb", round(after, 1), "MB"),
        (
            "load_worker_rss_growth_pct",
            round(100 * (after - before) / before, 1) if before else math.nan,
            "%",
        ),
        ("load_workers_restarted", restarted, "workers"),
    ]
    return figures


def _busiest_mentor_username() -> str:
    from pages import _busiest_mentor_user

    return _busiest_mentor_user().username

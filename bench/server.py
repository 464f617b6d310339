"""The benchmark's HTTP and process kit: a free loopback port, waiting for a
server's /healthz, a gunicorn master's workers and their RSS, signing in
through the real form, the CSRF token on a page, and the nearest-rank
percentile every section reports. Standard library only."""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import math
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
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


def workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    with contextlib.suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


def rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def login(port: int, username: str, password: str) -> str:
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


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

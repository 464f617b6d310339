"""Simulated people for bench/load.py: a small browser over http.client, and
the mixed load of the issue's "load and soak".

Browser: one person's cookies (updated from every Set-Cookie), a fresh
connection per request (the sync workers close it after each answer anyway),
the CSRF token read from the last form page, and sign-in through the real
sign-in form.

The mix: USERS simulated people, each a closed loop that picks an action by
weight and does its requests as a browser would (following redirects). After
each page it asked for, it thinks: THINK seconds, uniformly random and seeded
(locust's `between(1, 5)` by default; PEERLOG_BENCH_MIX_THINK="min,max"), as a
person reads a page or types into a form before the next click. With no think
time 30 users are 30 scripts clicking as fast as the server answers, which
measures queueing on 2 workers, not what 30 people do:
- mentor, 60 %: My week, the new-log form, one autosave of the half-typed form
  (what static/js/logform.js posts to /logs/autosave/: the whole form without
  "action", which creates the draft), then the submit to the draft's edit URL
  with the version the autosave returned, and the log page it redirects to;
- supervisor, 25 %: the review queue, the review page of one log in their
  queue, the team week;
- login, 10 %: a fresh cookie jar signs in through the form as the person's
  mentor identity and lands on My week;
- export, 5 %: research staff open the export page, preview a one-week,
  one-site CSV and download it (small: built in the request).
Each person signs in once at the start (as their mentor, their supervisor and
research staff; people may share an identity when the data set has few), so
only the login action pays for password hashing during the run. Any answer
other than the expected status is an error, and ends that action."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import random
import re
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import server

KEY_INPUT = re.compile(r'name="idempotency_key" value="([^"]+)"')
ALERT = re.compile(
    r'class="[^"]*(?:alert|invalid-feedback)[^"]*"[^>]*>\s*([^<]{1,200})'
)
ACTIONS = {"mentor": 60, "supervisor": 25, "login": 10, "export": 5}
THINK = tuple(
    float(part) for part in os.environ.get("PEERLOG_BENCH_MIX_THINK", "1,5").split(",")
)
# Every request kind, in report order (figures mix_<step>_p95_ms).
STEPS = [
    "week",
    "new_get",
    "autosave",
    "submit",
    "log_detail",
    "review",
    "review_page",
    "team",
    "login_form",
    "login_post",
    "home",
    "export_page",
    "export_preview",
    "export_file",
]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    ms: float

    @property
    def location(self) -> str:
        target = urllib.parse.urlsplit(self.headers.get("location", ""))
        return urllib.parse.urlunsplit(("", "", target.path, target.query, ""))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def why(self) -> str:
        """A short hint at what went wrong, for the error report."""
        if self.status == 0:
            return self.body.decode()
        if self.status in (301, 302, 303):
            return f"to {self.location}"
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            return self.text[:200]
        found = ALERT.search(self.text)
        return found.group(1).strip() if found else kind


@dataclass
class Browser:
    """One person's cookie jar on the server at `port`."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""  # the CSRF token of the last form page read

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST":
            # Django's CSRF check wants the form's token and, on HTTPS, a
            # same-origin Referer; send both as a browser would.
            sent.setdefault("Referer", f"http://127.0.0.1:{self.port}{path}")
            if self.token:
                sent.setdefault("X-CSRFToken", self.token)
        began = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            conn.close()
        except OSError as exc:
            ms = (time.monotonic() - began) * 1000
            return Reply(0, {}, f"{type(exc).__name__}: {exc}".encode(), ms)
        reply = Reply(
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            data,
            (time.monotonic() - began) * 1000,
        )
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name, None)  # Django deletes a cookie this way
            else:
                self.cookies[name] = value
        if reply.headers.get("content-type", "").startswith("text/html"):
            found = server.CSRF_INPUT.search(reply.text)
            if found:
                self.token = found.group(1)
        return reply

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the form (two-step sign-in is off in the server)."""
        form = self.request("GET", "/accounts/login/")
        if form.status != 200 or not self.token:
            raise RuntimeError(f"sign-in form: HTTP {form.status}")
        post = self.request(
            "POST",
            "/accounts/login/",
            form={
                "csrfmiddlewaretoken": self.token,
                "username": username,
                "password": password,
            },
        )
        if post.status != 302 or "/accounts/login/" in post.location:
            raise RuntimeError(
                f"sign-in as {username}: HTTP {post.status} {post.why()}"
            )


class ActionFailed(Exception):
    pass


@dataclass
class Tally:
    """What one simulated person saw while recording."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    why: dict[tuple[str, int], str] = field(default_factory=dict)
    actions: Counter = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        for step, values in other.latencies.items():
            self.latencies.setdefault(step, []).extend(values)
        self.errors.update(other.errors)
        for key, text in other.why.items():
            self.why.setdefault(key, text)
        self.actions.update(other.actions)


class Person:
    """One simulated user: its sessions, its plan (see load.py), its tally."""

    def __init__(self, port: int, plan: dict[str, Any], record_from: float) -> None:
        self.port = port
        self.plan = plan
        self.record_from = record_from
        self.rng = random.Random(plan["seed"])
        self.stop_at = float("inf")
        self.tally = Tally()
        self.sessions = {
            role: Browser(port, dict(cookies))
            for role, cookies in plan["cookies"].items()
        }

    def step(
        self,
        browser: Browser,
        name: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        check: Callable[[Reply], bool] | None = None,
        think: bool = True,
        **kwargs: Any,
    ) -> Reply:
        """One request the person makes; then they read or type (`think`)
        unless the answer is a redirect the browser follows on its own."""
        began = time.monotonic()
        reply = browser.request(method, path, **kwargs)
        try:
            good = reply.status in expect and (check is None or check(reply))
        except ValueError:  # not the JSON expected
            good = False
        if began >= self.record_from:
            if good:
                self.tally.latencies.setdefault(name, []).append(reply.ms)
            else:
                self.tally.errors[(name, reply.status)] += 1
                self.tally.why.setdefault((name, reply.status), reply.why())
        if not good:
            raise ActionFailed(name)
        if think and reply.status not in (301, 302, 303):
            self.think()
        return reply

    def think(self) -> None:
        pause = self.rng.uniform(*THINK)
        time.sleep(max(0.0, min(pause, self.stop_at - time.monotonic())))

    def follow(self, browser: Browser, reply: Reply, names: list[str]) -> None:
        """Follow redirects like a browser; `names` name each hop in turn."""
        for i, name in enumerate(names):
            if reply.status not in (301, 302, 303):
                return
            last = i == len(names) - 1
            reply = self.step(
                browser,
                name,
                "GET",
                reply.location,
                expect=(200,) if last else (200, 302),
            )

    def mentor(self) -> None:
        browser = self.sessions["mentor"]
        self.step(browser, "week", "GET", "/week/")
        page = self.step(browser, "new_get", "GET", "/logs/new/")
        found = KEY_INPUT.search(page.text)
        form = {
            **self.plan["payload"],
            "idempotency_key": found.group(1) if found else str(uuid.uuid4()),
            "csrfmiddlewaretoken": browser.token,
            "version": "",
        }
        # The autosave a few seconds into typing: the narrative half written.
        typing = {key: value for key, value in form.items() if key != "action"}
        typing["narrative"] = form["narrative"][: len(form["narrative"]) // 2]
        saved = self.step(
            browser,
            "autosave",
            "POST",
            "/logs/autosave/",
            form=typing,
            headers={"X-Requested-With": "fetch"},
            check=lambda reply: json.loads(reply.body).get("status") == "saved",
        )
        draft = json.loads(saved.body)
        form["version"] = str(draft["version"])
        filed = self.step(
            browser, "submit", "POST", draft["edit_url"], form=form, expect=(302,)
        )
        self.follow(browser, filed, ["log_detail"])

    def supervisor(self) -> None:
        browser = self.sessions["supervisor"]
        self.step(browser, "review", "GET", "/review/")
        if self.plan["review_ids"]:
            pk = self.rng.choice(self.plan["review_ids"])
            self.step(browser, "review_page", "GET", f"/logs/{pk}/review/")
        self.step(browser, "team", "GET", "/team/")

    def login(self) -> None:
        browser = Browser(self.port)
        self.step(browser, "login_form", "GET", "/accounts/login/")
        posted = self.step(
            browser,
            "login_post",
            "POST",
            "/accounts/login/",
            form={
                "csrfmiddlewaretoken": browser.token,
                "username": self.plan["mentor"],
                "password": self.plan["password"],
            },
            expect=(302,),
            check=lambda reply: "/accounts/login/" not in reply.location,
        )
        self.follow(browser, posted, ["home", "week"])

    def export(self) -> None:
        browser = self.sessions["research"]
        query = self.plan["export_query"]
        self.step(browser, "export_page", "GET", "/export/")
        self.step(
            browser,
            "export_preview",
            "GET",
            "/export/?" + urllib.parse.urlencode(query, doseq=True),
        )
        self.step(
            browser,
            "export_file",
            "POST",
            "/export/",
            form={**query, "csrfmiddlewaretoken": browser.token},
            check=lambda reply: reply.headers.get("content-type", "").startswith(
                "text/csv"
            ),
        )

    def live(self, stop_at: float) -> None:
        """Closed loop until `stop_at`: act (thinking after each page), again."""
        names, weights = list(ACTIONS), list(ACTIONS.values())
        self.stop_at = stop_at
        time.sleep(self.rng.uniform(0, THINK[1]))  # people do not all start at once
        while time.monotonic() < stop_at:
            action = self.rng.choices(names, weights)[0]
            began = time.monotonic()
            try:
                getattr(self, action)()
            except ActionFailed:
                pass
            except (ValueError, KeyError) as exc:  # an answer we could not read
                self.tally.errors[(action, -1)] += 1
                self.tally.why.setdefault((action, -1), repr(exc)[:200])
            if began >= self.record_from:
                self.tally.actions[action] += 1


def _generator(args: tuple) -> Tally:
    """A load-generator process: one thread per simulated person."""
    port, plans, stop_at, record_from = args
    people = [Person(port, plan, record_from) for plan in plans]
    threads = [threading.Thread(target=p.live, args=(stop_at,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for person in people:
        total.merge(person.tally)
    return total


def run_mix(
    port: int, plans: list[dict[str, Any]], *, seconds: float, warmup: float,
    processes: int,
) -> Tally:  # fmt: skip
    """Run the simulated people over `processes` generator processes; record
    what happens after `warmup` seconds, for `seconds`."""
    processes = max(1, min(processes, len(plans)))
    record_from = time.monotonic() + warmup
    stop_at = record_from + seconds
    shares = [plans[i::processes] for i in range(processes)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        parts = pool.map(
            _generator, [(port, share, stop_at, record_from) for share in shares]
        )
    total = Tally()
    for part in parts:
        total.merge(part)
    return total

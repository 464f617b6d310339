"""Page benchmark, in process: for each page a mentor, supervisor or research
staff member uses, the query count and the server time (p50 / p95 over
REQUESTS requests after WARMUPS warm-ups), measured with django.test.Client.

Same-run references, so the figures survive a noisy machine: a trivial view
(GET /healthz) and the Django admin changelist of interaction logs over the
same data (a few requests; it is slow by design at 1,000,000 logs).

Figures per page: page_<name>_queries, page_<name>_p50_ms, page_<name>_p95_ms,
page_<name>_vs_admin (admin p50 / page p50: how many times faster than the
admin changelist) and page_<name>_vs_trivial (page p50 / trivial p50).

Two-step sign-in is switched off inside this process
(settings.PEERLOG_2FA_REQUIRED = False): force_login cannot pass a code, and
the benchmark measures the pages, not the OTP check.

The POST figure files real logs (fresh idempotency key each time) as a mentor
who is not the one whose pages are read, so My week and My logs of the read
mentor do not change between runs. run.py deletes the rows a run wrote when
it ends (--keep-rows keeps them), so every run sees the same data set."""

from __future__ import annotations

import datetime as dt
import math
import os
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import server

WARMUPS = 3
# p95 of 30 samples is the second-slowest: too noisy. PEERLOG_BENCH_REQUESTS
# lowers it for a run that checks the harness, not the timings (.ci/run).
REQUESTS = int(os.environ.get("PEERLOG_BENCH_REQUESTS") or 100)
ADMIN_REQUESTS = 5


def ensure_static() -> None:
    """With DEBUG off the pages need the static-files manifest; a fresh clone
    has none and a stale one misses newer files. Collect (idempotent, into the
    git-ignored STATIC_ROOT) so the pages render as in production."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def _measure(
    client, method: str, url: str, *, data: Callable[[], dict] | None = None,
    expect: tuple[int, ...] = (200,), warmups: int = WARMUPS,
    requests: int = REQUESTS,
) -> dict[str, Any]:  # fmt: skip
    """Time `requests` requests after `warmups`; the query count is the most any
    measured request needed (it must not vary, but a cache miss would show).
    A request that also recorded the session's activity (once a minute, three
    statements: accounts.sessions.session_touch) is left out of the count, so
    a slow run that crosses the minute does not read as a page's queries."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call = client.get if method == "GET" else client.post

    def once() -> tuple[float, int | None]:
        payload = data() if data else None
        # The capture stops Django clearing its query log per request, and the
        # log keeps 9,000 entries: past that every count would read 0.
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = call(url, payload) if payload is not None else call(url)
            elapsed = (time.perf_counter() - began) * 1000
        if response.status_code not in expect:
            raise RuntimeError(
                f"{method} {url}: HTTP {response.status_code}, expected {expect}"
                f" ({response.get('Location', '')})"
            )
        touched = any(
            query["sql"].startswith('UPDATE "django_session"') for query in captured
        )
        return elapsed, None if touched else len(captured)

    for _ in range(warmups):
        once()
    timings, queries = [], []
    for _ in range(requests):
        elapsed, count = once()
        timings.append(elapsed)
        if count is not None:
            queries.append(count)
    while not queries:  # every request wrote the session: the next one cannot
        count = once()[1]
        if count is not None:
            queries.append(count)
    return {
        "p50": statistics.median(timings),
        "p95": server.percentile(timings, 0.95),
        "queries": max(queries),
        "queries_min": min(queries),
    }


def _client(user=None):
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _busiest_mentor_user():
    """The mentor with the most logs (its last My logs page is the deepest)."""
    from django.db.models import Count

    from logs_app.models import InteractionLog
    from mentors.models import Mentor

    row = (
        InteractionLog.objects.filter(mentor__user__username__startswith="bench.")
        .values("mentor_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n", "mentor_id")
        .first()
    )
    return Mentor.objects.select_related("user").get(pk=row["mentor_id"]).user


def _last_page(user) -> int:
    from django.conf import settings

    from logs_app import selectors

    count = selectors.log_list(user=user).count()
    return max(1, math.ceil(count / settings.PEERLOG_PAGE_SIZE))


def _submit_payload_factory(mentor_user) -> Callable[[], dict]:
    """A valid, complete log for one of the mentor's active participants,
    dated yesterday in the participant's site time zone (the data set's
    assignments are open-ended from 2023-11-15)."""
    from django.utils import timezone

    from logs_app.models import RoleFunction, Technique, Topic
    from mentors.models import Assignment

    today = timezone.now().date()
    assignment = (
        Assignment.objects.filter(
            mentor__user=mentor_user, participant__status="active"
        )
        .select_related("participant__site")
        .order_by("participant__study_id")
        .first()
    )
    participant = assignment.participant
    day = timezone.now().astimezone(participant.site.tzinfo).date() - dt.timedelta(
        days=1
    )
    assert assignment.start_date <= day and (
        assignment.end_date is None or day <= assignment.end_date
    ), (assignment, day, today)
    techniques = list(
        Technique.objects.filter(is_active=True).values_list("pk", flat=True)[:2]
    )
    topics = list(Topic.objects.filter(is_active=True).values_list("pk", flat=True)[:1])
    roles = list(
        RoleFunction.objects.filter(is_active=True).values_list("pk", flat=True)[:1]
    )

    def payload() -> dict:
        return {
            "idempotency_key": str(uuid.uuid4()),
            "version": "",
            "participant": str(participant.pk),
            "outcome": "met",
            "contact_date": day.isoformat(),
            "start_time": "10:00",
            "duration_minutes": "45",
            "mode": "in_person",
            "place": "Clinic",
            "techniques": [str(pk) for pk in techniques],
            "topics": [str(pk) for pk in topics],
            "role_functions": [str(pk) for pk in roles],
            "co_ppm": "12",
            "cigarettes_per_day": "8",
            "stage_of_change": "preparation",
            "quit_date": "",
            "nrt_in_use": "yes",
            "last_goal_outcome": "partly",
            "weekly_goal": "Walk instead of the first cigarette",
            "narrative": "We met at the clinic and talked about cravings and a plan "
            "for the weekend. Benchmark log.",
            "reflection_feelings": "",
            "reflection_concerns": "",
            "concern": "",
            "action": "submit",
        }

    return payload


def _followups_for(supervisor) -> int:
    """What filing would have made (issue 14): a follow-up item for each safety
    flag, concern and request to talk in the supervisor's mentors' filed logs
    (the data set is written by SQL, not filed). Items of logs filed in the
    last 14 days are open, due over the last and the next week (some
    overdue); older ones are resolved, but for one in 50 that was left open
    and is carried by every agenda. run.py removes them with the other rows a
    run wrote."""
    from django.utils import timezone

    from logs_app.models import InteractionLog
    from supervision.models import FollowUpItem

    now = timezone.now()
    logs = (
        InteractionLog.objects.filter(mentor__supervisor=supervisor)
        .exclude(status=InteractionLog.Status.DRAFT)
        .filter(_flagged_q())
        .values("pk", "mentor_id", "participant__site_id", "safety_concern",
                "discuss_in_supervision", "concern", "submitted_at")
        .order_by("pk")
    )  # fmt: skip
    items = []
    for n, log in enumerate(logs.iterator()):
        opened = log["submitted_at"] or now
        kinds = [
            kind
            for kind, raised in (
                (FollowUpItem.Kind.SAFETY, log["safety_concern"]),
                (FollowUpItem.Kind.TALK, log["discuss_in_supervision"]),
                (FollowUpItem.Kind.CONCERN, bool(log["concern"])),
            )
            if raised
        ]
        for kind in kinds:
            resolved = opened < now - dt.timedelta(days=14) and n % 50 != 0
            items.append(
                FollowUpItem(
                    log_id=log["pk"], kind=kind, mentor_id=log["mentor_id"],
                    site_id=log["participant__site_id"], owner_id=supervisor.pk,
                    state="resolved" if resolved else "open", opened_at=opened,
                    due_at=now + dt.timedelta(hours=(n % 336) - 168),
                    resolved_at=opened + dt.timedelta(days=2) if resolved else None,
                    resolved_by_id=supervisor.pk if resolved else None,
                    resolution_note="Followed up." if resolved else "",
                )
            )  # fmt: skip
    FollowUpItem.objects.bulk_create(items, batch_size=2000)
    return len(items)


def _flagged_q():
    from django.db.models import Q

    return Q(safety_concern=True) | Q(discuss_in_supervision=True) | ~Q(concern="")


def run(ctx) -> list[tuple[str, float, str]]:
    from django.conf import settings

    from mentors.models import Assignment

    # force_login cannot pass a one-time code; measure the pages, not the gate.
    settings.PEERLOG_2FA_REQUIRED = False
    ensure_static()

    mentor = _busiest_mentor_user()
    supervisor = ctx.user("supervisor", 0)
    research = ctx.user("research")
    admin = ctx.user("admin")
    # Filing is measured as another mentor, so the read mentor's pages stay put.
    filer = ctx.user("mentor", 1)
    if filer.pk == mentor.pk:
        filer = ctx.user("mentor", 2)
    participant_id = (
        Assignment.objects.filter(mentor__user=mentor)
        .order_by("participant__study_id")
        .values_list("participant_id", flat=True)
        .first()
    )

    clients = {
        "anon": _client(),
        "mentor": _client(mentor),
        "supervisor": _client(supervisor),
        "research": _client(research),
        "admin": _client(admin),
        "filer": _client(filer),
    }
    mentor_last = _last_page(mentor)
    supervisor_last = _last_page(supervisor)

    figures: list[tuple[str, float, str]] = [
        ("page_followups_items", _followups_for(supervisor), "items"),
    ]
    trivial = _measure(clients["anon"], "GET", "/healthz", requests=200)
    admin_page = _measure(
        clients["admin"], "GET", "/admin/logs_app/interactionlog/",
        warmups=1, requests=ADMIN_REQUESTS,
    )  # fmt: skip
    figures += [
        ("page_trivial_queries", trivial["queries"], "queries"),
        ("page_trivial_p50_ms", round(trivial["p50"], 2), "ms"),
        ("page_trivial_p95_ms", round(trivial["p95"], 2), "ms"),
        ("page_admin_queries", admin_page["queries"], "queries"),
        ("page_admin_p50_ms", round(admin_page["p50"], 1), "ms"),
        ("page_admin_p95_ms", round(admin_page["p95"], 1), "ms"),
        ("page_logs_deep_mentor_page", mentor_last, "page"),
        ("page_logs_sup_deep_page", supervisor_last, "page"),
    ]

    pages: list[tuple[str, str, str, str, dict]] = [
        ("week", "mentor", "GET", "/week/", {}),
        ("logs_first", "mentor", "GET", "/logs/", {}),
        ("logs_deep", "mentor", "GET", f"/logs/?page={mentor_last}", {}),
        ("logs_sup_first", "supervisor", "GET", "/logs/", {}),
        ("logs_sup_deep", "supervisor", "GET", f"/logs/?page={supervisor_last}", {}),
        ("new_get", "filer", "GET", "/logs/new/", {}),
        (
            "new_post",
            "filer",
            "POST",
            "/logs/new/",
            {"data": _submit_payload_factory(filer), "expect": (302,)},
        ),
        ("review", "supervisor", "GET", "/review/", {}),
        ("team", "supervisor", "GET", "/team/", {}),
        ("agenda", "supervisor", "GET", "/review/agenda/", {}),
        ("followups", "supervisor", "GET", "/followups/", {}),
        ("participant", "mentor", "GET", f"/participants/{participant_id}/", {}),
        ("export", "research", "GET", "/export/", {}),
    ]
    for name, who, method, url, options in pages:
        got = _measure(clients[who], method, url, **options)
        figures += [
            (f"page_{name}_queries", got["queries"], "queries"),
            (f"page_{name}_p50_ms", round(got["p50"], 2), "ms"),
            (f"page_{name}_p95_ms", round(got["p95"], 2), "ms"),
            (f"page_{name}_vs_admin", round(admin_page["p50"] / got["p50"], 1), "x"),
            (f"page_{name}_vs_trivial", round(got["p50"] / trivial["p50"], 1), "x"),
        ]
        if got["queries_min"] != got["queries"]:
            figures.append((f"page_{name}_queries_min", got["queries_min"], "queries"))
    return figures

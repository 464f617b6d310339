"""Digest generation at scale: time and queries to build and render one
supervisor's weekly digest (what the Celery worker does per digest row).

Figures: digest_ms_p50 / p95 (build + render, in process), digest_queries
(the most any sampled supervisor needed; it must not grow with the number of
logs — compare runs at 10,000 and 1,000,000), and a same-run reference,
db_roundtrip_ms (one SELECT 1), so digest_vs_roundtrip survives a noisy
machine."""

import contextlib
import statistics
import time

SAMPLES = 20


def run(ctx) -> list[tuple[str, float, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from core.timeutils import iso_week_bounds, iso_week_label
    from logs_app.models import InteractionLog
    from notifications.kinds import NothingToSay
    from notifications.models import Notification
    from notifications.rendering import render

    latest = InteractionLog.objects.order_by("-contact_date").values_list(
        "contact_date", flat=True
    )[0]
    start, end = iso_week_bounds(latest)
    now = timezone.now()

    def digest_for(user) -> Notification:
        """The digest row the worker renders for `user` and the week."""
        return Notification(
            kind=Notification.Kind.DIGEST,
            recipient=user,
            email=user.email,
            period=iso_week_label(start),
            payload={"start": start.isoformat(), "end": end.isoformat()},
        )

    def roundtrip() -> float:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return (time.perf_counter() - began) * 1000

    reference = statistics.median(roundtrip() for _ in range(200))

    from django.contrib.auth.models import User

    available = User.objects.filter(username__startswith="bench.supervisor.").count()
    samples = min(SAMPLES, available)
    # Warm up once: template compilation and translations are one-off costs.
    with contextlib.suppress(NothingToSay):
        render(digest_for(ctx.user("supervisor", 0)), now=now)
    timings, queries, empty = [], [], 0
    for index in range(samples):
        # A supervisor's first digest ever also creates their mail preferences
        # (3 queries, once in their life); the bench's cleanup removes them
        # after each run, so measure the steady state: one digest unmeasured,
        # then the measured one with a fresh user object.
        with contextlib.suppress(NothingToSay):
            render(digest_for(ctx.user("supervisor", index)), now=now)
        notification = digest_for(ctx.user("supervisor", index))
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            try:
                render(notification, now=now)
            except NothingToSay:
                empty += 1
            timings.append((time.perf_counter() - began) * 1000)
        queries.append(len(captured))
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    return [
        ("digest_ms_p50", round(p50, 1), "ms"),
        ("digest_ms_p95", round(p95, 1), "ms"),
        ("digest_queries", max(queries), "queries"),
        ("digest_queries_min", min(queries), "queries"),
        ("db_roundtrip_ms", round(reference, 3), "ms"),
        ("digest_vs_roundtrip", round(p50 / reference, 1), "x"),
        ("digest_samples", samples, "supervisors"),
        ("digest_empty_samples", empty, "supervisors"),
    ]

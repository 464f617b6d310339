"""The protocol's dose at scale (issue 17): the dose-delivered report over
every site, and My week with its overdue flags, with every cohort given a
weekly protocol of 26 contacts (inside a transaction rolled back at the end,
so the data set is left as it was).

Figures: dose_participants (counted), dose_report_s (build the whole report,
best of 3), dose_report_queries (must not grow with the data), dose_report_mb
(peak Python memory while building it), and a same-run reference,
met_read_s (reading the met contacts the report needs, nothing else), as
dose_report_vs_read. my_week_ms_p50 with the protocol against
my_week_plain_ms_p50 (the same mentors, no protocol) as my_week_dose_cost."""

from __future__ import annotations

import datetime as dt
import statistics
import time
import tracemalloc

MENTORS = 5
SAMPLES = 10


class _Rollback(Exception):
    pass


def _best(fn, times: int = 3) -> tuple[float, object]:
    best, result = None, None
    for _ in range(times):
        began = time.perf_counter()
        result = fn()
        took = time.perf_counter() - began
        best = took if best is None else min(best, took)
    return best, result


def run(ctx) -> list[tuple[str, float, str]]:
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from logs_app.dose import met_contacts
    from logs_app.models import InteractionLog
    from logs_app.selectors import my_week_get
    from mentors.models import Mentor
    from participants.models import Cohort, Site
    from programs.dose_report import dose_report

    latest = InteractionLog.objects.order_by("-contact_date").values_list(
        "contact_date", flat=True
    )[0]
    now = dt.datetime.combine(latest + dt.timedelta(days=1), dt.time(17), dt.UTC)
    sites = list(Site.objects.order_by("pk"))
    busiest = list(
        Mentor.objects.annotate(n=Count("assignments"))
        .order_by("-n", "pk")
        .prefetch_related("sites")[:MENTORS]
    )

    def my_week_p50() -> float:
        took = []
        for _ in range(SAMPLES):
            for mentor in busiest:
                began = time.perf_counter()
                my_week_get(mentor=mentor, now=now)
                took.append((time.perf_counter() - began) * 1000)
        return statistics.median(took)

    figures: list[tuple[str, float, str]] = []
    try:
        with transaction.atomic():
            plain = my_week_p50()
            Cohort.objects.update(
                planned_contacts=26,
                contact_every_days=7,
                window_days=3,
                planned_minutes=45,
            )
            with CaptureQueriesContext(connection) as captured:
                report = dose_report(sites, now=now)
            queries = len(captured)
            seconds, report = _best(lambda: dose_report(sites, now=now))
            tracemalloc.start()
            dose_report(sites, now=now)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            read, _rows = _best(
                lambda: list(
                    InteractionLog.objects.filter(met_contacts())
                    .order_by()
                    .values_list("participant_id", "contact_date", "duration_minutes")
                )
            )
            with_dose = my_week_p50()
            total = report.total
            assert total.planned_to_date >= total.delivered > 0, vars(total)
            figures = [
                ("dose_participants", total.participants, "participants"),
                ("dose_share_delivered", round(total.share or 0, 3), "share"),
                ("dose_report_s", round(seconds, 2), "s"),
                ("dose_report_queries", queries, "queries"),
                ("dose_report_mb", round(peak / 1e6, 1), "MB"),
                ("met_read_s", round(read, 2), "s"),
                ("dose_report_vs_read", round(seconds / read, 2), "x"),
                ("my_week_ms_p50", round(with_dose, 1), "ms"),
                ("my_week_plain_ms_p50", round(plain, 1), "ms"),
                ("my_week_dose_cost", round(with_dose / plain, 2), "x"),
            ]
            raise _Rollback
    except _Rollback:
        pass
    return figures

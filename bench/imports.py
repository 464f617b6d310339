"""Enrolment import benchmark (issue 17: 10,000 rows previewed and applied in
under 10 s), as the admin over every site of the data set.

Figures: import_rows (the file's rows), import_preview_s (read, check every
cell, plan), import_apply_s (plan again under a lock, write), import_total_s
(the two: the issue's figure), import_again_s (the same file once more: every
row unchanged), import_preview_queries (must not grow with the rows or the
data set), and a same-run reference, bulk_create_s (Django writing the same
participants with nothing checked, rolled back), as import_total_vs_bulk."""

from __future__ import annotations

import time

ROWS = 10_000


class _Rollback(Exception):
    pass


def _file(sites, cohorts) -> bytes:
    lines = [
        "study_id,site,research_consent,enrolled_on,preferred_name,cohort,quit_date"
    ]
    for i in range(ROWS):
        site = sites[i % len(sites)]
        cohort = cohorts.get(site.pk, "")
        quit_day = f"2026-10-{1 + i % 28:02d}" if i % 3 == 0 else ""
        lines.append(
            f"BIMP-{i:05d},{site.code},{'yes' if i % 5 else 'no'},"
            f"2026-09-{1 + i % 28:02d},Name {i},{cohort},{quit_day}"
        )
    return ("\r\n".join(lines) + "\r\n").encode()


def run(ctx) -> list[tuple[str, float, str]]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from participants.models import Cohort, Participant, Site
    from programs.imports import import_apply, import_preview

    user = ctx.user("admin")
    sites = list(Site.objects.order_by("pk"))
    cohorts = {}
    for cohort in Cohort.objects.order_by("pk"):
        cohorts.setdefault(cohort.site_id, cohort.name)
    data = _file(sites, cohorts)

    began = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        record = import_preview(user=user, sites=sites, name="bench.csv", data=data)
    preview = time.perf_counter() - began
    assert not record.plan["errors"] and not record.plan["file_error"], record.plan
    began = time.perf_counter()
    counts = import_apply(user=user, sites=sites, record=record)
    apply = time.perf_counter() - began
    assert counts["added"] == ROWS, counts

    began = time.perf_counter()
    again = import_preview(user=user, sites=sites, name="bench.csv", data=data)
    repeat = time.perf_counter() - began
    assert again.plan["unchanged"] == ROWS and not again.plan["add"]

    rows = [
        Participant(
            study_id=f"BREF-{i:05d}",
            site=sites[i % len(sites)],
            has_research_consent=bool(i % 5),
            enrolled_on=f"2026-09-{1 + i % 28:02d}",
            preferred_name=f"Name {i}",
        )
        for i in range(ROWS)
    ]
    began = time.perf_counter()
    try:
        with transaction.atomic():
            Participant.objects.bulk_create(rows, batch_size=1000)
            reference = time.perf_counter() - began
            raise _Rollback
    except _Rollback:
        pass
    total = preview + apply
    return [
        ("import_rows", ROWS, "rows"),
        ("import_preview_s", round(preview, 2), "s"),
        ("import_apply_s", round(apply, 2), "s"),
        ("import_total_s", round(total, 2), "s"),
        ("import_again_s", round(repeat, 2), "s"),
        ("import_preview_queries", len(captured), "queries"),
        ("bulk_create_s", round(reference, 2), "s"),
        ("import_total_vs_bulk", round(total / reference, 1), "x"),
    ]

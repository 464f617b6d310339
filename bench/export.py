"""Export benchmark: the CSV export against PostgreSQL's own COPY of the same
query (same columns, same scope), in the same run, plus XLSX and the data
package. Each measurement runs in a fresh subprocess, so its peak RSS is its
own; the best of two rounds counts.

Figures: export_csv_rows_per_s, copy_rows_per_s (psycopg reading COPY into a
file), copy_psql_rows_per_s (psql doing the same, no Python at all),
export_csv_vs_copy (the ratio to the faster COPY), export_csv_peak_rss_mb (and
at a tenth of the rows, to show memory does not grow with them),
export_long_rows_per_s, export_xlsx_rows_per_s, export_package_rows_per_s."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
XLSX_SAMPLE = 50_000  # openpyxl is slow: XLSX is measured on a slice


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


def _since_for(ctx, rows: int) -> str | None:
    """A start date leaving about `rows` logs (the data spans 3 years)."""
    import datetime as dt

    if rows >= ctx.n:
        return None
    days = max(1, int(1095 * rows / ctx.n))
    return (dt.date(2023, 12, 1) + dt.timedelta(days=1095 - days)).isoformat()


def run(ctx) -> list[tuple[str, float, str]]:
    best: dict[str, dict] = {}
    for _round in range(2):
        for mode in ("copy", "psql", "csv"):
            got = _child(ctx, mode)
            if mode not in best or got["seconds"] < best[mode]["seconds"]:
                best[mode] = got
    copy_rate = best["copy"]["rows"] / best["copy"]["seconds"]
    psql_rate = best["psql"]["rows"] / best["psql"]["seconds"]
    csv_rate = best["csv"]["rows"] / best["csv"]["seconds"]
    assert best["csv"]["rows"] == best["copy"]["rows"] == best["psql"]["rows"]
    small = _child(ctx, "csv", "--since", _since_for(ctx, ctx.n // 10) or "")
    long = _child(ctx, "long")
    package = _child(ctx, "package")
    xlsx = _child(ctx, "xlsx", "--since", _since_for(ctx, XLSX_SAMPLE) or "")
    reference = max(copy_rate, psql_rate)
    csv_mb_s = best["csv"]["bytes"] / 1e6 / best["csv"]["seconds"]
    package_rate = package["rows"] / package["seconds"]
    return [
        ("export_rows", best["csv"]["rows"], "rows"),
        ("copy_rows_per_s", round(copy_rate), "rows/s"),
        ("copy_psql_rows_per_s", round(psql_rate), "rows/s"),
        ("export_csv_rows_per_s", round(csv_rate), "rows/s"),
        ("export_csv_vs_copy", round(csv_rate / reference, 3), "ratio"),
        ("export_csv_mb_per_s", round(csv_mb_s, 1), "MB/s"),
        ("export_csv_peak_rss_mb", round(best["csv"]["rss_mb"], 1), "MB"),
        ("export_csv_tenth_rows", small["rows"], "rows"),
        ("export_csv_tenth_peak_rss_mb", round(small["rss_mb"], 1), "MB"),
        ("export_long_rows_per_s", round(long["rows"] / long["seconds"]), "rows/s"),
        ("export_long_peak_rss_mb", round(long["rss_mb"], 1), "MB"),
        ("export_package_logs_per_s", round(package_rate), "logs/s"),
        ("export_package_seconds", round(package["seconds"], 1), "s"),
        ("export_package_peak_rss_mb", round(package["rss_mb"], 1), "MB"),
        ("export_xlsx_rows", xlsx["rows"], "rows"),
        ("export_xlsx_rows_per_s", round(xlsx["rows"] / xlsx["seconds"]), "rows/s"),
        ("export_xlsx_peak_rss_mb", round(xlsx["rss_mb"], 1), "MB"),
    ]  # fmt: skip


# --- the subprocess -------------------------------------------------------------------
def child(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--child", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--since", default="")
    parser.add_argument("--level", default="coded")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt

    from django.contrib.auth.models import User
    from django.db import connection

    from exports.files import export_write
    from exports.filters import ExportFilters

    user = User.objects.get(username="bench.research")
    filters = ExportFilters(
        since=dt.date.fromisoformat(args.since) if args.since else None
    )
    started = time.perf_counter()
    if args.child in ("copy", "psql"):
        rows, size = _reference(args.child, user, filters, args.level, args.out)
    else:
        with open(args.out, "wb") as out:
            result = export_write(
                out, user=user, filters=filters, level=args.level, fmt=args.child
            )
        rows, size = result.rows, result.size
    seconds = time.perf_counter() - started
    connection.close()
    rss_mb = _peak_rss_mb()
    print(
        json.dumps({"rows": rows, "bytes": size, "seconds": seconds, "rss_mb": rss_mb})
    )


def _peak_rss_mb() -> float:
    """This process's own peak RSS. (getrusage's ru_maxrss is not: Linux keeps
    the parent's peak across fork and exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reference(mode: str, user, filters, level: str, out: str) -> tuple[int, int]:
    """COPY of the export's own query (same columns, scope, order), as one
    statement: through psycopg into a file, or by psql with no Python at all."""
    from django.db import connection

    from exports.columns import wide_columns
    from exports.filters import exported_logs
    from exports.options import option_sets
    from exports.rows_copy import copy_statement

    sets = option_sets()
    logs = exported_logs(user, filters)
    columns = wide_columns(level, sets)
    bounds = [b or 0 for b in logs.order_by().values_list("pk", flat=True)[:1]]
    last = logs.order_by("-pk").values_list("pk", flat=True).first() or 0
    sql, params = copy_statement(
        logs=logs, columns=columns, sets=sets, lo=bounds[0] if bounds else 0,
        hi=last + 1,
    )  # fmt: skip
    rows = size = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if mode == "copy":
            with open(out, "wb") as handle, raw.copy(sql, params) as copy:
                for row in copy:
                    handle.write(row)
                    rows += 1
                    size += len(row)
            return rows, size
        import psycopg

        literal = psycopg.ClientCursor(raw.connection).mogrify(sql, params)
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    with open(out, "wb") as handle:
        subprocess.run(
            ["psql", "-X", "-q", "-h", settings["HOST"], "-p", str(settings["PORT"]),
             "-U", settings["USER"], "-d", settings["NAME"], "-v", "ON_ERROR_STOP=1"],
            input=literal.encode(), stdout=handle, env=env, check=True,
        )  # fmt: skip
    data = Path(out).read_bytes()
    return data.count(b"\n") - _inner_newlines(data), len(data)


def _inner_newlines(data: bytes) -> int:
    """Line breaks inside quoted cells (not row ends) in PostgreSQL's CSV."""
    import csv
    import io

    rows = sum(1 for _ in csv.reader(io.StringIO(data.decode(), newline="")))
    return data.count(b"\n") - rows


if __name__ == "__main__" and "--child" in sys.argv:
    child(sys.argv[1:])

"""What a benchmark run leaves behind, and what it takes back: the figures on
file per data-set size (bench/results/logs-<N>.json, merged by section), the
comparison of query counts between two sizes, the machine's description, and
the snapshot of every table's highest id so that the rows a run wrote can be
deleted again. Used by bench/run.py; standard library only until a section's
rows are removed (Django is set up by then)."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
# .ci/run writes its small run elsewhere, so it neither reads nor adds to these.
RESULTS = Path(os.environ.get("PEERLOG_BENCH_RESULTS") or BENCH / "results")
# Every bench/<name>.py with a run(ctx), in this order when --only is not given.
SECTIONS = [
    "pages",
    "export",
    "digest",
    "load",
    "sync",
    "reflections",
    "read_api",
    "imports",
    "dose",
]
SESSIONS = "django_session"


def machine() -> dict[str, Any]:
    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split("\n", 1)[0]
        info["memory_kb"] = int(mem.split()[1])
    except OSError:
        pass
    return info


def rows_snapshot(connection) -> dict[str, Any]:
    """The highest id of every table with an integer id, before the sections."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT c.table_name FROM information_schema.columns c
            JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE c.table_schema = current_schema() AND c.column_name = 'id'
                AND t.table_type = 'BASE TABLE'
                AND c.data_type IN ('smallint', 'integer', 'bigint')
            ORDER BY c.table_name"""
        )
        tables = [row[0] for row in cursor.fetchall()]
        snapshot = {}
        for table in tables:
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
            snapshot[table] = cursor.fetchone()[0]
        # Sessions have no id; one signed in or used later expires later.
        cursor.execute("SELECT MAX(expire_date) FROM django_session")
        snapshot[SESSIONS] = cursor.fetchone()[0]
    return snapshot


def rows_remove_since(connection, snapshot: dict[str, Any]) -> int:
    """Delete every row added after `snapshot` (logs filed by the sections, their
    revisions, audit and history rows, export jobs, sessions...), in one
    transaction, so the next run sees the same data set. Django's foreign keys
    are deferred, so
    the order does not matter, except that deleting logs writes history rows:
    the history table goes last. The append-only tables accept the DELETE
    inside history_purge_allowed(), as the harness's role is a member of the
    history admin role (a superuser in its own cluster; see audit.triggers)."""
    from audit.triggers import HISTORY_TABLE, history_purge_allowed

    removed = 0
    with history_purge_allowed(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        tables = [name for name in snapshot if name != SESSIONS]
        for table in sorted(tables, key=lambda name: name == HISTORY_TABLE):
            cursor.execute(f'DELETE FROM "{table}" WHERE id > %s', [snapshot[table]])
            removed += max(cursor.rowcount, 0)
        if snapshot[SESSIONS] is not None:
            cursor.execute(
                "DELETE FROM django_session WHERE expire_date > %s",
                [snapshot[SESSIONS]],
            )
        else:
            cursor.execute("DELETE FROM django_session")
        removed += max(cursor.rowcount, 0)
    return removed


def results_path(n: int) -> Path:
    return RESULTS / f"logs-{n}.json"


def results_merge(
    n: int,
    runs: dict[str, dict[str, Any]],
    figures: dict[str, list[tuple[str, float, str]]],
) -> dict[str, Any]:
    """bench/results/logs-<n>.json: this run's sections replace their own earlier
    figures; other sections' figures stay, so runs of one size add up."""
    path = results_path(n)
    old = json.loads(path.read_text()) if path.exists() else {}
    kept = {
        name: figure
        for name, figure in old.get("figures", {}).items()
        if figure.get("section") not in runs
    }
    for section, items in figures.items():
        for name, value, unit in items:
            kept[name] = {"value": value, "unit": unit, "section": section}
    order = {name: i for i, name in enumerate(SECTIONS)}
    sections = {**old.get("sections", {}), **runs}
    payload = {
        "logs": n,
        "updated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "sections": dict(
            sorted(sections.items(), key=lambda item: order.get(item[0], 99))
        ),
        "figures": dict(
            sorted(
                kept.items(),
                key=lambda item: order.get(item[1].get("section"), 99),
            )
        ),
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return payload


def sizes_on_file() -> list[int]:
    sizes = []
    for path in RESULTS.glob("logs-*.json"):
        with contextlib.suppress(ValueError):
            sizes.append(int(path.stem.removeprefix("logs-")))
    return sorted(sizes)


def queries_compare(a: int, b: int) -> list[str] | None:
    """Every `*_queries` figure on file for both sizes must be equal: a query
    count that grows with the data is a per-row query or a missing bound.
    Prints what was compared and each difference; returns the differences,
    or None when a size has nothing on file."""
    loaded = {}
    for n in (a, b):
        path = results_path(n)
        if not path.exists():
            print(f"# queries: nothing on file for {n} logs ({path.name})")
            return None
        loaded[n] = json.loads(path.read_text())["figures"]
    counts = {
        n: {name for name in figures if name.endswith("_queries")}
        for n, figures in loaded.items()
    }
    names = sorted(counts[a] & counts[b])
    one_side = sorted(counts[a] ^ counts[b])
    if one_side:
        print(
            f"# queries: on file for one size only (run that section at both):"
            f" {', '.join(one_side)}"
        )
    mismatches = []
    for name in names:
        got_a, got_b = loaded[a][name]["value"], loaded[b][name]["value"]
        if got_a != got_b:
            mismatches.append(name)
            print(
                f"queries_mismatch {name}: {got_a:g} at {a} logs,"
                f" {got_b:g} at {b} logs",
                flush=True,
            )
    print(f"queries_compared: {len(names)} figures ({a} vs {b} logs)")
    print(f"queries_mismatch: {len(mismatches)} pages", flush=True)
    return mismatches

"""Peerlog benchmark harness.

    python bench/run.py [--logs N] [--only export[,pages,...]] [--rebuild]
                        [--compare A,B] [--keep-rows]

Any python3 will do: run with another interpreter than the project's .venv, the
harness first installs the locked environment (scripts/_bootstrap.sh, uv) and
then runs itself again with .venv/bin/python.

Starts a throwaway PostgreSQL 15 on loopback (or uses DATABASE_URL), builds or
reuses a data set of N logs in its own database (bench/dataset.py, set-based
SQL), then runs each section module bench/<name>.py, whose `run(ctx)` returns
[(name, value, unit), ...]. Prints one `name: value unit` line per figure and
writes bench/results/latest.json and bench/results/logs-<N>.json (the latter
merges the sections run for one N, so `--only pages` then `--only load` add up).
Rows the sections wrote (filed logs, audit rows, exports...) are deleted again
at the end, so every run sees the same data set (--keep-rows keeps them).

Query counts must not depend on the data set's size: after the run every
`*_queries` figure is compared with the other size on file (or the two sizes
given with --compare); any difference is printed and the exit status is 1.
`--compare A,B` without --logs and --only compares the files and runs nothing.

The cluster's files live in $PEERLOG_BENCH_DIR (default /var/tmp/peerlog-bench),
so a second run with the same N reuses the data set (building 1,000,000 logs
takes a few minutes). PostgreSQL's server programs are looked up in $PG_BIN
(default /usr/lib/postgresql/15/bin). $PEERLOG_BENCH_DATABASE names the data
set's database (default peerlog_bench_<N>) and $PEERLOG_BENCH_RESULTS the
results directory (default bench/results), for a run beside others (.ci/run).

Building the data set starts by truncating the audit and history tables and a
run ends by deleting its own audit rows: both need a member of the history
admin role (audit.triggers), which the harness's own cluster's superuser is;
with DATABASE_URL, grant that role to the URL's role (README, Audit trail)."""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import server
from record import (
    RESULTS,
    SECTIONS,
    machine,
    queries_compare,
    results_merge,
    rows_remove_since,
    rows_snapshot,
    sizes_on_file,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV = ROOT / ".venv"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# Set when the harness runs itself again inside .venv, so it cannot loop.
REEXEC_FLAG = "PEERLOG_BENCH_REEXEC"


def ensure_venv() -> None:
    """Run inside the project's locked environment: from a fresh clone, with any
    python3, install it the way scripts/test does (uv sync --locked, no Python
    downloads), then replace this process with .venv/bin/python."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    if os.environ.get(REEXEC_FLAG):
        sys.exit(f"bench: {VENV / 'bin/python'} did not start inside {VENV}")
    print(f"# {sys.executable} is not {VENV}/bin/python: bootstrapping", flush=True)
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    env.setdefault("PYTHON", sys.executable)  # the bootstrap installs uv with it
    bootstrap = subprocess.run(
        ["bash", str(ROOT / "scripts/_bootstrap.sh")], env=env, check=False
    )
    python = VENV / "bin/python"
    if bootstrap.returncode != 0 or not python.exists():
        sys.exit(
            f"bench: scripts/_bootstrap.sh failed (exit {bootstrap.returncode});"
            " install uv and run `uv sync --locked` in the project, then try again"
        )
    os.environ[REEXEC_FLAG] = "1"
    os.execv(python, [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def check_pg_bin() -> None:
    """Without DATABASE_URL the harness runs its own cluster: say plainly what
    is missing instead of failing later inside initdb or runuser."""
    missing = [name for name in ("initdb", "pg_ctl") if not (PG_BIN / name).is_file()]
    problem = ""
    if missing:
        problem = f"{' and '.join(missing)} not found in PG_BIN={PG_BIN}"
    elif os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            problem = "running as root, and there is no postgres user to run it as"
    if problem:
        sys.exit(
            f"bench: cannot start PostgreSQL: {problem}.\n"
            "  Install PostgreSQL 15 (Debian/Ubuntu: apt-get install postgresql-15),"
            " or set PG_BIN to the directory holding initdb and pg_ctl,\n"
            "  or set DATABASE_URL to a PostgreSQL server where the harness may"
            " create databases."
        )


@dataclass
class Context:
    """What a section gets: the data set's size, its database URL, the
    Django-configured connection, and sample users by role."""

    n: int
    database_url: str
    env: dict[str, str]
    connection: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def user(self, role: str, index: int = 0):
        """A sample user: "research" (all sites, export right "text"), "admin",
        "mentor", "supervisor" (index picks among several)."""
        from django.contrib.auth.models import User

        if role in ("research", "admin"):
            return User.objects.get(username=f"bench.{role}")
        return User.objects.get(username=f"bench.{role}.{index}")

    def child_env(self) -> dict[str, str]:
        """Environment for a subprocess that sets Django up the same way."""
        return {**os.environ, **self.env}


def _as_postgres(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, **kwargs)


def start_postgres(base: Path) -> str:
    """A PostgreSQL cluster under `base` (created once, kept between runs),
    started on a free loopback port and stopped when the harness exits."""
    data, sock = base / "pgdata", base / "sock"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base, 0o755)  # the postgres user must traverse it
    sock.mkdir(exist_ok=True, mode=0o755)
    if os.geteuid() == 0:
        shutil.chown(sock, "postgres")
    if not (data / "PG_VERSION").exists():
        data.mkdir(mode=0o700, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "postgres")
        _as_postgres(
            [
                str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-E",
                "UTF8", "--no-locale", "--auth-local=trust", "--auth-host=trust",
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    port = server.free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={sock} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c shared_buffers=256MB -c work_mem=64MB -c maintenance_work_mem=256MB "
        "-c max_wal_size=4GB"
    )
    _as_postgres(
        [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(sock / "pg.log"), "-w",
         "-t", "60", "-o", options, "start"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip

    def stop() -> None:
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    atexit.register(stop)
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def _ensure_history_admin_role(admin_url: str) -> None:
    """As a superuser (the harness's own cluster), create the history admin
    role the append-only trigger asks for (audit.triggers) if the cluster has
    none: a superuser is a member of every role that exists. Another role
    (DATABASE_URL) must have been made a member by an administrator."""
    import psycopg

    from audit.triggers import HISTORY_ADMIN_ROLE

    with psycopg.connect(admin_url, autocommit=True) as conn:
        superuser, exists = conn.execute(
            "SELECT rolsuper, to_regrole(%s) IS NOT NULL FROM pg_roles"
            " WHERE rolname = current_user",
            [HISTORY_ADMIN_ROLE],
        ).fetchone()
        if superuser and not exists:
            conn.execute(f"CREATE ROLE {HISTORY_ADMIN_ROLE} NOLOGIN")


def _ensure_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def setup_django(database_url: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "0",  # DEBUG would keep every query in memory
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "0123456789abcdef" * 3,
        "PEERLOG_EXPORT_KEY": "bench-only-export-key-" + "fedcba9876543210" * 3,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    return env


def _pairs(compare: str | None, n: int | None) -> list[tuple[int, int]]:
    if compare:
        try:
            a, b = (int(part) for part in compare.split(","))
        except ValueError:
            sys.exit(f"bench: --compare wants two sizes, like 10000,1000000: {compare}")
        return [(a, b)]
    if n is None:
        return []
    return [(n, other) for other in sizes_on_file() if other != n]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", type=int, default=None, help="data set size (10000)")
    parser.add_argument(
        "--only", action="append", default=[], help="section(s), e.g. export"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument(
        "--compare",
        metavar="A,B",
        help="compare the *_queries figures on file for these two sizes (default:"
        " this run's size against any other on file); alone, runs nothing",
    )
    parser.add_argument(
        "--keep-rows",
        action="store_true",
        help="keep the rows the sections wrote (normally deleted at the end)",
    )
    args = parser.parse_args(argv)
    only = [name for value in args.only for name in value.split(",") if name]
    if args.compare and args.logs is None and not only:
        ((a, b),) = _pairs(args.compare, None)
        found = queries_compare(a, b)
        return 0 if found == [] else 1  # nothing on file for a size fails too
    n = args.logs if args.logs is not None else 10_000
    pairs = _pairs(args.compare, n)  # a bad --compare fails before the run
    sections = only or [s for s in SECTIONS if (BENCH / f"{s}.py").exists()]
    # A section is a bench/<name>.py with a run(ctx); helpers (mix.py) are not.
    unknown = [
        s
        for s in sections
        if not (BENCH / f"{s}.py").exists()
        or "\ndef run(ctx" not in (BENCH / f"{s}.py").read_text()
    ]
    if unknown:
        sys.exit(f"bench: no such section: {', '.join(unknown)} (have {SECTIONS})")

    started = time.time()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        check_pg_bin()
        base = Path(os.environ.get("PEERLOG_BENCH_DIR", "/var/tmp/peerlog-bench"))
        admin_url = start_postgres(base)
    name = os.environ.get("PEERLOG_BENCH_DATABASE") or f"peerlog_bench_{n}"
    url = _ensure_database(admin_url, name)
    env = setup_django(url)
    _ensure_history_admin_role(admin_url)

    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(BENCH))
    import dataset

    call_command("migrate", verbosity=0)
    # DEBUG is off here, so pages need the hashed static files' manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    ctx = Context(n=n, database_url=url, env=env, connection=connection)
    built = dataset.ensure(ctx, rebuild=args.rebuild)
    print(f"# data set: {n} logs ({built})", flush=True)

    snapshot = rows_snapshot(connection)
    figures: list[tuple[str, float, str]] = []
    by_section: dict[str, list[tuple[str, float, str]]] = {}
    runs: dict[str, dict[str, Any]] = {}
    try:
        for name in sections:
            began = time.time()
            module = importlib.import_module(name)
            by_section[name] = []
            for figure in module.run(ctx):
                figures.append(figure)
                by_section[name].append(figure)
                print(f"{figure[0]}: {figure[1]:g} {figure[2]}", flush=True)
            runs[name] = {
                "started_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%S%z", time.localtime(began)
                ),
                "seconds": round(time.time() - began, 1),
            }
    finally:
        if not args.keep_rows:
            removed = rows_remove_since(connection, snapshot)
            print(f"# removed {removed} rows the sections wrote", flush=True)

    RESULTS.mkdir(parents=True, exist_ok=True)
    results_merge(n, runs, by_section)
    compared = {f"{a}-{b}": queries_compare(a, b) for a, b in pairs}
    mismatches = {pair: found for pair, found in compared.items() if found}
    # An explicit --compare of a size with nothing on file is a failure too.
    missing = args.compare is not None and None in compared.values()
    payload = {
        "logs": n,
        "sections": sections,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": machine(),
        "figures": {
            name: {"value": value, "unit": unit} for name, value, unit in figures
        },
        "queries_mismatch": mismatches,
    }
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if mismatches or missing else 0


if __name__ == "__main__":
    ensure_venv()  # before anything outside the standard library is imported
    sys.exit(main())

"""Peerlog benchmark harness.

    python bench/run.py [--logs N] [--only export[,pages,...]] [--rebuild]

Starts a throwaway PostgreSQL 15 on loopback (or uses DATABASE_URL), builds or
reuses a data set of N logs in its own database (bench/dataset.py, set-based
SQL), then runs each section module bench/<name>.py, whose `run(ctx)` returns
[(name, value, unit), ...]. Prints one `name: value unit` line per figure and
writes bench/results/latest.json.

The cluster's files live in $PEERLOG_BENCH_DIR (default /var/tmp/peerlog-bench),
so a second run with the same N reuses the data set (building 1,000,000 logs
takes a few minutes)."""

from __future__ import annotations

import argparse
import atexit
import importlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
# Every bench/<name>.py with a run(ctx), in this order when --only is not given.
SECTIONS = ["pages", "export", "digest", "load"]


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    port = _free_port()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logs", type=int, default=10_000)
    parser.add_argument(
        "--only", action="append", default=[], help="section(s), e.g. export"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    args = parser.parse_args(argv)
    only = [name for value in args.only for name in value.split(",") if name]
    sections = only or [s for s in SECTIONS if (BENCH / f"{s}.py").exists()]

    started = time.time()
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        base = Path(os.environ.get("PEERLOG_BENCH_DIR", "/var/tmp/peerlog-bench"))
        admin_url = start_postgres(base)
    url = _ensure_database(admin_url, f"peerlog_bench_{args.logs}")
    env = setup_django(url)

    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(BENCH))
    import dataset

    call_command("migrate", verbosity=0)
    # DEBUG is off here, so pages need the hashed static files' manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    ctx = Context(n=args.logs, database_url=url, env=env, connection=connection)
    built = dataset.ensure(ctx, rebuild=args.rebuild)
    print(f"# data set: {args.logs} logs ({built})", flush=True)

    figures: list[tuple[str, float, str]] = []
    for name in sections:
        module = importlib.import_module(name)
        for figure in module.run(ctx):
            figures.append(figure)
            print(f"{figure[0]}: {figure[1]:g} {figure[2]}", flush=True)

    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    payload = {
        "logs": args.logs,
        "sections": sections,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 1),
        "machine": machine(),
        "figures": {
            name: {"value": value, "unit": unit} for name, value, unit in figures
        },
    }
    (results / "latest.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

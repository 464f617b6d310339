"""Prove that moving models between apps keeps a database intact (issue 12):
AuditEvent and DataChange moved from logs_app to audit, ExportRight and
ExportJob to exports, Notification and NotificationPreference to
notifications, all by migration state only (`SeparateDatabaseAndState`,
`db_table` kept).

On the PostgreSQL server of DATABASE_URL this script
1. creates a database and migrates it with the code of BEFORE (the last commit
   before the move, checked out in a temporary git worktree), fills it with the
   demo program (`seed_demo`) plus a row in every moved table it leaves empty;
2. reads every table (each row's text, hashed per table), migrates the same
   database with this checkout's code, and reads again: every row must be
   unchanged (the content-type rows of the moved models only change their
   app label);
3. checks the moved models' content types were renamed (same ids, so admin
   history and permissions keep pointing at them), the append-only triggers
   are still there and still refuse DELETE, TRUNCATE and UPDATE to a role that
   is not a member of the history admin role (the role tests/audit/
   test_audit.py uses, `peerlog_test_app`), and the history trigger still
   records a change;
4. drops the database and the worktree again.

    DATABASE_URL=postgres://peerlog:...@127.0.0.1:5432/peerlog \\
        .venv/bin/python scripts/model_move_check.py

The role of DATABASE_URL needs CREATEDB and must be able to SET ROLE to the
app role (.ci/run, step c, sets both up). Exit status 0 when all holds."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# The last commit before issue 12 moved any table out of logs_app.
BEFORE = "d41482be504f7edcbb4ebf785f49fa75d77fbb49"
# Each moved model's table (unchanged) and the app that owns it now.
MOVED = {
    "auditevent": ("logs_app_auditevent", "audit"),
    "datachange": ("logs_app_datachange", "audit"),
    "exportright": ("logs_app_exportright", "exports"),
    "exportjob": ("logs_app_exportjob", "exports"),
    "notification": ("logs_app_notification", "notifications"),
    "notificationpreference": ("logs_app_notificationpreference", "notifications"),
}
MOVED_TABLES = tuple(table for table, _app in MOVED.values())
APPEND_ONLY_TABLES = ("logs_app_auditevent", "logs_app_datachange")
APPEND_ONLY_TABLES += ("logs_app_logrevision",)
APP_ROLE = "peerlog_test_app"

# Rows the demo program does not write, through the old code: an audit event,
# a history row (by changing a log), an export job, a notification and a
# preference, so that no moved table is empty.
BEFORE_ROWS = """
from django.contrib.auth import get_user_model
from django.utils import timezone
from logs_app.models import InteractionLog, Notification, NotificationPreference
from logs_app.models_export import ExportJob
from logs_app.services import audit_record
audit_record(action="move_check.before")
log = InteractionLog.objects.order_by("pk").first()
InteractionLog.objects.filter(pk=log.pk).update(place="move check")
user = get_user_model().objects.order_by("pk").first()
now = timezone.now()
ExportJob.objects.create(
    requested_by=user, created_at=now, level="coded", format="csv",
    delivery="job", status="queued", filters={"move": "check"},
)
Notification.objects.create(
    kind="reminder", recipient=user, email="move@example.org", period="2026-W47",
    payload={"move": "check"}, due_at=now, next_attempt_at=now,
)
NotificationPreference.objects.get_or_create(user=user)
"""


def fail(message: str) -> None:
    print(f"FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def manage(cwd: Path, url: str, *args: str) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CI", "CELERY_BROKER_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    command = [sys.executable, "manage.py", *args]
    print(f"--- [{cwd.name}] manage.py {' '.join(args[:2])}", flush=True)
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)


# Tables whose rows a migration may rightly change: the migration ledger, and
# the content types (the moved models' rows change app label; checked apart).
LEDGERS = ("django_migrations", "django_content_type")


def table_columns(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Every table's columns, in order (the migration ledgers left out)."""
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
    ):
        if table not in LEDGERS:
            columns.setdefault(table, []).append(column)
    return columns


def table_rows(
    conn: psycopg.Connection,
    columns: dict[str, list[str]],
    upto: dict[str, int] | None = None,
) -> dict[str, tuple[int, str]]:
    """Each table's row count and the MD5 of its rows' text, sorted, over the
    given columns: those the table had before the move, so a later migration
    that adds a table or a column (issue 14 did both) does not hide or fake a
    change to what was there. With `upto`, only a table's rows with an id up
    to the one given (the rows that were there before: adding a model adds
    its permission rows, which is no change to the old ones)."""
    upto = upto or {}
    query = (
        "SELECT count(*),"
        " md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), ''))"
        " FROM (SELECT {} FROM {} WHERE {}) r"
    )
    rows = {}
    for table, names in columns.items():
        where = (
            sql.SQL("id <= {}").format(sql.Literal(upto[table]))
            if table in upto
            else sql.SQL("true")
        )
        rows[table] = tuple(
            conn.execute(
                sql.SQL(query).format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in names),
                    sql.Identifier(table),
                    where,
                )
            ).fetchone()
        )
    return rows


def last_ids(conn: psycopg.Connection, columns: dict[str, list[str]]) -> dict:
    """The highest id of each table that has an `id` column (0 when empty)."""
    return {
        table: conn.execute(
            sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
        ).fetchone()[0]
        for table, names in columns.items()
        if "id" in names
    }


def content_types(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    rows = conn.execute(
        "SELECT model, id, app_label FROM django_content_type WHERE model = ANY(%s)",
        [list(MOVED)],
    ).fetchall()
    return {model: (pk, label) for model, pk, label in rows}


def refused(conn: psycopg.Connection, statement: str, setting: str = "") -> bool:
    """Whether `statement` raises, run as APP_ROLE in a rolled-back transaction."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(APP_ROLE)))
            if setting:
                conn.execute("SELECT set_config(%s, 'on', true)", [setting])
            conn.execute(statement)
    except psycopg.errors.RaiseException as error:
        return "append-only" in str(error)
    return False


def check_after(conn: psycopg.Connection) -> None:
    triggers = {
        (table, name)
        for table, name in conn.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
    }
    for table in APPEND_ONLY_TABLES:
        for name in ("peerlog_append_only", "peerlog_append_only_truncate"):
            if (table, name) not in triggers:
                fail(f"trigger {name} missing on {table}")
    (member,) = conn.execute(
        "SELECT to_regrole(%s) IS NOT NULL AND pg_has_role(current_user, %s, 'MEMBER')"
        " AND NOT pg_has_role(%s, 'peerlog_history_admin', 'MEMBER')",
        [APP_ROLE, APP_ROLE, APP_ROLE],
    ).fetchone()
    if not member:
        fail(f"needs role {APP_ROLE}, usable here, not a history admin (.ci/run c)")
    tables = sql.SQL(", ").join(sql.Identifier(t) for t in APPEND_ONLY_TABLES)
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {} TO {}").format(
            tables, sql.Identifier(APP_ROLE)
        )
    )
    try:
        for table in APPEND_ONLY_TABLES:
            name = sql.Identifier(table)
            checks = {
                "DELETE": sql.SQL("DELETE FROM {}").format(name),
                "TRUNCATE": sql.SQL("TRUNCATE {}").format(name),
                "UPDATE": sql.SQL("UPDATE {} SET id = id").format(name),
            }
            for operation, statement in checks.items():
                setting = {
                    "DELETE": "peerlog.allow_purge",
                    "TRUNCATE": "peerlog.allow_truncate",
                }.get(operation, "")
                if not refused(conn, statement, setting):
                    fail(f"{operation} of {table} was not refused to {APP_ROLE}")
            print(f"ok: {table} refuses DELETE, TRUNCATE, UPDATE to {APP_ROLE}")
    finally:
        conn.execute(
            sql.SQL(
                "REVOKE SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {} FROM {}"
            ).format(tables, sql.Identifier(APP_ROLE))
        )
    with conn.transaction(force_rollback=True):
        (before,) = conn.execute("SELECT count(*) FROM logs_app_datachange").fetchone()
        conn.execute(
            "UPDATE logs_app_interactionlog SET place = 'after the move'"
            " WHERE id = (SELECT min(id) FROM logs_app_interactionlog)"
        )
        (after,) = conn.execute("SELECT count(*) FROM logs_app_datachange").fetchone()
        if after != before + 1:
            fail("the history trigger did not record a change after the move")
    print("ok: the history trigger still writes to logs_app_datachange")


def has_commit(commit: str) -> bool:
    return (
        subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
        ).returncode
        == 0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="commit before the move")
    parser.add_argument(
        "--database",
        default=os.environ.get("PEERLOG_MOVE_CHECK_DATABASE", "peerlog_move_check"),
    )
    options = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith(("postgres://", "postgresql://")):
        fail("set DATABASE_URL to a PostgreSQL server (any database on it)")
    url = with_database(server_url, options.database)
    name = sql.Identifier(options.database)
    if not has_commit(options.before):
        # A shallow clone lacks the history; fetch it once if a remote has it.
        subprocess.run(["git", "fetch", "--quiet", "--unshallow"], cwd=ROOT)
    if not has_commit(options.before):
        print(
            f"SKIPPED: commit {options.before[:12]} is not in this clone, so the "
            "database before the move cannot be built (clone with history)."
        )
        return

    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
    with tempfile.TemporaryDirectory(prefix="peerlog-move-check-") as tmp:
        before_tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "worktree", "add", "--quiet", "--detach", str(before_tree)]
            + [options.before],
            cwd=ROOT,
            check=True,
        )
        try:
            manage(before_tree, url, "migrate", "--no-input")
            manage(before_tree, url, "seed_demo")
            manage(before_tree, url, "shell", "-c", BEFORE_ROWS)
            with psycopg.connect(url, autocommit=True) as conn:
                columns_before = table_columns(conn)
                ids_before = last_ids(conn, columns_before)
                rows_before = table_rows(conn, columns_before, ids_before)
                types_before = content_types(conn)
            for table in MOVED_TABLES:
                if not rows_before[table][0]:
                    fail(f"{table} is empty before the move: nothing proved")
            manage(ROOT, url, "migrate", "--no-input")
            with psycopg.connect(url, autocommit=True) as conn:
                columns_after = table_columns(conn)
                missing = set(columns_before) - set(columns_after)
                if missing:
                    fail(f"tables gone after the migration: {sorted(missing)}")
                rows_after = table_rows(conn, columns_before, ids_before)
                grown = {
                    table: n - ids_before[table]
                    for table, n in last_ids(conn, columns_before).items()
                    if n > ids_before[table]
                }
                print(f"rows added since (new ids): {grown or 'none'}")
                types_after = content_types(conn)
                added = sorted(set(columns_after) - set(columns_before))
                print(f"tables added since: {', '.join(added) or 'none'}")
                if rows_after != rows_before:
                    changed = {
                        table: (rows_before.get(table), rows_after.get(table))
                        for table in set(rows_before) | set(rows_after)
                        if rows_before.get(table) != rows_after.get(table)
                    }
                    fail(f"rows changed (count, md5 before; after): {changed}")
                print(
                    f"ok: {len(rows_after)} tables,"
                    f" {sum(n for n, _ in rows_after.values())} rows unchanged"
                    " to the byte; "
                    + ", ".join(f"{t} {rows_after[t][0]}" for t in MOVED_TABLES)
                )
                for model, (_table, app) in MOVED.items():
                    if types_before.get(model, (None,))[0] != types_after[model][0]:
                        fail(f"content type of {model} changed id")
                    if types_after[model][1] != app:
                        fail(f"content type of {model} is {types_after[model]}")
                print("ok: content types renamed to their new apps, ids kept")
                check_after(conn)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(before_tree)],
                cwd=ROOT,
                check=False,
            )
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name)
                )
    print("model move check passed")


if __name__ == "__main__":
    main()

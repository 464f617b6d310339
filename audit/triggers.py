"""The database triggers that keep history and make it append-only (AUD-2,
AUD-3, AUD-6), and the grants the README recommends for the app's role.

Installed by logs_app's migration 0006 and again after every `migrate`
(audit.apps: SQLite rebuilds a table, and drops its triggers, when a
later migration alters it):
- history (AUD-2), PostgreSQL and SQLite: every UPDATE/DELETE of a log,
  participant, assignment or mentor, and every change of a rights table, writes
  a DataChange row with the whole row before and after. PostgreSQL also
  records the database role and the app user and request id that the service
  set for the transaction (`db_actor_set`); SQLite has no session variables, so
  there those are empty.
- append-only (AUD-3, AUD-6), PostgreSQL only: UPDATE, DELETE and TRUNCATE
  of the audit, history and log-revision tables raise. Two transaction
  settings open narrow doors, but only for members of HISTORY_ADMIN_ROLE (a
  NOLOGIN role; no role can make itself a member): `peerlog.allow_truncate`
  (the test settings set it per connection, so Django's flush between
  transactional tests works) and `peerlog.allow_purge` (DELETE only;
  `history_purge_allowed()` sets it for the demo's `seed_demo --reset` and
  the benchmark). UPDATE is refused always. `app_role_grants_sql()` gives the
  grants the README recommends for the app's own role."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

# The database role whose members may lift the append-only rule (AUD-6). A
# NOLOGIN role an administrator creates; the app's own role is never a member
# (README, "Audit trail"). Roles are per cluster, so one name for every database.
HISTORY_ADMIN_ROLE = "peerlog_history_admin"


class HistoryPurgeRefused(PermissionError):
    """This connection's database role may not delete audit or history rows."""


def history_purge_permitted(using: str = "default") -> bool:
    """Whether this connection's current role is a member of HISTORY_ADMIN_ROLE
    (superusers are members of every role), as the append-only trigger checks.
    Always true where there are no append-only triggers (SQLite)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return True
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN to_regrole(%s) IS NULL THEN false"
            " ELSE pg_has_role(current_user, %s, 'MEMBER') END",
            [HISTORY_ADMIN_ROLE, HISTORY_ADMIN_ROLE],
        )
        return bool(cursor.fetchone()[0])


@contextmanager
def history_purge_allowed(*, truncate: bool = False) -> Iterator[None]:
    """Let this transaction DELETE (and with `truncate`, TRUNCATE) audit,
    history and revision rows on PostgreSQL: it asks for the door with
    `peerlog.allow_purge` / `peerlog.allow_truncate`, which the trigger opens
    only for members of HISTORY_ADMIN_ROLE (AUD-6); anyone else gets
    HistoryPurgeRefused here, before anything is deleted. The door shuts again
    when the block ends, even inside a longer transaction. For wiping the demo
    program (`seed_demo --reset`) and the benchmark's rows; never used by the
    app's pages."""
    settings = ["peerlog.allow_purge"] + (
        ["peerlog.allow_truncate"] if truncate else []
    )
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        if not history_purge_permitted():
            raise HistoryPurgeRefused(
                "deleting audit or history rows needs a database role that is"
                f" a member of {HISTORY_ADMIN_ROLE} (README, Audit trail)"
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT "
                + ", ".join(f"current_setting('{name}', true)" for name in settings)
            )
            before = cursor.fetchone()
            cursor.execute(
                "SELECT "
                + ", ".join(f"set_config('{name}', 'on', true)" for name in settings)
            )
        yield
        # (After an error the savepoint's rollback restores them.)
        with connection.cursor() as cursor:
            for name, value in zip(settings, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, true)", [name, value or ""])


def app_role_grants_sql(role: str, schema: str = "public") -> list[str]:
    """The privileges the README recommends for the role the app runs as, given
    by the role that owns the tables (after every `migrate`): read and write
    the app's tables, but only read and append the audit, history and
    revision tables. tests/audit/test_audit.py applies exactly these."""
    append_only = ", ".join(APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema}"
        f" TO {role};",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {append_only} FROM {role};",
    ]


# --- triggers
# table → (operations recorded, columns whose values are never copied)
HISTORY_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "logs_app_interactionlog": (("UPDATE", "DELETE"), ()),
    "participants_participant": (("UPDATE", "DELETE"), ("preferred_name",)),
    "mentors_assignment": (("UPDATE", "DELETE"), ()),
    "mentors_mentor": (("UPDATE", "DELETE"), ()),
    # Follow-up items: every change of owner, state, due time or escalation.
    "supervision_followupitem": (("UPDATE", "DELETE"), ()),
    # Rights: who may see which site, which role, which export level.
    "mentors_mentor_sites": (("INSERT", "UPDATE", "DELETE"), ()),
    "participants_siteaccess": (("INSERT", "UPDATE", "DELETE"), ()),
    "auth_user_groups": (("INSERT", "UPDATE", "DELETE"), ()),
    "logs_app_exportright": (("INSERT", "UPDATE", "DELETE"), ()),
    "analysis_analysisright": (("INSERT", "UPDATE", "DELETE"), ()),
}
APPEND_ONLY_TABLES = (
    "logs_app_auditevent",
    "logs_app_datachange",
    "logs_app_logrevision",
)
HISTORY_TABLE = "logs_app_datachange"

_PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION peerlog_history() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    old_row jsonb;
    new_row jsonb;
    col text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN old_row := to_jsonb(OLD); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN new_row := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    IF TG_NARGS > 0 THEN
        FOREACH col IN ARRAY TG_ARGV LOOP
            IF old_row IS NOT NULL THEN
                old_row := jsonb_set(old_row, ARRAY[col], '"[redacted]"');
            END IF;
            IF new_row IS NOT NULL THEN
                new_row := jsonb_set(
                    new_row, ARRAY[col],
                    CASE WHEN TG_OP = 'UPDATE'
                              AND to_jsonb(OLD) -> col
                                  IS DISTINCT FROM to_jsonb(NEW) -> col
                         THEN '"[changed]"'::jsonb ELSE '"[redacted]"'::jsonb END);
            END IF;
        END LOOP;
    END IF;
    INSERT INTO logs_app_datachange
        (table_name, row_id, operation, changed_at, old_values, new_values,
         db_user, actor_id, request_id)
    VALUES (
        TG_TABLE_NAME,
        COALESCE(new_row ->> 'id', old_row ->> 'id'),
        TG_OP,
        clock_timestamp(),
        old_row,
        new_row,
        current_user,
        NULLIF(current_setting('peerlog.actor_id', true), '')::bigint,
        NULLIF(current_setting('peerlog.request_id', true), '')::uuid
    );
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION peerlog_append_only() RETURNS trigger
LANGUAGE plpgsql
-- Nothing the caller puts on its search_path may stand in for these builtins.
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    -- The doors open only for a member of the history admin role (which no
    -- role can grant itself) that asks for them in its transaction: any role
    -- may set a custom setting, so the setting alone says nothing (AUD-6).
    IF TG_OP IN ('TRUNCATE', 'DELETE')
       AND to_regrole('{admin}') IS NOT NULL THEN
        IF pg_has_role(current_user, '{admin}', 'MEMBER') THEN
            IF TG_OP = 'TRUNCATE'
               AND current_setting('peerlog.allow_truncate', true) = 'on' THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'DELETE'
               AND current_setting('peerlog.allow_purge', true) = 'on' THEN
                RETURN OLD;
            END IF;
        END IF;
    END IF;
    RAISE EXCEPTION 'peerlog: % is append-only; % refused', TG_TABLE_NAME, TG_OP
        USING HINT = 'Only a member of {admin} may delete or truncate it, '
            || 'after setting peerlog.allow_purge or peerlog.allow_truncate '
            || 'for the transaction.';
END
$fn$;
""".replace("{admin}", HISTORY_ADMIN_ROLE)


def _pg_statements(tables: set[str]) -> list[str]:
    statements = [_PG_FUNCTIONS]
    for table, (operations, redacted) in HISTORY_TABLES.items():
        if table not in tables:
            continue
        args = ", ".join(f"'{column}'" for column in redacted)
        statements += [
            f'DROP TRIGGER IF EXISTS peerlog_history ON "{table}"',
            f"CREATE TRIGGER peerlog_history AFTER {' OR '.join(operations)} "
            f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION peerlog_history({args})',
        ]
    for table in APPEND_ONLY_TABLES:
        statements += [
            f'DROP TRIGGER IF EXISTS peerlog_append_only ON "{table}"',
            f'DROP TRIGGER IF EXISTS peerlog_append_only_truncate ON "{table}"',
            f"CREATE TRIGGER peerlog_append_only BEFORE UPDATE OR DELETE "
            f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION peerlog_append_only()',
            f"CREATE TRIGGER peerlog_append_only_truncate BEFORE TRUNCATE "
            f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION peerlog_append_only()',
        ]
    return statements


def _sqlite_row(alias: str, columns: list[str], redacted: tuple[str, ...], op: str):
    parts = []
    for column in columns:
        if column in redacted:
            value = "'[redacted]'"
            if alias == "NEW" and op == "UPDATE":
                value = (
                    f'CASE WHEN OLD."{column}" IS NOT NEW."{column}" '
                    "THEN '[changed]' ELSE '[redacted]' END"
                )
        else:
            value = f'{alias}."{column}"'
        parts.append(f"'{column}', {value}")
    return f"json_object({', '.join(parts)})"


def _sqlite_statements(cursor, tables: set[str]) -> list[str]:
    statements = []
    for table, (operations, redacted) in HISTORY_TABLES.items():
        for op in ("INSERT", "UPDATE", "DELETE"):
            statements.append(f'DROP TRIGGER IF EXISTS "peerlog_history_{table}_{op}"')
        if table not in tables:
            continue
        columns = [
            col.name
            for col in connection.introspection.get_table_description(cursor, table)
        ]
        for op in operations:
            old = (
                _sqlite_row("OLD", columns, redacted, op) if op != "INSERT" else "NULL"
            )
            new = (
                _sqlite_row("NEW", columns, redacted, op) if op != "DELETE" else "NULL"
            )
            row = "NEW" if op == "INSERT" else "OLD"
            statements.append(
                f'CREATE TRIGGER "peerlog_history_{table}_{op}" AFTER {op} '
                f'ON "{table}" FOR EACH ROW BEGIN '
                f'INSERT INTO "{HISTORY_TABLE}" (table_name, row_id, operation, '
                "changed_at, old_values, new_values, db_user, actor_id, request_id) "
                f"VALUES ('{table}', CAST({row}.\"id\" AS TEXT), '{op}', "
                "strftime('%Y-%m-%d %H:%M:%f', 'now'), "
                f"{old}, {new}, '', NULL, NULL); END"
            )
    return statements


def history_admin_role_ensure(
    using: str = "default", role: str = HISTORY_ADMIN_ROLE
) -> None:
    """Create HISTORY_ADMIN_ROLE (NOLOGIN, no privileges of its own) when it is
    missing and the migrating role may create roles, so `seed_demo --reset`
    works on a stack whose role is a superuser (docker-compose.yml). A role with
    only CREATEROLE does not become a member by creating it (PostgreSQL 15);
    where the migrating role may not create roles, a DBA creates it (README)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT to_regrole(%s) IS NULL AND (rolsuper OR rolcreaterole)"
            " FROM pg_roles WHERE rolname = current_user",
            [role],
        )
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute(f"CREATE ROLE {role} NOLOGIN")


def triggers_install(using: str = "default") -> None:
    """(Re)create the history and append-only triggers. Idempotent."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor not in ("postgresql", "sqlite"):
        return
    with conn.cursor() as cursor:
        tables = set(conn.introspection.table_names(cursor))
        if HISTORY_TABLE not in tables:
            return  # before migration 0006
        if conn.vendor == "postgresql":
            statements = _pg_statements(tables)
        else:
            statements = _sqlite_statements(cursor, tables)
        for statement in statements:
            cursor.execute(statement)

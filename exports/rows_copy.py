"""The PostgreSQL row source: the database writes the CSV itself (`COPY (SELECT
...) TO STDOUT`, options aggregated in SQL, formula neutralisation in SQL) and
Python only passes the rows through. The scope is the scoped queryset's own SQL,
so `visible_to` stays the one definition."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import Max, QuerySet

from exports.column_types import TIMESTAMPS, Column, nz_sql
from exports.options import OptionList
from exports.pseudonyms import pseudonym_map
from logs_app.models import InteractionLog
from mentors.models import Mentor
from participants.models import Cohort, Participant, Site


def use_copy(sets: list[OptionList]) -> bool:
    """PostgreSQL builds the rows, unless an option list outgrows the 63 bits
    of the one-hot mask (then the Python path does it)."""
    return connection.vendor == "postgresql" and all(
        len(options.options) <= 63 for options in sets
    )


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def pseudonym_arrays() -> tuple[list[int], list[str], list[int], list[str]]:
    """Every participant's and mentor's pseudonym. All of them, even for a
    small export: limited to the people in the logs, a log whose participant
    was corrected between that query and the COPY would silently drop out of
    the file (the COPY joins on these arrays)."""
    participants = pseudonym_map("P", Participant.objects.values_list("pk", flat=True))
    mentors = pseudonym_map("M", Mentor.objects.values_list("pk", flat=True))
    return (
        list(participants),
        list(participants.values()),
        list(mentors),
        list(mentors.values()),
    )


def _statement_rows(column: str, ids: bool) -> str:
    """The condition that keeps `column` to the statement's logs: the id range
    %(lo)s to %(hi)s, or with `ids` (a small export, an API page) exactly
    %(ids)s. Not both: the planner multiplies the two selectivities, expects
    one row where there are hundreds and picks nested loops over the
    pseudonym arrays (a 500-row page took 60 ms instead of 25)."""
    if ids:
        return f"{column} = ANY(%(ids)s::bigint[])"
    return f"{column} >= %(lo)s AND {column} < %(hi)s"


def _scope_in(logs: QuerySet[InteractionLog], lo: int, hi: int, ids: bool):
    """The scope's SQL and parameters, to the statement's id range unless the
    statement names its ids (see _statement_rows)."""
    return _named(*_scope_sql(logs if ids else logs.filter(pk__gte=lo, pk__lt=hi)))


def _from_sql(
    sets: list[OptionList], *, scope: str, wide: bool, ids: bool = False
) -> str:
    """FROM clause of the wide and long queries. Few relations at the top, so
    the planner searches every join order (no GEQO): the scoped logs (`l`, with
    each timestamp converted once to local and UTC time), participants with
    site, cohort and pseudonym (`p`), mentors with pseudonym (`m`), and for the
    wide file one aggregate of option masks over all three lists (`opt`) with
    the code lists looked up by mask. Placeholders: ours, and %(lo)s and
    %(hi)s, or with `ids` %(ids)s instead: the statement's exact log ids (a
    small export, an API page), so the logs and their option links are looked
    up by id instead of reading every link in the id range."""
    times = "".join(
        f", l.{name} AT TIME ZONE s.time_zone AS {name}_local,"
        f" l.{name} AT TIME ZONE 'UTC' AS {name}_utc"
        for name in TIMESTAMPS
    )
    parts = [
        f"FROM (SELECT l.*{times if wide else ''}"
        f" FROM {_q(InteractionLog._meta.db_table)} l"
        f" JOIN {_q(Participant._meta.db_table)} p ON p.id = l.participant_id"
        f" JOIN {_q(Site._meta.db_table)} s ON s.id = p.site_id"
        f" WHERE {_statement_rows('l.id', ids)} AND l.id IN ({scope})"
        " OFFSET 0) l",
        "JOIN (SELECT p.id, p.status, p.study_id, p.preferred_name,"
        " s.code AS site_code, s.time_zone, c.name AS cohort_name, pp.code AS pcode"
        f" FROM {_q(Participant._meta.db_table)} p"
        f" JOIN {_q(Site._meta.db_table)} s ON s.id = p.site_id"
        f" LEFT JOIN {_q(Cohort._meta.db_table)} c ON c.id = p.cohort_id"
        " JOIN unnest(%(p_ids)s::bigint[], %(p_codes)s::text[]) AS pp(id, code)"
        " ON pp.id = p.id) p ON p.id = l.participant_id",
        "JOIN (SELECT m.id, m.reflections_consent_at, mp.code AS mcode"
        f" FROM {_q(Mentor._meta.db_table)} m"
        " JOIN unnest(%(m_ids)s::bigint[], %(m_codes)s::text[]) AS mp(id, code)"
        " ON mp.id = m.id) m ON m.id = l.mentor_id",
    ]
    if not wide:
        return " ".join(parts)
    chosen = " UNION ALL ".join(
        f"SELECT x.interactionlog_id AS log_id, {k} AS k, (1::bigint << b.bit) AS bit"
        f" FROM {_q(o.through._meta.db_table)} x"
        f" JOIN unnest(%({o.key}_ids)s::bigint[], %({o.key}_bits)s::int[])"
        f" AS b(id, bit) ON b.id = x.{o.through_fk}"
        f" WHERE {_statement_rows('x.interactionlog_id', ids)}"
        for k, o in enumerate(sets)
    )
    masks = ", ".join(
        f"bit_or(u.bit) FILTER (WHERE u.k = {k}) AS {o.key}_mask"
        for k, o in enumerate(sets)
    )
    parts.append(
        f"LEFT JOIN (SELECT u.log_id, {masks} FROM ({chosen}) u GROUP BY u.log_id)"
        " opt ON opt.log_id = l.id"
    )
    return " ".join(parts)


def _scope_sql(logs: QuerySet[InteractionLog]) -> tuple[str, tuple]:
    """The scoped queryset's ids as SQL, so visible_to stays the one definition."""
    return logs.order_by().values("pk").query.sql_with_params()


def _named(sql: str, params: tuple) -> tuple[str, dict[str, Any]]:
    """Positional %s params of Django's SQL as named ones, to mix with ours."""
    names = {}
    for index, value in enumerate(params):
        names[f"s{index}"] = value
    counter = iter(range(len(params)))
    sql = sql.replace("%%", "\0")
    sql = re.sub(r"%s", lambda _m: f"%(s{next(counter)})s", sql)
    return sql.replace("\0", "%%"), names


def copy_statement(
    *,
    logs: QuerySet[InteractionLog],
    columns: list[Column],
    sets: list[OptionList],
    lo: int,
    hi: int,
    arrays: tuple | None = None,
    ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """`COPY (SELECT ...) TO STDOUT` for the wide file, logs with lo <= id < hi
    (and, given `ids`, only those)."""
    select = ", ".join(f"{c.sql} AS {_q(c.name)}" for c in columns)
    sql, params = wide_select(
        logs=logs, select=select, sets=sets, lo=lo, hi=hi, arrays=arrays, ids=ids
    )
    return f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params


def wide_select(
    *,
    logs: QuerySet[InteractionLog],
    select: str,
    sets: list[OptionList],
    lo: int,
    hi: int,
    arrays: tuple | None = None,
    ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """`SELECT {select} ... ORDER BY l.id` over the wide file's relations (the
    scoped logs `l`, participants `p`, mentors `m`, option masks `opt`): the
    COPY statement's query, and the JSON page's (exports.rows_json)."""
    scope, params = _scope_in(logs, lo, hi, ids is not None)
    from_sql = _from_sql(sets, scope=scope, wide=True, ids=ids is not None)
    params.update(_common_params(sets, lo, hi, arrays, ids))
    return f"SELECT {select} {from_sql} ORDER BY l.id", params


_ARRAY_SAFE = re.compile(r"[0-9A-Z-]*").fullmatch


def _array(values: list) -> str:
    """Log ids, people's ids or pseudonyms as PostgreSQL's array text, for
    the statement's `::bigint[]` and `::text[]` casts. psycopg would look at
    every element of a list to quote it (3 ms for a page's 1,000 people);
    digits and codes (P-/M- and base32) never need quoting, which is checked."""
    text = ",".join(map(str, values))
    if not _ARRAY_SAFE(text.replace(",", "")):
        raise ValueError("an array element would need quoting")
    return "{" + text + "}"


def _common_params(sets, lo, hi, arrays, ids=None) -> dict[str, Any]:
    p_ids, p_codes, m_ids, m_codes = arrays or pseudonym_arrays()
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "ids": None if ids is None else _array(ids),
        "p_ids": _array(p_ids),
        "p_codes": _array(p_codes),
        "m_ids": _array(m_ids),
        "m_codes": _array(m_codes),
    }
    for options in sets:
        bits = options.bit_of()
        params[f"{options.key}_ids"] = list(bits)
        params[f"{options.key}_bits"] = list(bits.values())
        for bit, code in enumerate(options.codes()):
            params[f"{options.key}_c{bit}"] = code
    return params


def long_copy_statement(
    *,
    logs: QuerySet[InteractionLog],
    sets: list[OptionList],
    lo: int,
    hi: int,
    arrays: tuple | None = None,
    ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    by_ids = ids is not None
    scope, params = _scope_in(logs, lo, hi, by_ids)
    unions = " UNION ALL ".join(
        f"SELECT x.interactionlog_id AS log_id, '{options.key}' AS list, o.code AS code"
        f" FROM {_q(options.through._meta.db_table)} x"
        f" JOIN {_q(options.model._meta.db_table)} o ON o.id = x.{options.through_fk}"
        f" WHERE {_statement_rows('x.interactionlog_id', by_ids)}"
        for options in sets
    )
    sql = (
        "COPY (SELECT l.id, p.pcode, m.mcode, "
        f"{nz_sql('p.site_code')}, to_char(l.contact_date, 'YYYY-MM-DD'),"
        " to_char(l.contact_date, 'IYYY-\"W\"IW'), ch.list, "
        f"{nz_sql('ch.code')} {_from_sql(sets, scope=scope, wide=False, ids=by_ids)}"
        f" JOIN ({unions}) ch ON ch.log_id = l.id"
        ' ORDER BY l.id, ch.list, ch.code COLLATE "C") TO STDOUT WITH (FORMAT csv)'
    )
    params.update(_common_params(sets, lo, hi, arrays, ids))
    return sql, params


COPY_CHUNK_IDS = 200_000


# Up to this many logs, an export is one statement over its exact ids.
SMALL_EXPORT = 20_000


def chunks(
    logs: QuerySet[InteractionLog], step: int | None = None
) -> Iterator[tuple[int, int, list[int] | None]]:
    """The statements of a COPY export as (lo, hi, ids). A small set (a week,
    a cohort) is one statement naming its ids: its logs and option links are
    found by id, wherever they sit in the table (in id ranges a one-week
    export at 1,000,000 logs read every option link of the table: 2 s for
    300 rows). A large set is cut into ranges of `step` ids between its own
    lowest and highest id, so a job can report progress between statements;
    each statement still applies the scope."""
    step = step or COPY_CHUNK_IDS
    ids = list(logs.order_by("pk").values_list("pk", flat=True)[: SMALL_EXPORT + 1])
    if len(ids) <= SMALL_EXPORT:
        if ids:
            yield ids[0], ids[-1] + 1, ids
        return
    bounds = logs.order_by().aggregate(hi=Max("pk"))
    lo = ids[0]
    while lo <= bounds["hi"]:
        yield lo, min(lo + step, bounds["hi"] + 1), None
        lo += step


def copy_rows(statements: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[bytes]:
    """The raw CSV rows PostgreSQL sends, one per message, each ending in LF."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3: COPY binds these client-side
        for sql, params in statements:
            with raw.copy(sql, params) as copy:
                yield from copy

"""The wide file's rows as JSON objects, for one page of logs at a time (the
read API's /logs, issue 16): the same columns, scope and values as the
export's CSV, in JSON's own types (numbers, true/false, null; dates, times
and date-times as ISO 8601 text) and text as typed, not neutralised (JSON is
not a spreadsheet format).

On PostgreSQL the database builds each object (`row_to_json` over the COPY
path's query, exports.rows_copy.wide_select), so Python only joins them; on
SQLite, or where the COPY path steps aside (an option list past 63 codes),
the ORM row source (exports.rows_orm) gives the row dicts and Python
converts them. tests/api/test_logs.py holds both to the export's CSV."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from exports import rows_copy
from exports.column_types import Column
from exports.columns import wide_columns
from exports.options import OptionList
from exports.pseudonyms import pseudonym_map
from exports.rows_orm import rows_for_ids
from logs_app.models import InteractionLog


# --- Python: row dicts of the ORM row source as JSON objects --------------------------
def _text(value: str | None) -> str | None:
    return value or None


def _iso(value: dt.date | dt.time | None) -> str | None:
    return None if value is None else value.isoformat()


# How a cell of each column type becomes JSON: empty text as null, dates and
# times as ISO 8601 text; the row sources already give booleans as
# True/False (or None), numbers as numbers and date-times as ISO text.
JSON_OF = {"string": _text, "date": _iso, "time": _iso}


def json_objects(rows, level: str, sets) -> Iterator[dict[str, Any]]:
    """The row dicts of a row source as JSON objects, keys in the export's
    column order."""
    columns = wide_columns(level, sets)
    names = [c.name for c in columns]
    getters = [c.value for c in columns]
    convert = [(i, JSON_OF[c.type]) for i, c in enumerate(columns) if c.type in JSON_OF]
    for row in rows:
        values = [get(row) for get in getters]
        for i, to_json in convert:
            values[i] = to_json(values[i])
        yield dict(zip(names, values, strict=True))


# --- PostgreSQL: the objects built by the database ------------------------------------
def _typed_sql(column: Column) -> str:
    """A column's value in JSON's type: its COPY expression's 0/1 as a
    boolean, free text as typed (`typed_sql`, not neutralised)."""
    if column.type == "boolean":
        return f"({column.sql}) <> 0"
    if column.free_text:
        return column.typed_sql
    return column.sql


def _sql_objects(
    page: list[tuple[int, int, int]], level: str, sets: list[OptionList]
) -> list[str] | None:
    """The JSON texts of the page's logs, built by PostgreSQL with the
    pseudonyms of only the page's people; None if a log dropped out (its
    participant or mentor was changed after the page's ids were read, which
    read_page's snapshot rules out).

    The logs are read by id alone: read_page took the ids from the scoped
    logs in the same snapshot. The scope again here would make the planner
    expect one row where there are hundreds (it multiplies the two
    selectivities) and join the pseudonym arrays by nested loops: 70 ms
    instead of 25 for a page of a nightly `updated_since` pull."""
    ids = [pk for pk, _participant, _mentor in page]
    participants = pseudonym_map("P", {p for _pk, p, _m in page})
    mentors = pseudonym_map("M", {m for _pk, _p, m in page})
    arrays = (
        list(participants),
        list(participants.values()),
        list(mentors),
        list(mentors.values()),
    )
    q = connection.ops.quote_name
    select = ", ".join(
        f"{_typed_sql(c)} AS {q(c.name)}" for c in wide_columns(level, sets)
    )
    sql, params = rows_copy.wide_select(
        logs=InteractionLog.objects.all(),
        select=select,
        sets=sets,
        lo=ids[0],
        hi=ids[-1] + 1,
        arrays=arrays,
        ids=ids,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row_to_json(r)::text FROM ({sql}) r ORDER BY r.log_id", params
        )
        texts = [text for (text,) in cursor.fetchall()]
    return texts if len(texts) == len(ids) else None


def page_objects(
    page: Iterable[tuple[int, int, int]],
    level: str,
    sets: list[OptionList],
    logs: QuerySet[InteractionLog] | None = None,
) -> list[str]:
    """The JSON texts (one object each) of the logs in `page`, given as
    (log id, participant id, mentor id) in ascending id order: one query on
    PostgreSQL, 4 on the ORM path, which reads them within `logs` (the scope
    checked again) when it is given."""
    page = list(page)
    if not page:
        return []
    if rows_copy.use_copy(sets):
        texts = _sql_objects(page, level, sets)
        if texts is not None:
            return texts
    ids = [pk for pk, _participant, _mentor in page]
    if logs is not None:
        ids = logs.filter(pk__in=ids).values("pk")
    rows = rows_for_ids(ids, sets)
    return [
        json.dumps(obj, ensure_ascii=False) for obj in json_objects(rows, level, sets)
    ]


def read_page(
    logs: QuerySet[InteractionLog],
    *,
    after: int,
    limit: int,
    level: str,
    sets: list[OptionList],
) -> tuple[list[str], int | None]:
    """Up to `limit` logs of `logs` with ids above `after`, in id order, as
    JSON texts, and the last one's id when more follow (else None).

    The page's ids (scoped) and its rows (by id) are read in one snapshot:
    a REPEATABLE READ transaction, unless the caller is already in one of
    its own. On PostgreSQL parallel workers are off for it: a page is a few
    hundred rows, and starting workers for its option links costs more
    (about 10 ms) than they save. 3 queries and the page's on PostgreSQL."""
    outer = connection.in_atomic_block
    with transaction.atomic(savepoint=False):
        if rows_copy.use_copy(sets):
            with connection.cursor() as cursor:
                if not outer:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        rows = list(
            logs.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "participant_id", "mentor_id")[: limit + 1]
        )  # one more row tells whether there is a next page
        texts = page_objects(rows[:limit], level, sets, logs)
    return texts, rows[limit - 1][0] if len(rows) > limit else None

"""The CSV files: wide (one row per log), long (one row per log and chosen
option) and the option list. Rows come from PostgreSQL's COPY where it can,
else from the ORM row source; both give the same bytes.

The row source is looked up on its module at call time (`rows_copy.use_copy`),
so a test can send an export down the Python path."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from django.db.models import QuerySet

from core.formulas import neutralise
from exports import rows_copy
from exports.column_types import iso_week_of
from exports.columns import LONG_COLUMNS, OPTION_COLUMNS, wide_columns
from exports.options import OptionList, option_sets
from exports.rows_orm import python_rows
from exports.writers.base import (
    Counter,
    CsvBlocks,
    CsvSink,
    Progress,
    WriteResult,
    cell_text,
    csv_header,
    emitted_participants,
)
from logs_app.models import InteractionLog


def write_wide_csv(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """The one-row-per-log CSV of `logs` at `level` into `out`."""
    sets = sets if sets is not None else option_sets()
    counter = Counter(progress)
    participants: set[int] = set()
    for block, _rows in wide_csv_blocks(
        logs=logs, level=level, sets=sets, counter=counter, participants=participants
    ):
        out.write(block)
    names = [c.name for c in wide_columns(level, sets)]
    return WriteResult(rows=counter.rows, columns=names, participants=participants)


def wide_csv_blocks(
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    sets: list[OptionList],
    counter: Counter,
    participants: set[int],
) -> Iterator[tuple[bytes, int]]:
    """The one-row-per-log CSV as (bytes, rows in them) blocks of whole rows,
    header first: what the file writer writes and the API streams (issue 16),
    so both send the same bytes. Fills `participants` as it goes (complete
    once the iterator is exhausted)."""
    columns = wide_columns(level, sets)
    yield csv_header([c.name for c in columns]), 0
    if rows_copy.use_copy(sets):
        arrays = rows_copy.pseudonym_arrays()
        codes: set[bytes] = set()
        for lo, hi, ids in rows_copy.chunks(logs):
            statement = rows_copy.copy_statement(
                logs=logs,
                columns=columns,
                sets=sets,
                lo=lo,
                hi=hi,
                arrays=arrays,
                ids=ids,
            )
            yield from _pass_through(rows_copy.copy_rows([statement]), counter, codes)
            counter.report()  # between statements: the connection is free
        participants |= emitted_participants(codes, arrays)
        return
    sink = CsvBlocks()
    spec = [(c.value, c.type, c.free_text) for c in columns]
    for row in python_rows(logs, sets):
        sink.row([cell_text(get(row), t, f) for get, t, f in spec])
        participants.add(row["participant_id"])
        counter.add()
        if sink.full():
            yield sink.take()
    if sink.rows:
        yield sink.take()


_PARTICIPANT_CODE = re.compile(rb"[0-9]+,([^,]+),").match


def _pass_through(
    rows: Iterator[bytes], counter: Counter, codes: set[bytes]
) -> Iterator[tuple[bytes, int]]:
    """PostgreSQL ends each row with LF; RFC 4180 wants CRLF. Each COPY message is
    exactly one row, so its last byte is the row's end (line breaks inside
    quoted text are kept as typed). Handed on in blocks of about 256 KB.
    Adds each row's participant code to `codes`: both files start with log_id
    (an integer) and participant_code (never quoted), so it is the text
    between the first two commas (a regex, as psycopg hands over memoryviews:
    about 0.35 s per million rows)."""
    block: list[bytes] = []
    size = rows_in = 0
    add_code = codes.add
    for row in rows:
        add_code(_PARTICIPANT_CODE(row)[1])
        block.append(row[:-1])
        block.append(b"\r\n")
        size += len(row)
        rows_in += 1
        counter.add(quiet=True)
        if size > 262_144:
            yield b"".join(block), rows_in
            block.clear()
            size = rows_in = 0
    if block:
        yield b"".join(block), rows_in


def write_long_csv(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """One row per log and chosen option (techniques, topics, role functions)."""
    sets = sets if sets is not None else option_sets()
    out.write(csv_header(LONG_COLUMNS))
    counter = Counter(progress)
    participants: set[int] = set()
    if rows_copy.use_copy(sets):
        arrays = rows_copy.pseudonym_arrays()
        codes: set[bytes] = set()
        for lo, hi, ids in rows_copy.chunks(logs):
            statement = rows_copy.long_copy_statement(
                logs=logs, sets=sets, lo=lo, hi=hi, arrays=arrays, ids=ids
            )
            for block, _rows in _pass_through(
                rows_copy.copy_rows([statement]), counter, codes
            ):
                out.write(block)
            counter.report()
        participants = emitted_participants(codes, arrays)
    else:
        sink = CsvSink(out)
        for row in python_rows(logs, sets):
            base = [
                str(row["pk"]),
                row["participant_code"],
                row["mentor_code"],
                neutralise(row["participant__site__code"]),
                row["contact_date"].isoformat(),
                iso_week_of(row["contact_date"]),
            ]
            for options in sorted(sets, key=lambda o: o.key):
                for code in row[f"{options.key}_codes"]:
                    sink.row([*base, options.key, neutralise(code)])
                    participants.add(row["participant_id"])
                    counter.add()
        sink.close()
    return WriteResult(
        rows=counter.rows, columns=list(LONG_COLUMNS), participants=participants
    )


def write_options_csv(out: BinaryIO, *, sets: list[OptionList]) -> WriteResult:
    sink = CsvSink(out)
    sink.row(OPTION_COLUMNS)
    rows = 0
    for options in sorted(sets, key=lambda o: o.key):
        for _pk, code, label, position, active in sorted(
            options.options, key=lambda o: o[1]
        ):
            sink.row(
                [
                    options.key,
                    neutralise(code),
                    neutralise(label),
                    position,
                    int(active),
                ]
            )
            rows += 1
    sink.close()
    return WriteResult(rows=rows, columns=list(OPTION_COLUMNS))

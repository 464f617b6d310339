"""The workbook: the wide table with real dates and times, a codebook sheet and
a sheet saying what the export holds and leaves out. Fixed document and entry
times, so the same export gives the same bytes."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import Any, BinaryIO

from django.db.models import QuerySet

from core.formulas import neutralise
from exports.codebook import about_lines, allowed_text
from exports.column_types import Column
from exports.columns import wide_columns
from exports.options import OptionList, option_sets
from exports.rows_orm import python_rows
from exports.writers.base import Counter, Progress, WriteResult
from exports.writers.zips import FixedTimeZip
from logs_app.models import InteractionLog

_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def _xlsx_value(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.type == "boolean":
        return 1 if value else 0
    if isinstance(value, str):
        if column.free_text:
            value = neutralise(value)
        # XML reads every CR as LF, so line breaks are LF in a workbook; control
        # characters XML cannot hold become U+FFFD (both said in the codebook).
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def write_xlsx(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    info: dict[str, Any],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """The wide table as a workbook: real dates and times, one sheet of logs, a
    codebook sheet and a sheet saying what the export holds and leaves out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    sets = sets if sets is not None else option_sets()
    columns = wide_columns(level, sets)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("logs")
    sheet.freeze_panes = "B2"
    sheet.append([c.name for c in columns])
    formats = {"date": "yyyy-mm-dd", "time": "hh:mm:ss"}
    counter = Counter(progress)
    participants: set[int] = set()
    for row in python_rows(logs, sets):
        participants.add(row["participant_id"])
        cells = []
        for column in columns:
            value = _xlsx_value(column.value(row), column)
            if column.type in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column.type]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        counter.add()
    codebook = book.create_sheet("codebook")
    codebook.append(["column", "type", "meaning", "allowed values", "source question"])
    for column in columns:
        codebook.append(
            [
                column.name,
                column.type,
                str(column.meaning),
                allowed_text(column),
                str(column.source),
            ]
        )
    about = book.create_sheet("about")
    for key, value in about_lines(info, counter.rows):
        about.append([key, value])
    save_workbook(book, out)
    return WriteResult(
        rows=counter.rows,
        columns=[c.name for c in columns],
        participants=participants,
    )


# The workbook's document times: fixed, so the same export gives the same bytes
# (no export timestamp in the file; openpyxl would write "now").
_XLSX_TIME = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # written as UTC ("Z")


def save_workbook(book, out: BinaryIO) -> None:
    """`book.save(out)` without the clock: fixed document times in
    docProps/core.xml and on every zip entry (openpyxl's own save stamps both)."""
    from openpyxl.writer.excel import ExcelWriter

    book.properties.created = book.properties.modified = _XLSX_TIME
    archive = FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(book, archive).save()  # writes every part, then closes the zip

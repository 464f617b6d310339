"""Reading an enrolment file (issue 17): CSV (UTF-8, with or without a BOM,
comma or semicolon, any line ends) or Excel .xlsx, into its header and rows
of text cells, each row with its number as a spreadsheet shows it (the header
is row 1). What cannot be read at all is a FileRefused with a message for the
person who uploaded it; cell by cell checks are programs.imports'."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNZIPPED = 50 * 1024 * 1024  # an .xlsx is a zip: no bombs
XLSX_MAGIC = b"PK\x03\x04"
NOT_XLSX = gettext_lazy(
    "This is not an Excel workbook Peerlog can read: save it as .xlsx or CSV."
)


class FileRefused(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (row number, cells as text)


def read_table(name: str, data: bytes) -> Table:
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 5 MB."))
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        table = _read_xlsx(data)
    elif name.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileRefused(str(NOT_XLSX))
    else:
        table = _read_csv(data)
    for number, cells in table.rows:
        if any("\x00" in cell for cell in cells):
            raise FileRefused(
                _("Row %(row)s holds a NUL character: this is not a list of text.")
                % {"row": number}
            )
    if len(table.rows) > MAX_ROWS:
        raise FileRefused(
            _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS}
        )
    if not table.rows:
        raise FileRefused(_("There are no rows under the header."))
    return table


def _read_csv(data: bytes) -> Table:
    if b"\0" in data[:4096]:
        raise FileRefused(_("This is not a CSV file (it holds binary data)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileRefused(
            _(
                "The file is not UTF-8 text (byte %(at)s). In Excel, save it as "
                "“CSV UTF-8”."
            )
            % {"at": error.start}
        ) from error
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as error:
        raise FileRefused(
            _("The CSV cannot be read (line %(line)s): %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from error
    header = [cell.strip() for cell in lines[0]] if lines else []
    rows = [
        (number, [cell.strip() for cell in cells])
        for number, cells in enumerate(lines[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    return Table(header=header, rows=rows)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).strip()


_MERGED = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
# Columns read from a sheet: the template's and a few more, so a stray value
# past them is still reported (never the sheet's whole claimed width: a
# 5 KB file can claim 16,384 columns by a million rows).
MAX_COLUMNS = 12


def _read_xlsx(data: bytes) -> Table:
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNZIPPED:
                raise FileRefused(_("The workbook unpacks to more than 50 MB."))
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            )
            sheet = book.worksheets[0]
            # Read-only sheets do not say which cells are merged: the sheet's
            # own XML does (a few KB to a few MB, already checked above).
            merged = sorted(
                ref.decode()
                for ref in _MERGED.findall(archive.read(sheet._worksheet_path))
            )
            if merged:
                raise FileRefused(
                    _(
                        "The first sheet has merged cells (%(cells)s): unmerge them "
                        "so every row holds its own values."
                    )
                    % {
                        "cells": ", ".join(merged[:5])
                        + ("…" if len(merged) > 5 else "")
                    }
                )
            lines = []
            rows = sheet.iter_rows(
                max_col=MAX_COLUMNS, max_row=MAX_ROWS + 2, values_only=True
            )
            for number, values in enumerate(rows, start=1):
                cells = [_cell_text(value) for value in values]
                while cells and not cells[-1]:
                    cells.pop()
                lines.append((number, cells))
            book.close()
    except FileRefused:
        raise
    except Exception as error:  # a damaged or foreign zip: say so, never a 500
        raise FileRefused(str(NOT_XLSX)) from error
    if not lines:
        return Table(header=[], rows=[])
    header = lines[0][1]
    while header and not header[-1]:
        header = header[:-1]
    rows = [(number, cells) for number, cells in lines[1:] if any(cells)]
    return Table(header=header, rows=rows)

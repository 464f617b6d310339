"""What every writer shares: CSV text and cells as the COPY path writes them,
the row counter that reports progress, and what a writer hands back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from core.formulas import neutralise


def cell_text(value: Any, column_type: str, free_text: bool) -> str:
    """A typed value as CSV text, the way PostgreSQL writes it in the COPY path."""
    if value is None:
        return ""
    if column_type == "boolean":
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value) if free_text else value
    return str(value)


class CsvSink:
    """CSV text into a binary file: UTF-8, CRLF line ends (RFC 4180), written in
    blocks of about 64 KB."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def row(self, values: list[Any]) -> None:
        self.writer.writerow(values)
        if self.buffer.tell() > 65_536:
            self.flush()

    def flush(self) -> None:
        self.out.write(self.buffer.getvalue().encode())
        self.buffer.seek(0)
        self.buffer.truncate()

    close = flush


class CsvBlocks:
    """CsvSink's text, handed back instead of written: `take()` gives the rows
    so far as bytes (and how many), for a writer that yields its file."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")
        self.rows = 0

    def row(self, values: list[Any]) -> None:
        self.writer.writerow(values)
        self.rows += 1

    def full(self) -> bool:
        return self.buffer.tell() > 65_536

    def take(self) -> tuple[bytes, int]:
        taken = (self.buffer.getvalue().encode(), self.rows)
        self.buffer.seek(0)
        self.buffer.truncate()
        self.rows = 0
        return taken


def csv_header(names: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(names)
    return buffer.getvalue().encode()


Progress = Callable[[int], None]
PROGRESS_EVERY = 20_000  # rows between progress reports (Python path)


@dataclass
class WriteResult:
    rows: int
    columns: list[str]
    # Every participant with a row in the file, as the writer emitted them: what
    # a job's download re-checks (AZ-13). Read from the rows themselves, so a
    # scope narrowed while the file is written cannot hide one.
    participants: set[int] = field(default_factory=set)


def emitted_participants(codes: set[bytes], arrays: tuple) -> set[int]:
    """The ids behind the participant codes a COPY wrote (from the pseudonym
    arrays the statements joined on)."""
    p_ids, p_codes, _m_ids, _m_codes = arrays
    by_code = dict(zip(p_codes, p_ids, strict=True))
    return {by_code[code.decode()] for code in codes}


class Counter:
    """Counts rows and calls `progress(rows)` every `every` rows. During a COPY
    the connection is busy, so the COPY path counts quietly and reports between
    statements (`report`)."""

    def __init__(self, progress: Progress | None) -> None:
        every = PROGRESS_EVERY
        self.progress, self.every, self.rows, self.next = progress, every, 0, every

    def add(self, n: int = 1, *, quiet: bool = False) -> None:
        self.rows += n
        if not quiet and self.progress and self.rows >= self.next:
            self.report()

    def report(self) -> None:
        if self.progress:
            self.progress(self.rows)
            self.next = self.rows + self.every

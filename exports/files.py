"""One export file in any format: the writer for the format, the SHA-256 and
size of what it wrote, and what the preview says was left out.

Rules every format follows (the codebook says them too):
- pseudonyms, not identities: participant and mentor codes are keyed HMACs
  (EXP-4), stable for one secret; study IDs and preferred names only at "full";
- text cells starting with = + - @ tab, CR, NUL or ' get one leading ' so
  spreadsheets never run them as formulas (EXP-5); remove it to get the text;
- times in the site's clock, ISO 8601 with the UTC offset;
- rows ordered by log_id, no timestamp inside the file: the same request on the
  same data gives the same bytes (and the same SHA-256).
Two row sources produce the same bytes: PostgreSQL's COPY (exports.rows_copy)
and the ORM (exports.rows_orm)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import BinaryIO

from exports.filters import ExportFilters, exported_logs
from exports.models import ExportJob
from exports.preview import Preview, export_preview
from exports.writers.base import Progress
from exports.writers.package import write_package
from exports.writers.tabular import write_long_csv, write_wide_csv
from exports.writers.xlsx import write_xlsx

Format = ExportJob.Format


class HashingWriter:
    """Counts and hashes what passes through to `out` (SHA-256 of the file)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.size


@dataclass
class ExportResult:
    rows: int
    columns: list[str]
    sha256: str
    size: int
    excluded: dict[str, int]
    participants: set[int] = field(default_factory=set)  # see WriteResult


CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.LONG: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PACKAGE: "application/zip",
}
EXTENSIONS = {
    Format.CSV: "csv",
    Format.LONG: "long.csv",
    Format.XLSX: "xlsx",
    Format.PACKAGE: "zip",
}


def export_write(
    out: BinaryIO,
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    progress: Progress | None = None,
    preview: Preview | None = None,
) -> ExportResult:
    """Write one export file into `out`. Assumes the caller checked the level
    (exports.rights.export_check); reads only what `user` may read. `preview`:
    the request's own preview at this level, when it has one (else it is run
    here, once)."""
    logs = exported_logs(user, filters)
    if preview is None:
        preview = export_preview(user=user, filters=filters, level=level)
    info = {"level": level, "filters": filters.to_json(), "excluded": preview.excluded}
    sink = HashingWriter(out)
    if fmt == Format.CSV:
        result = write_wide_csv(sink, logs=logs, level=level, progress=progress)
    elif fmt == Format.LONG:
        result = write_long_csv(sink, logs=logs, progress=progress)
    elif fmt == Format.XLSX:
        result = write_xlsx(sink, logs=logs, level=level, info=info, progress=progress)
    elif fmt == Format.PACKAGE:
        result = write_package(
            sink, logs=logs, level=level, info=info, progress=progress
        )
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    sink.flush()
    return ExportResult(
        rows=result.rows,
        columns=result.columns,
        sha256=sink.sha.hexdigest(),
        size=sink.size,
        excluded=preview.excluded,
        participants=result.participants,
    )

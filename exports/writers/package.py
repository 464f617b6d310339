"""The data package: a zip of logs.csv, log_options.csv, options.csv,
datapackage.json and codebook.md."""

from __future__ import annotations

import json
import zipfile
from typing import Any, BinaryIO

from django.db.models import QuerySet

from exports.codebook import codebook_markdown, datapackage_descriptor
from exports.columns import wide_columns
from exports.options import OptionList, option_sets
from exports.writers.base import Progress, WriteResult
from exports.writers.tabular import write_long_csv, write_options_csv, write_wide_csv
from exports.writers.zips import zip_member
from logs_app.models import InteractionLog


def write_package(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    info: dict[str, Any],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """A zip: logs.csv, log_options.csv, options.csv, datapackage.json and
    codebook.md. The row count is that of logs.csv."""
    sets = sets if sets is not None else option_sets()
    columns = wide_columns(level, sets)
    with zipfile.ZipFile(out, "w") as archive:
        with zip_member(archive, "logs.csv") as member:
            result = write_wide_csv(
                member, logs=logs, level=level, sets=sets, progress=progress
            )
        with zip_member(archive, "log_options.csv") as member:
            # Its own statements: a log filed meanwhile may be only in this file.
            result.participants |= write_long_csv(
                member, logs=logs, sets=sets
            ).participants
        with zip_member(archive, "options.csv") as member:
            write_options_csv(member, sets=sets)
        with zip_member(archive, "datapackage.json") as member:
            descriptor = datapackage_descriptor(columns, sets)
            member.write(json.dumps(descriptor, indent=2, ensure_ascii=False).encode())
        with zip_member(archive, "codebook.md") as member:
            member.write(codebook_markdown(columns, sets, info, result.rows).encode())
    return result

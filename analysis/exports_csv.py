"""The analysis's CSV exports (issue 15), joinable to the log export by its
pseudonymous keys (mentor_key, participant_key):

- long: one row per text × code × coder (each coding, passage or whole);
- wide: one row per finished text, 0/1 per code from the final code set;
- codebook: the codes as they stand, with their definitions.

Rows are written as they are read (querysets in chunks, the final code set
from a server-side cursor) into a spooled file, so memory stays flat; the
file's SHA-256 and row count go into the audit row ("analysis.export") before
it is sent. Cells a spreadsheet could take for a formula are neutralised by
the one neutraliser (core.formulas); the CSV is RFC 4180, UTF-8.

Blinding holds here too: with blind coding on, the long file has only texts
every coder has finished."""

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

from django.db.models import F

from analysis.codebook import current_version
from analysis.consensus import final_codes, finished_ids
from analysis.models import Code, Coding, Project, Text
from audit.services import audit_record
from core.formulas import neutralise
from exports.writers.base import CsvSink

KEYS = [
    "text_guid",
    "mentor_key",
    "participant_key",
    "site",
    "cohort",
    "contact_date",
]
LONG_COLUMNS = [
    *KEYS,
    "code",
    "code_guid",
    "coder",
    "scope",
    "start",
    "end",
    "codebook_version",
]
CODEBOOK_COLUMNS = [
    "position",
    "category",
    "code",
    "code_guid",
    "definition",
    "when_to_use",
    "when_not_to_use",
    "example",
    "colour",
    "active",
    "added_in",
    "changed_in",
    "codebook_version",
]
KINDS = ("long", "wide", "codebook")
CHUNK = 2000


def _key_cells(text: dict) -> list[str]:
    return [
        str(text["text_guid"]),
        text["mentor_key"],
        text["participant_key"],
        neutralise(text["site_code"]),
        neutralise(text["cohort_name"] or ""),
        text["contact_date"].isoformat(),
    ]


def write_long(out: BinaryIO, project: Project) -> int:
    """Every coding of the project's included texts (only finished texts when
    coding is blind), by text, code and coder."""
    sink, rows = CsvSink(out), 0
    sink.row(LONG_COLUMNS)
    codings = Coding.objects.filter(
        text__project=project, text__screening=Text.Screening.INCLUDED
    )
    if project.blinded:
        codings = codings.filter(text_id__in=finished_ids(project))
    values = codings.order_by(
        "text_id", "code__position", "code_id", "coder__username", "start"
    ).values(
        "start",
        "end",
        "codebook_version",
        text_guid=F("text__guid"),
        mentor_key=F("text__mentor_key"),
        participant_key=F("text__participant_key"),
        site_code=F("text__site__code"),
        cohort_name=F("text__cohort__name"),
        contact_date=F("text__contact_date"),
        code_name=F("code__name"),
        code_guid=F("code__guid"),
        coder_name=F("coder__username"),
    )
    for row in values.iterator(chunk_size=CHUNK):
        whole = row["start"] is None
        sink.row(
            [
                *_key_cells(row),
                neutralise(row["code_name"]),
                str(row["code_guid"]),
                neutralise(row["coder_name"]),
                "whole" if whole else "passage",
                "" if whole else row["start"],
                "" if whole else row["end"],
                row["codebook_version"],
            ]
        )
        rows += 1
    sink.close()
    return rows


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_wide(out: BinaryIO, project: Project) -> int:
    """One row per finished text: its keys and 0/1 for each code of the
    codebook (retired ones too), from the final code set."""
    codes = list(Code.objects.filter(project=project).values_list("pk", "name"))
    sink, rows = CsvSink(out), 0
    sink.row([*KEYS, *(neutralise(name) for _pk, name in codes)])
    for batch in _batches(final_codes(project, chunk=CHUNK), CHUNK):
        texts = {
            t["pk"]: t
            for t in Text.objects.filter(pk__in=[pk for pk, _c in batch]).values(
                "pk",
                "mentor_key",
                "participant_key",
                "contact_date",
                text_guid=F("guid"),
                site_code=F("site__code"),
                cohort_name=F("cohort__name"),
            )
        }
        for text_id, final in batch:
            marks = ["1" if pk in final else "0" for pk, _name in codes]
            sink.row([*_key_cells(texts[text_id]), *marks])
            rows += 1
    sink.close()
    return rows


def write_codebook(out: BinaryIO, project: Project) -> int:
    """The codebook as it stands, one row per code, in its order."""
    version = current_version(project)
    sink, rows = CsvSink(out), 0
    sink.row(CODEBOOK_COLUMNS)
    for code in Code.objects.filter(project=project).select_related("category"):
        sink.row(
            [
                code.position,
                neutralise(code.category.name if code.category else ""),
                neutralise(code.name),
                str(code.guid),
                neutralise(code.definition),
                neutralise(code.when_to_use),
                neutralise(code.when_not_to_use),
                neutralise(code.example),
                code.color,
                "1" if code.active else "0",
                code.added_in,
                code.changed_in,
                version,
            ]
        )
        rows += 1
    sink.close()
    return rows


WRITERS = {"long": write_long, "wide": write_wide, "codebook": write_codebook}


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while block := file.read(65_536):
        digest.update(block)
    return digest.hexdigest()


@dataclass
class ExportFile:
    file: IO[bytes]
    name: str
    rows: int
    size: int
    sha256: str


def analysis_export(*, actor, project: Project, kind: str) -> ExportFile:
    """Write one of the CSV files into a spooled temporary file, checksum it,
    audit it ("analysis.export") and hand it back, rewound, to be sent."""
    # Handed to the response, which closes it once sent.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    try:
        rows = WRITERS[kind](spool, project)
        size = spool.tell()
        spool.seek(0)
        digest = _sha256(spool)
    except Exception:
        spool.close()
        raise
    spool.seek(0)
    audit_record(
        actor=actor,
        action="analysis.export",
        obj=project,
        details={
            "kind": kind,
            "rows": rows,
            "bytes": size,
            "sha256": digest,
            "blinded": project.blinded,
        },
    )
    name = f"analysis-{project.pk}-{kind}.csv"
    return ExportFile(file=spool, name=name, rows=rows, size=size, sha256=digest)

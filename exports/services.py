"""Export services: start an export asked for (exports.request), build a small
one at once, queue a large one as a job, and record and audit every file.

What may stream: nothing that could outlive a web worker's timeout. A small
export (few rows, see DIRECT_MAX_ROWS) is built completely in the request, into
a spooled temporary file, and only then sent with its Content-Length and
SHA-256, so a cut transfer is visible to the browser, and the audit row already
names the rows and checksum. Anything larger is a job row (JOB-1): a worker
writes the file (exports.jobs) and the requester downloads it until the link
expires."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from core.jobs import run_after_commit_if_eager
from exports.files import ExportResult
from exports.filters import ExportFilters
from exports.models import ExportJob
from exports.records import (
    finished_details,
    job_details,
    mark_done,
    mark_failed,
)
from exports.request import ExportRequest
from exports.tasks import export_run

Format = ExportJob.Format
Status = ExportJob.Status

# Logs up to which an export is built in the request and sent at once. At these
# sizes the slowest format takes about a second; anything bigger is a job.
DIRECT_MAX_ROWS = {
    Format.CSV: 20_000,
    Format.LONG: 20_000,
    Format.XLSX: 2_000,
    Format.PACKAGE: 5_000,
}


def direct_limit(fmt: str) -> int:
    override = getattr(settings, "PEERLOG_EXPORT_DIRECT_MAX_ROWS", None)
    return DIRECT_MAX_ROWS[Format(fmt)] if override is None else int(override)


@dataclass
class Started:
    job: ExportJob
    file: IO[bytes] | None  # the finished file for a direct export


def export_start(
    export: ExportRequest,
    *,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    force_job: bool = False,
) -> Started:
    """Check the right, then build a small export at once or queue a job.
    Raises ExportRefused (after auditing it)."""
    now = now or timezone.now()
    export.check_or_record(request=request)
    rows = export.preview.rows
    if not force_job and rows <= direct_limit(export.fmt):
        return export_direct(export, request=request, expected=rows, now=now)
    job = export_job_create(
        user=export.user,
        filters=export.filters,
        level=export.level,
        fmt=export.fmt,
        request=request,
        expected=rows,
        now=now,
    )
    return Started(job=job, file=None)


def export_direct(
    export: ExportRequest,
    *,
    request: HttpRequest | None,
    now: dt.datetime,
    expected: int | None = None,
) -> Started:
    """Build the whole file now (into memory, or a temporary file past 16 MB),
    record rows and checksum, audit, and hand back the file to send. Assumes
    `export` was checked."""
    job = _direct_job(export, now=now, expected=expected)
    # Handed to the response, which closes it once sent.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    try:
        result = export.write(spool)
    except Exception as exc:
        spool.close()
        mark_failed(job, exc)
        raise
    _direct_done(job, result, request=request, user=export.user)
    spool.seek(0)
    return Started(job=job, file=spool)


def export_to_path(
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    path: Path,
    via: str = "command",
    now: dt.datetime | None = None,
) -> ExportJob:
    """Export straight into `path` (the command line): the same check, record
    and audit as the page. Written under a temporary name and renamed when
    complete. Raises ExportRefused (after auditing it)."""
    now = now or timezone.now()
    export = ExportRequest.build(user=user, filters=filters, level=level, fmt=fmt)
    export.check_or_record()
    job = _direct_job(export, now=now)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as out:
            result = export.write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        mark_failed(job, exc)
        raise
    _direct_done(job, result, request=None, user=user, details={"via": via})
    return job


def _direct_job(
    export: ExportRequest, *, now: dt.datetime, expected: int | None = None
) -> ExportJob:
    """The record of an export built right away (page or command), running."""
    return ExportJob.objects.create(
        requested_by=export.user,
        created_at=now,
        level=export.level,
        format=export.fmt,
        delivery=ExportJob.Delivery.DIRECT,
        filters=export.filters.to_json(),
        status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=1,
        expected_rows=expected,
    )


def _direct_done(
    job: ExportJob,
    result: ExportResult,
    *,
    request: HttpRequest | None,
    user,
    details: dict | None = None,
) -> None:
    """Rows and checksum on the record, and the audit row, together."""
    with transaction.atomic():
        mark_done(job, result, file_name="", now=timezone.now(), expires_at=None)
        audit_record(
            request=request,
            actor=user,
            action="export",
            obj=job,
            details=finished_details(job) | (details or {}),
        )


def export_job_create(
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    request: HttpRequest | None = None,
    expected: int | None = None,
    now: dt.datetime | None = None,
) -> ExportJob:
    """Queue an export: a row, no broker call (JOB-1). The dispatcher hands it
    to a worker; in eager mode (no broker) it runs right after the commit."""
    now = now or timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=user,
            created_at=now,
            level=level,
            format=fmt,
            delivery=ExportJob.Delivery.JOB,
            filters=filters.to_json(),
            expected_rows=expected,
        )
        audit_record(
            request=request,
            actor=user,
            action="export.queued",
            obj=job,
            details=job_details(job, expected_rows=expected),
        )
        run_after_commit_if_eager(export_run, job.pk)
    return job

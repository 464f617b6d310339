"""The export's own row and its audit trail: what a job row says when it is
done or failed, and the audit rows of refused and finished exports and
downloads (AUD-1). Every export file made leaves one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from exports.files import ExportResult
from exports.filters import ExportFilters
from exports.models import ExportJob
from exports.rights import export_level_for

Status = ExportJob.Status


def job_details(job: ExportJob, **extra: Any) -> dict[str, Any]:
    """What an audit row says about `job`: what was asked for, plus `extra`."""
    data = {
        "export": job.pk,
        "level": job.level,
        "format": job.format,
        "delivery": job.delivery,
        "filters": job.filters,
    }
    data.update(extra)
    return data


def finished_details(job: ExportJob) -> dict[str, Any]:
    return job_details(
        job,
        rows=job.row_count,
        columns=job.columns,
        sha256=job.sha256,
        bytes=job.file_size,
        excluded=job.excluded,
    )


def export_denied_record(
    *,
    request: HttpRequest | None,
    user,
    level: str,
    fmt: str,
    filters: ExportFilters | None,
    reason: str,
    granted: str | None = None,
) -> None:
    """Audit a refused export request (a tampered level or filter, EXP-1).
    `granted`: the user's level as the request read it (read here otherwise)."""
    audit_record(
        request=request,
        actor=user,
        action="export.denied",
        outcome="403",
        details={
            "level": level,
            "format": fmt,
            "filters": filters.to_json() if filters else {},
            "granted": export_level_for(user) if granted is None else granted,
            "reason": reason,
        },
    )


def mark_done(
    job: ExportJob,
    result: ExportResult,
    *,
    file_name: str,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    covered: dict[str, list[int]] | None = None,
) -> None:
    """Rows, columns, checksum and file of a finished export on its row."""
    job.status = Status.DONE
    job.covered = covered or {}
    job.row_count = job.progress_rows = result.rows
    job.columns = result.columns
    job.sha256 = result.sha256
    job.file_size = result.size
    job.excluded = result.excluded
    job.file_name = file_name
    job.finished_at = now
    job.expires_at = expires_at
    job.save(
        update_fields=[
            "status",
            "row_count",
            "progress_rows",
            "columns",
            "sha256",
            "file_size",
            "excluded",
            "covered",
            "file_name",
            "finished_at",
            "expires_at",
        ]
    )


def mark_failed(job: ExportJob, exc: BaseException) -> None:
    """A failed export on its row and in the audit trail."""
    # The exception's type only: messages could quote data (AUD-5).
    job.status = Status.FAILED
    job.error = type(exc).__name__[:300]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    audit_record(
        request=None,
        actor=job.requested_by,
        action="export.failed",
        outcome="error",
        obj=job,
        details=job_details(job, error=job.error),
    )


def export_download_denied_record(
    *, request: HttpRequest, job: ExportJob, reason: str
) -> None:
    """Audit a refused download (AZ-13): the file stays unsent."""
    audit_record(
        request=request,
        action="export.denied",
        outcome="403",
        obj=job,
        details=job_details(
            job, via="download", reason=reason, granted=export_level_for(request.user)
        ),
    )


def export_download_record(*, request: HttpRequest, job: ExportJob) -> None:
    audit_record(
        request=request,
        action="export.download",
        obj=job,
        details=job_details(job, sha256=job.sha256, rows=job.row_count),
    )

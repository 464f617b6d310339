"""Export services: check the right, decide what may stream and what must be a
job, run jobs, record and audit every file.

What may stream: nothing that could outlive a web worker's timeout. A small
export (few rows, see DIRECT_MAX_ROWS) is built completely in the request, into
a spooled temporary file, and only then sent with its Content-Length and
SHA-256, so a cut transfer is visible to the browser, and the audit row already
names the rows and checksum. Anything larger is a job row (JOB-1): a worker
writes the file to PEERLOG_EXPORT_DIR, records rows, size and SHA-256, and the
requester downloads it (with Content-Length) until the link expires."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from logs_app import exports
from logs_app.exports import ExportFilters, export_level_for, level_allows
from logs_app.jobs import run_after_commit_if_eager
from logs_app.models import Notification
from logs_app.models_export import ExportJob
from mentors.models import Mentor
from participants.models import Cohort, Participant

logger = logging.getLogger(__name__)

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
# A dispatched job that no worker started is handed out again after this.
REDISPATCH_AFTER = dt.timedelta(minutes=5)
# A running job whose worker stopped reporting progress is taken over after this.
STALE_AFTER = dt.timedelta(minutes=15)


def export_dir() -> Path:
    """Where job files are kept: shared by the web and worker processes."""
    configured = getattr(settings, "PEERLOG_EXPORT_DIR", "")
    path = (
        Path(configured)
        if configured
        else Path(settings.BASE_DIR) / "media" / "exports"
    )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def link_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=getattr(settings, "PEERLOG_EXPORT_TTL_HOURS", 72))


def direct_limit(fmt: str) -> int:
    override = getattr(settings, "PEERLOG_EXPORT_DIRECT_MAX_ROWS", None)
    return DIRECT_MAX_ROWS[Format(fmt)] if override is None else int(override)


class ExportRefused(Exception):
    """The user may not export this (level above their right, or filters that
    reach outside their scope)."""


def export_check(*, user, level: str, filters: ExportFilters) -> None:
    """Raise ExportRefused unless `user` may export at `level` now and every
    filter names something within their scope. Called when the export is asked
    for and again when a job runs (AZ-9)."""
    granted = export_level_for(user)
    if not level_allows(granted, level):
        raise ExportRefused(f"level {level!r} is above the export right {granted!r}")
    sites = exports.export_sites(user)
    if filters.sites and sites.filter(pk__in=filters.sites).count() != len(
        set(filters.sites)
    ):
        raise ExportRefused("a site outside the user's scope")
    if filters.cohorts and Cohort.objects.filter(
        pk__in=filters.cohorts, site__in=sites
    ).count() != len(set(filters.cohorts)):
        raise ExportRefused("a cohort outside the user's scope")
    if filters.mentors and Mentor.objects.visible_to(user).filter(
        pk__in=filters.mentors
    ).count() != len(set(filters.mentors)):
        raise ExportRefused("a mentor outside the user's scope")


def _details(job: ExportJob, **extra: Any) -> dict[str, Any]:
    data = {
        "export": job.pk,
        "level": job.level,
        "format": job.format,
        "delivery": job.delivery,
        "filters": job.filters,
    }
    data.update(extra)
    return data


def _finished_details(job: ExportJob) -> dict[str, Any]:
    return _details(
        job,
        rows=job.row_count,
        columns=job.columns,
        sha256=job.sha256,
        bytes=job.file_size,
        excluded=job.excluded,
    )


def export_denied_record(
    *, request: HttpRequest | None, user, level: str, fmt: str, filters, reason: str
) -> None:
    """Audit a refused export request (a tampered level or filter, EXP-1)."""
    audit_record(
        request=request,
        actor=user,
        action="export.denied",
        outcome="403",
        details={
            "level": level,
            "format": fmt,
            "filters": filters.to_json() if filters else {},
            "granted": export_level_for(user),
            "reason": reason,
        },
    )


@dataclass
class Started:
    job: ExportJob
    file: IO[bytes] | None  # the finished file for a direct export


def _check_or_record_denial(
    *, request: HttpRequest | None, user, level: str, fmt: str, filters: ExportFilters
) -> None:
    """export_check, auditing a refusal before it propagates (page and command)."""
    try:
        export_check(user=user, level=level, filters=filters)
    except ExportRefused as exc:
        export_denied_record(
            request=request,
            user=user,
            level=level,
            fmt=fmt,
            filters=filters,
            reason=str(exc),
        )
        raise


def export_start(
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    request: HttpRequest | None = None,
    now: dt.datetime | None = None,
    force_job: bool = False,
) -> Started:
    """Check the right, then build a small export at once or queue a job.
    Raises ExportRefused (after auditing it)."""
    now = now or timezone.now()
    _check_or_record_denial(
        request=request, user=user, level=level, fmt=fmt, filters=filters
    )
    preview = exports.export_preview(user=user, filters=filters, level=level)
    if not force_job and preview.rows <= direct_limit(fmt):
        return export_direct(
            user=user,
            filters=filters,
            level=level,
            fmt=fmt,
            request=request,
            expected=preview.rows,
            now=now,
        )
    return Started(
        job=export_job_create(
            user=user,
            filters=filters,
            level=level,
            fmt=fmt,
            request=request,
            expected=preview.rows,
            now=now,
        ),
        file=None,
    )


def export_direct(
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    request: HttpRequest | None,
    expected: int | None,
    now: dt.datetime,
) -> Started:
    """Build the whole file now (into memory, or a temporary file past 16 MB),
    record rows and checksum, audit, and hand back the file to send."""
    job = _direct_job(
        user=user, filters=filters, level=level, fmt=fmt, now=now, expected=expected
    )
    # Handed to the response, which closes it once sent.
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    try:
        result = exports.export_write(
            spool, user=user, filters=filters, level=level, fmt=fmt
        )
    except Exception as exc:
        spool.close()
        _mark_failed(job, exc)
        raise
    _direct_done(job, result, request=request, user=user)
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
    _check_or_record_denial(
        request=None, user=user, level=level, fmt=fmt, filters=filters
    )
    job = _direct_job(user=user, filters=filters, level=level, fmt=fmt, now=now)
    partial = path.with_name(path.name + ".part")
    try:
        with open(partial, "wb") as out:
            result = exports.export_write(
                out, user=user, filters=filters, level=level, fmt=fmt
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        _mark_failed(job, exc)
        raise
    _direct_done(job, result, request=None, user=user, details={"via": via})
    return job


def _direct_job(
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    now: dt.datetime,
    expected: int | None = None,
) -> ExportJob:
    """The record of an export built right away (page or command), running."""
    return ExportJob.objects.create(
        requested_by=user,
        created_at=now,
        level=level,
        format=fmt,
        delivery=ExportJob.Delivery.DIRECT,
        filters=filters.to_json(),
        status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=1,
        expected_rows=expected,
    )


def _direct_done(
    job: ExportJob,
    result,
    *,
    request: HttpRequest | None,
    user,
    details: dict | None = None,
) -> None:
    """Rows and checksum on the record, and the audit row, together."""
    with transaction.atomic():
        _mark_done(job, result, file_name="", now=timezone.now(), expires_at=None)
        audit_record(
            request=request,
            actor=user,
            action="export",
            obj=job,
            details=_finished_details(job) | (details or {}),
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
            details=_details(job, expected_rows=expected),
        )
        run_after_commit_if_eager(export_run, job.pk)
    return job


def _mark_done(
    job: ExportJob,
    result: exports.ExportResult,
    *,
    file_name: str,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    covered: dict[str, list[int]] | None = None,
) -> None:
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


def _mark_failed(job: ExportJob, exc: BaseException) -> None:
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
        details=_details(job, error=job.error),
    )


def _claim(job_id: int, now: dt.datetime) -> bool:
    """Take the job: queued → running, or a running job whose worker went
    quiet. Conditional updates, so two workers never both build it."""
    claimed = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if claimed:
        return True
    return bool(
        ExportJob.objects.filter(
            pk=job_id, status=Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
        ).update(heartbeat_at=now, attempts=F("attempts") + 1, progress_rows=0)
    )


def export_job_run(job_id: int, *, now: dt.datetime | None = None) -> str:
    """Build a queued export under its requester's rights as they are now (AZ-9):
    a right lowered or revoked since the request stops the job, audited.
    Writes to a temporary name and renames when complete, so a file with a
    name is always whole. Returns what happened."""
    now = now or timezone.now()
    if not _claim(job_id, now):
        return "skipped"
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by
    filters = ExportFilters.from_json(job.filters)
    try:
        export_check(user=user, level=job.level, filters=filters)
    except ExportRefused as exc:
        with transaction.atomic():
            job.status = Status.REFUSED
            job.error = str(exc)[:300]
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            audit_record(
                request=None,
                actor=user,
                action="export.refused",
                outcome="403",
                obj=job,
                details=_details(job, reason=str(exc), granted=export_level_for(user)),
            )
        return "refused"

    name = f"{job.pk}-{secrets.token_hex(8)}.{exports.EXTENSIONS[Format(job.format)]}"
    final = export_dir() / name
    partial = final.with_name(final.name + ".part")

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            progress_rows=rows, heartbeat_at=timezone.now()
        )

    # The sites the file can hold, read before it is written (AZ-13): the
    # scope may narrow while the writers run, and must not hide a site.
    sites_before = exports.export_site_ids(user, filters)
    try:
        with open(partial, "wb") as out:
            result = exports.export_write(
                out,
                user=user,
                filters=filters,
                level=job.level,
                fmt=job.format,
                progress=progress,
            )
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except Exception as exc:
        partial.unlink(missing_ok=True)
        logger.exception("export %s failed", job.pk)
        _mark_failed(job, exc)
        return "failed"

    covered = _covered(result.participants, sites_before)
    finished = timezone.now()
    with transaction.atomic():
        if not ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).exists():
            final.unlink(missing_ok=True)  # taken over or stopped meanwhile
            return "skipped"
        _mark_done(
            job,
            result,
            file_name=name,
            now=finished,
            expires_at=finished + link_lifetime(),
            covered=covered,
        )
        audit_record(
            request=None,
            actor=user,
            action="export",
            obj=job,
            details=_finished_details(job),
        )
        _notify_ready(job, finished)
    return "done"


def _covered(participants: set[int], sites_before: list[int]) -> dict[str, list[int]]:
    """What a job's file holds, for the download's scope check (AZ-13): every
    participant the writers emitted, and every site it can hold: those in scope
    before the write, and those of its participants after it (a participant
    moved meanwhile is in both)."""
    ids = sorted(participants)
    sites = set(sites_before)
    for start in range(0, len(ids), _CHECK_BATCH):
        sites.update(
            Participant.objects.filter(
                pk__in=ids[start : start + _CHECK_BATCH]
            ).values_list("site_id", flat=True)
        )
    return {"sites": sorted(sites), "participants": ids}


def _notify_ready(job: ExportJob, now: dt.datetime) -> None:
    """The "your export is ready" mail, as an outbox row in the same
    transaction. It carries the export's id only, never data (DP-5)."""
    user = job.requested_by
    if not user.email:
        return
    Notification.objects.get_or_create(
        email=user.email,
        kind=Notification.Kind.EXPORT_READY,
        period=f"export:{job.pk}",
        defaults={
            "recipient": user,
            "payload": {"export_id": job.pk},
            "status": Notification.Status.PENDING,
            "due_at": now,
            "next_attempt_at": now,
        },
    )


@shared_task(acks_late=True)
def export_run(job_id: int) -> str:
    """Build one queued export (a worker, or in-process in eager mode)."""
    return export_job_run(job_id)


def dispatch_pending_exports(now: dt.datetime | None = None) -> int:
    """Hand queued export jobs to the workers; called by the beat dispatcher.
    Claims rows with SELECT ... FOR UPDATE SKIP LOCKED and marks them
    dispatched; if the broker is down they are released for the next round.
    Also expires old files. Returns how many jobs were handed out."""
    now = now or timezone.now()
    exports_expire(now=now)
    with transaction.atomic():
        ids = list(
            ExportJob.objects.select_for_update(skip_locked=True)
            .filter(status=Status.QUEUED)
            .filter(
                Q(dispatched_at__isnull=True)
                | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
            )
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:20]
        )
        ExportJob.objects.filter(pk__in=ids).update(dispatched_at=now)
    handed = 0
    for index, pk in enumerate(ids):
        try:
            export_run.delay(pk)
        except Exception:  # the broker is down: the rest wait for the next round
            logger.warning("Broker unavailable; %d exports wait", len(ids) - index)
            ExportJob.objects.filter(pk__in=ids[index:], status=Status.QUEUED).update(
                dispatched_at=None
            )
            break
        handed += 1
    return handed


def exports_expire(*, now: dt.datetime | None = None) -> int:
    """Delete files whose link has expired; their rows stay, marked expired."""
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(status=Status.DONE, expires_at__lt=now)
        .exclude(file_name="")
        .values_list("pk", "file_name")
    )
    for pk, name in expired:
        (export_dir() / name).unlink(missing_ok=True)
        ExportJob.objects.filter(pk=pk).update(status=Status.EXPIRED)
    return len(expired)


def export_file_path(job: ExportJob) -> Path | None:
    """The job's file, if it is still there."""
    if not job.file_name:
        return None
    path = export_dir() / Path(job.file_name).name
    return path if path.is_file() else None


def download_name(job: ExportJob) -> str:
    return (
        f"peerlog-export-{job.pk}-{job.level}.{exports.EXTENSIONS[Format(job.format)]}"
    )


EXPIRED = "expired"
REFUSED = "refused"


@dataclass(frozen=True)
class DownloadProblem:
    """Why a job's file may not be served: EXPIRED (gone, or never made) or
    REFUSED (the requester's scope no longer covers it), with the reason."""

    kind: str
    reason: str = ""


def export_download_check(
    *, user, job: ExportJob, now: dt.datetime
) -> DownloadProblem | None:
    """Why `user` may not download `job` now (None when they may): there is no
    file (a direct export keeps none), the link expired, or their whole scope
    no longer covers the file (AZ-13)."""
    if job.delivery != ExportJob.Delivery.JOB or not job.file_name:
        return DownloadProblem(EXPIRED)  # nothing to serve, so nothing to deny
    if job.status != Status.DONE or (job.expires_at and job.expires_at <= now):
        return DownloadProblem(EXPIRED)
    reason = export_scope_narrowed(user=user, job=job)
    return DownloadProblem(REFUSED, reason) if reason else None


# Participant ids per query when checking a file's participants (SQLite limits
# the parameters of one statement).
_CHECK_BATCH = 2000


def export_scope_narrowed(*, user, job: ExportJob) -> str | None:
    """What in the finished `job` `user` may no longer export, or None (AZ-13):
    its level, every site, cohort and mentor its filters name, every site and
    participant its rows come from (recorded when it was written), and each of
    those participants' research consent (AZ-14), all as they are now."""
    try:
        export_check(
            user=user, level=job.level, filters=ExportFilters.from_json(job.filters)
        )
    except ExportRefused as exc:
        return str(exc)
    covered = job.covered or {}
    if "sites" not in covered or "participants" not in covered:
        return "the file does not record what it holds"
    sites = set(covered["sites"])
    if sites - set(exports.export_sites(user).values_list("pk", flat=True)):
        return "a site of the file is outside the user's scope"
    readable = Participant.objects.visible_to(user).values("pk")
    ids = sorted(covered["participants"])
    for start in range(0, len(ids), _CHECK_BATCH):
        batch = Participant.objects.filter(pk__in=ids[start : start + _CHECK_BATCH])
        if batch.filter(has_research_consent=False).exists():
            return "a participant of the file no longer consents to research use"
        if batch.exclude(pk__in=readable).exists():
            return "a participant of the file is outside the user's scope"
    return None


def export_download_denied_record(
    *, request: HttpRequest, job: ExportJob, reason: str
) -> None:
    """Audit a refused download (AZ-13): the file stays unsent."""
    audit_record(
        request=request,
        action="export.denied",
        outcome="403",
        obj=job,
        details=_details(
            job, via="download", reason=reason, granted=export_level_for(request.user)
        ),
    )


def export_download_record(*, request: HttpRequest, job: ExportJob) -> None:
    audit_record(
        request=request,
        action="export.download",
        obj=job,
        details=_details(job, sha256=job.sha256, rows=job.row_count),
    )

"""Export jobs (JOB-1): a worker claims a queued job, builds the file under the
requester's rights as they are now (AZ-9), writes it to PEERLOG_EXPORT_DIR,
records rows, size, SHA-256 and what the file holds (AZ-13), and leaves the
"your export is ready" mail in the outbox. Old files expire."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from exports.files import EXTENSIONS, ExportResult
from exports.filters import ExportFilters, export_site_ids
from exports.models import ExportJob
from exports.records import finished_details, job_details, mark_done, mark_failed
from exports.request import ExportRequest
from exports.rights import ExportRefused
from notifications.models import Notification
from notifications.services import outbox_row, outbox_write
from participants.models import Participant

logger = logging.getLogger(__name__)

Format = ExportJob.Format
Status = ExportJob.Status

# A dispatched job that no worker started is handed out again after this.
REDISPATCH_AFTER = dt.timedelta(minutes=5)
# A running job whose worker stopped reporting progress is taken over after this.
STALE_AFTER = dt.timedelta(minutes=15)
# Participant ids per query when reading or checking a file's participants
# (SQLite limits the parameters of one statement).
CHECK_BATCH = 2000


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
    export = ExportRequest.build(
        user=job.requested_by,
        filters=ExportFilters.from_json(job.filters),
        level=job.level,
        fmt=job.format,
    )
    try:
        export.check()  # a refusal is recorded on the job (_refuse)
    except ExportRefused as exc:
        _refuse(job, export, exc)
        return "refused"
    # The sites the file can hold, read before it is written (AZ-13): the
    # scope may narrow while the writers run, and must not hide a site.
    sites_before = export_site_ids(export.user, export.filters)
    name = f"{job.pk}-{secrets.token_hex(8)}.{EXTENSIONS[Format(job.format)]}"
    try:
        result = _write_file(job, export, export_dir() / name)
    except Exception as exc:
        logger.exception("export %s failed", job.pk)
        mark_failed(job, exc)
        return "failed"
    covered = _covered(result.participants, sites_before)
    return _finish(job, result, name=name, covered=covered)


def _refuse(job: ExportJob, export: ExportRequest, exc: ExportRefused) -> None:
    """The job stops: its requester's right no longer covers it (AZ-9)."""
    with transaction.atomic():
        job.status = Status.REFUSED
        job.error = str(exc)[:300]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        audit_record(
            request=None,
            actor=export.user,
            action="export.refused",
            outcome="403",
            obj=job,
            details=job_details(job, reason=str(exc), granted=export.granted),
        )


def _write_file(job: ExportJob, export: ExportRequest, final: Path) -> ExportResult:
    """The file under a temporary name, synced, then renamed to `final`;
    progress on the job row as it goes. No partial file is left behind."""
    partial = final.with_name(final.name + ".part")

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).update(
            progress_rows=rows, heartbeat_at=timezone.now()
        )

    try:
        with open(partial, "wb") as out:
            result = export.write(out, progress=progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, final)
    except Exception:
        partial.unlink(missing_ok=True)
        raise
    return result


def _finish(job: ExportJob, result: ExportResult, *, name: str, covered: dict) -> str:
    """Record, audit and announce the file, unless the job was taken over or
    stopped meanwhile (then the file goes)."""
    final = export_dir() / name
    finished = timezone.now()
    with transaction.atomic():
        if not ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING).exists():
            final.unlink(missing_ok=True)  # taken over or stopped meanwhile
            return "skipped"
        mark_done(
            job,
            result,
            file_name=name,
            now=finished,
            expires_at=finished + link_lifetime(),
            covered=covered,
        )
        audit_record(
            request=None,
            actor=job.requested_by,
            action="export",
            obj=job,
            details=finished_details(job),
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
    for start in range(0, len(ids), CHECK_BATCH):
        sites.update(
            Participant.objects.filter(
                pk__in=ids[start : start + CHECK_BATCH]
            ).values_list("site_id", flat=True)
        )
    return {"sites": sorted(sites), "participants": ids}


def _notify_ready(job: ExportJob, now: dt.datetime) -> None:
    """The "your export is ready" mail, as an outbox row in the same
    transaction. It carries the export's id only, never data (DP-5)."""
    user = job.requested_by
    if not user.email:
        return
    outbox_write(
        [
            outbox_row(
                kind=Notification.Kind.EXPORT_READY,
                user=user,
                email=user.email,
                period=f"export:{job.pk}",
                due=now,
                payload={"export_id": job.pk},
            )
        ]
    )


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

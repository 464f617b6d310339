"""Serving a job's file: whether `user` may download it now (AZ-13), where it
is, and what it is called."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from exports.files import EXTENSIONS
from exports.filters import ExportFilters
from exports.jobs import CHECK_BATCH, export_dir
from exports.models import ExportJob
from exports.rights import ExportRefused, export_check, export_sites
from participants.models import Participant

Format = ExportJob.Format
Status = ExportJob.Status

EXPIRED = "expired"
REFUSED = "refused"


def export_file_path(job: ExportJob) -> Path | None:
    """The job's file, if it is still there."""
    if not job.file_name:
        return None
    path = export_dir() / Path(job.file_name).name
    return path if path.is_file() else None


def download_name(job: ExportJob) -> str:
    return f"peerlog-export-{job.pk}-{job.level}.{EXTENSIONS[Format(job.format)]}"


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
    if sites - set(export_sites(user).values_list("pk", flat=True)):
        return "a site of the file is outside the user's scope"
    readable = Participant.objects.visible_to(user).values("pk")
    ids = sorted(covered["participants"])
    for start in range(0, len(ids), CHECK_BATCH):
        batch = Participant.objects.filter(pk__in=ids[start : start + CHECK_BATCH])
        if batch.filter(has_research_consent=False).exists():
            return "a participant of the file no longer consents to research use"
        if batch.exclude(pk__in=readable).exists():
            return "a participant of the file is outside the user's scope"
    return None

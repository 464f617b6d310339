"""Export tasks: thin, take ids, call one service (STYLE.md). A job is a row
first (JOB-1); the beat dispatcher hands queued rows to the workers through
`dispatch_pending_exports`, registered in ExportsConfig.ready()."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from exports.jobs import REDISPATCH_AFTER, export_job_run, exports_expire
from exports.models import ExportJob

logger = logging.getLogger(__name__)

Status = ExportJob.Status


# The old registered name: a message already queued, or redelivered after a
# worker died mid-job (acks_late), names the task by it (issue 12).
@shared_task(name="logs_app.export_jobs.export_run", acks_late=True)
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

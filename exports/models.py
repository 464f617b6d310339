"""Research export: who may export at which level (EXP-1), and one row per export
file made (a job for large files, a record for small ones sent at once).

The tables keep their logs_app_* names: the models moved here from logs_app
(issue 12) without touching the database (migrations/0001_initial.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExportLevel(models.TextChoices):
    """What an export may contain (SECURITY EXP-1), from least to most."""

    NONE = "none", _("No export")
    CODED = "coded", _("Coded: structured fields only")
    TEXT = "text", _("With text: adds narratives and reflections")
    FULL = "full", _("Full: adds study IDs and preferred names (admins only)")


LEVEL_RANK = {
    ExportLevel.NONE: 0,
    ExportLevel.CODED: 1,
    ExportLevel.TEXT: 2,
    ExportLevel.FULL: 3,
}


class ExportRight(models.Model):
    """A person's export right, separate from what they may read (EXP-1).
    Without a row, research staff may not export; "full" is honoured for
    program admins only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_right",
        verbose_name=_("user"),
    )
    level = models.CharField(
        _("export level"),
        max_length=8,
        choices=ExportLevel.choices,
        default=ExportLevel.NONE,
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted on"))
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("For example the approval or protocol this right rests on."),
    )

    class Meta:
        db_table = "logs_app_exportright"
        verbose_name = _("export right")
        verbose_name_plural = _("export rights")

    def __str__(self) -> str:
        return f"{self.user}: {self.level}"


class ExportJob(models.Model):
    """One export: what was asked (level, format, filters), how it went, and what
    came out (rows, columns, SHA-256, file). Small exports are built in the
    request and sent at once (delivery "direct", no file kept); large ones are
    queued here and built by a worker (JOB-1)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Stopped: export right changed")
        EXPIRED = "expired", _("Expired")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV, one row per log")
        LONG = "long", _("Long CSV, one row per log and option")
        XLSX = "xlsx", _("Excel workbook (XLSX) with codebook")
        PACKAGE = "package", _("Data package (zip: CSVs, schema, codebook)")

    class Delivery(models.TextChoices):
        DIRECT = "direct", _("Downloaded at once")
        JOB = "job", _("Prepared in the background")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="export_jobs",
    )
    created_at = models.DateTimeField()
    level = models.CharField(max_length=8, choices=ExportLevel.choices)
    format = models.CharField(max_length=8, choices=Format.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    # The page's filters as plain JSON (ids, ISO dates), re-checked when it runs.
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # Handed to a worker at (the dispatcher hands it again if it never started).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    progress_rows = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    # Logs left out and why, e.g. {"no_participant_consent": 3, "voided": 1}.
    excluded = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(default=list, blank=True)
    # What the file holds, recorded when a job writes it: {"sites": [ids],
    # "participants": [ids]}. A download re-checks the requester's scope against
    # it (AZ-13); a job without it (older than this record) is not served.
    covered = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "logs_app_exportjob"
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        constraints = [
            # A finished file always says how many rows and what checksum.
            models.CheckConstraint(
                condition=~Q(status="done")
                | (Q(row_count__isnull=False) & ~Q(sha256="")),
                name="exportjob_done_has_rows_and_checksum",
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="export_by_user"),
            models.Index(
                fields=["created_at"],
                condition=Q(status__in=["queued", "running"]),
                name="export_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.level}) {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (
            self.Status.DONE,
            self.Status.FAILED,
            self.Status.REFUSED,
            self.Status.EXPIRED,
        )

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.expected_rows:
            return 0
        return min(99, int(100 * self.progress_rows / self.expected_rows))

"""An enrolment import (issue 17): one uploaded file of participants, its
checksum and what it would change (the plan), previewed before anything is
written and applied at most once."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ParticipantImport(models.Model):
    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="participant_imports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    filename = models.CharField(_("file name"), max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("bytes"))
    # programs.imports.Plan as JSON: the file's rows as read, and the rows to
    # add, to change (before -> after), unchanged, and the errors by cell.
    plan = models.JSONField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PREVIEWED
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("participant import")
        verbose_name_plural = _("participant imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"

    def audit_scope(self) -> tuple[int | None, int | None]:
        sites = self.plan.get("sites") or [None]
        return (sites[0] if len(sites) == 1 else None), None

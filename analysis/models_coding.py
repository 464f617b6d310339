"""The codebook, the coders' work and its settlement (issue 15).

The codebook is versioned: every change makes a new `CodebookVersion` with its
reason and a snapshot of the codes as they then stood. A coder codes a text
independently (`Coding`: a code on a passage, or on the whole answer when
`start` is empty) and marks the text finished (`CoderText`); with blinding on,
nobody sees another's codes on a text until both have finished it. An
adjudicator settles each disagreement (`Consensus`, one current decision per
text and code, earlier ones kept as history). Exports use the final code set:
codes all finishing coders agree on, overridden by consensus decisions."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from analysis.models import Project, Text


class CodebookVersion(models.Model):
    """A version of a project's codebook: number, why it changed, and the
    codes as they stood (a JSON snapshot, for history and re-coding)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="codebook_versions"
    )
    number = models.PositiveIntegerField()
    reason = models.TextField(_("reason for the change"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    snapshot = models.JSONField(default=list)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="analysis_codebook_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class Category(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(default=0)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="analysis_category_name_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Code(models.Model):
    """A code with the four parts of a good definition. Retired codes stay
    (their codings are history) but are not offered for new coding."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="codes")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="codes"
    )
    name = models.CharField(_("name"), max_length=120)
    definition = models.TextField(_("definition"))
    when_to_use = models.TextField(_("when to use"), blank=True)
    when_not_to_use = models.TextField(_("when not to use"), blank=True)
    example = models.TextField(_("example"), blank=True)
    color = models.CharField(_("colour"), max_length=7, default="#0d6efd")
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    added_in = models.PositiveIntegerField(default=1)
    changed_in = models.PositiveIntegerField(default=1)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"], name="analysis_code_name_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Coding(models.Model):
    """One coder applying one code to a text: to a passage [start, end) of
    its body, or to the whole answer (start and end empty)."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="codings")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="codings")
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    codebook_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, start__lt=models.F("end")),
                name="analysis_coding_span",
            ),
            models.UniqueConstraint(
                fields=["text", "coder", "code"],
                condition=Q(start__isnull=True),
                name="analysis_coding_whole_once",
            ),
            models.UniqueConstraint(
                fields=["text", "coder", "code", "start", "end"],
                name="analysis_coding_span_once",
            ),
        ]
        indexes = [models.Index(fields=["code", "text", "coder"])]

    def __str__(self) -> str:
        return f"T{self.text_id} {self.code_id}"


class CoderText(models.Model):
    """A coder's progress on a text: finished (with the codebook version it
    was coded under) or not yet."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="coders")
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    codebook_version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["text", "coder"], name="analysis_coder_text"
            )
        ]
        indexes = [
            models.Index(fields=["coder", "finished_at"]),
            # "Coded under an older codebook version": a short range per coder.
            models.Index(
                fields=["coder", "codebook_version"],
                condition=Q(finished_at__isnull=False),
                name="analysis_coder_text_version",
            ),
        ]

    def __str__(self) -> str:
        return f"T{self.text_id} by {self.coder_id}"


class Memo(models.Model):
    """A note of the analysis: on a text, on a code, or on the project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.ForeignKey(
        Text, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    body = models.TextField(_("memo"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"memo {self.pk}"


class Consensus(models.Model):
    """An adjudicator's decision on whether a code applies to a text, with the
    note that says why. A new decision supersedes the current one; the old
    rows stay as the history."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="consensus")
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="consensus")
    applies = models.BooleanField()
    note = models.TextField(_("note"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()
    codebook_version = models.PositiveIntegerField()
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("consensus decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["text", "code"],
                condition=Q(superseded_at__isnull=True),
                name="analysis_consensus_current_once",
            )
        ]

    def __str__(self) -> str:
        return f"T{self.text_id} {self.code_id} {self.applies}"


class Quote(models.Model):
    """An exemplary quote for a code: a passage of a text, or the whole."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="quotes")
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="quotes")
    start = models.PositiveIntegerField(null=True, blank=True)
    end = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(_("why this quote"), blank=True)
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    chosen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["text", "code", "start", "end"], name="analysis_quote_once"
            ),
            # NULLs are distinct in the constraint above: the whole text once.
            models.UniqueConstraint(
                fields=["text", "code"],
                condition=Q(start__isnull=True),
                name="analysis_quote_whole_once",
            ),
            models.CheckConstraint(
                condition=Q(start__isnull=True, end__isnull=True)
                | Q(start__isnull=False, end__isnull=False, start__lt=models.F("end")),
                name="analysis_quote_span",
            ),
        ]

    def __str__(self) -> str:
        return f"T{self.text_id} {self.code_id}"

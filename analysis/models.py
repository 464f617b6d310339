"""Reflection analysis (issue 15): who may analyse, the analysis projects and
their frozen texts, screening, and the members who screen, code and settle.

A project is a research question over the reflections mentors consented to
research use of, about participants with research consent, at sites the
creator may analyse. Its texts are a snapshot taken when the project is made
(later edits of a log never move coded text; "add new texts" appends a new
batch). Texts carry pseudonyms only, and names of the program's people found
inside a text are masked in the snapshot. The codebook, codings, consensus and
quotes are in `analysis.models_coding`."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logs_app.models import InteractionLog
from participants.models import Cohort, Site

# The reflection questions a project may analyse (logs_app.fields.REFLECTION_FIELDS
# without "concern", which is a safety matter for the supervisor, not research).
REFLECTION_CHOICES = [
    ("reflection_feelings", _("How the contact affected the mentor")),
    ("reflection_concerns", _("Questions for the supervisor")),
]
DEFAULT_EXCLUSION_REASONS = [
    "Nothing about the mentor role",
    "Too short or unclear to code",
    "Not a reflection on this contact",
]


def default_exclusion_reasons() -> list[str]:
    return list(DEFAULT_EXCLUSION_REASONS)


class AnalysisRight(models.Model):
    """The right to analyse reflections at one site ("analyse reflections"),
    separate from reading logs and from exporting. Granted in the admin;
    every grant and withdrawal is audited (trigger and audit event)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="analysis_rights",
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="analysis_rights"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    basis = models.CharField(
        _("basis"),
        max_length=200,
        blank=True,
        help_text=_("For example the ethics approval this right rests on."),
    )

    class Meta:
        verbose_name = _("analysis right")
        verbose_name_plural = _("analysis rights")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "site"], name="analysis_right_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.site.code}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.site_id, None


class Project(models.Model):
    """An analysis project: a question, the filters that chose its texts, and
    how the work is done (blind coding, one or two screeners)."""

    name = models.CharField(_("name"), max_length=200)
    question = models.TextField(_("research question"))
    field = models.CharField(
        _("reflection question"),
        max_length=40,
        choices=REFLECTION_CHOICES,
        default="reflection_feelings",
    )
    sites = models.ManyToManyField(Site, related_name="analysis_projects")
    cohorts = models.ManyToManyField(
        Cohort,
        blank=True,
        related_name="analysis_projects",
        help_text=_("Leave empty for every cohort of the chosen sites."),
    )
    date_from = models.DateField(_("contacts from"), null=True, blank=True)
    date_to = models.DateField(_("contacts up to"), null=True, blank=True)
    blinded = models.BooleanField(
        _("blind coding"),
        default=True,
        help_text=_(
            "Coders see each other's codes on a text only once both have finished it."
        ),
    )
    double_screening = models.BooleanField(
        _("two screeners"),
        default=False,
        help_text=_("Every text is screened by two people; disagreements are settled."),
    )
    exclusion_reasons = models.JSONField(default=default_exclusion_reasons)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    snapshot_at = models.DateTimeField(_("texts last added"), null=True)
    # The flow diagram's first counts at the last snapshot (analysis.snapshot.Flow).
    flow = models.JSONField(default=dict)
    # Texts screened in, kept by analysis.screening (the one place that sets a
    # text's screening), so coding pages need not count 100,000 texts.
    included_count = models.PositiveIntegerField(default=0)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        verbose_name = _("analysis project")
        verbose_name_plural = _("analysis projects")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None


class Member(models.Model):
    """Someone working on a project, and what they do in it."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="analysis_memberships",
    )
    codes = models.BooleanField(_("codes texts"), default=True)
    screens = models.BooleanField(_("screens texts"), default=False)
    adjudicates = models.BooleanField(_("settles disagreements"), default=False)
    added_at = models.DateTimeField(auto_now_add=True)
    # Texts this member has finished, kept by analysis.coding (finish, reopen).
    finished_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="analysis_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None


class Text(models.Model):
    """One reflection as it stood when it was added to the project: masked
    text, pseudonyms and the log's attributes, never the live log."""

    class Screening(models.TextChoices):
        PENDING = "pending", _("Not screened yet")
        INCLUDED = "included", _("Included")
        EXCLUDED = "excluded", _("Excluded")
        DISAGREED = "disagreed", _("Screeners disagree")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="texts")
    log = models.ForeignKey(
        InteractionLog, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    field = models.CharField(max_length=40, choices=REFLECTION_CHOICES)
    body = models.TextField()
    masked = models.PositiveIntegerField(
        default=0, help_text=_("How many names were masked in the snapshot.")
    )
    mentor_key = models.CharField(max_length=32)
    participant_key = models.CharField(max_length=32)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, null=True, related_name="+"
    )
    contact_date = models.DateField()
    contact_mode = models.CharField(max_length=40, blank=True)
    role_functions = models.JSONField(default=list)
    batch = models.PositiveSmallIntegerField(default=1)
    added_at = models.DateTimeField(auto_now_add=True)
    screening = models.CharField(
        max_length=10, choices=Screening.choices, default=Screening.PENDING
    )
    screening_reason = models.CharField(max_length=200, blank=True)
    guid = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "log", "field"], name="analysis_text_once"
            )
        ]
        indexes = [models.Index(fields=["project", "screening", "id"])]

    def __str__(self) -> str:
        return f"T{self.pk}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return self.site_id, None


class ScreeningDecision(models.Model):
    """One screener's include or exclude of one text, with the reason."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="decisions")
    screener = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    include = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField()
    settles = models.BooleanField(
        default=False, help_text=_("An adjudicator's decision settling a disagreement.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["text", "screener", "settles"], name="analysis_screen_once"
            ),
            models.CheckConstraint(
                condition=Q(include=True) | ~Q(reason=""),
                name="analysis_exclude_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"T{self.text_id} {'in' if self.include else 'out'}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None


# The codebook and the coders' work live in their own module; imported here so
# Django finds them (they import Project and Text from above).
from analysis.models_coding import (  # noqa: E402, F401
    Category,
    Code,
    CodebookVersion,
    CoderText,
    Coding,
    Consensus,
    Memo,
    Quote,
)

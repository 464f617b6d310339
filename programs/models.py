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


class Invitation(models.Model):
    """An invitation to Peerlog by e-mail (issue 17): a role and sites, and a
    single-use link that expires. The link's secret is never stored: it is an
    HMAC of the invitation and its nonce (programs.invitations.invitation_token),
    and a new nonce (resend, revoke) kills every earlier link."""

    class Role(models.TextChoices):
        MENTOR = "mentor", _("Peer mentor")
        SUPERVISOR = "supervisor", _("Supervisor")
        RESEARCH = "research", _("Research staff")

    email = models.EmailField(_("e-mail"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    sites = models.ManyToManyField(
        "participants.Site", related_name="invitations", verbose_name=_("sites")
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    nonce = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitation",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Who they work with: a mentor's supervisor, or the mentors a supervisor
    # takes on. Applied when the invitation is accepted.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("their supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    mentors = models.ManyToManyField(
        "mentors.Mentor",
        blank=True,
        related_name="+",
        verbose_name=_("mentors they supervise"),
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, None

    def state(self, now) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"

"""The outbox and each person's mail preferences. Moved from logs_app with
their tables unchanged (issue 12)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """The outbox. One row per mail to send: written in the same transaction as
    what causes it (or by the dispatcher for scheduled mail), unique per
    (recipient address, kind, period), so retries and duplicate schedules can
    never send twice. Rows hold ids, never narrative text (DP-5)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Mentor reminder")
        DIGEST = "digest", _("Supervisor digest")
        SAFETY_ALERT = "safety_alert", _("Safety alert")
        EXPORT_READY = "export_ready", _("Export ready")
        FOLLOWUP_OVERDUE = "followup_overdue", _("Overdue follow-up item")
        INVITATION = "invitation", _("Invitation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Nothing to say")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # The address at the time of writing (a site's backup contact has no user).
    email = models.EmailField()
    # What the mail is about, e.g. "2026-W47", "2026-11-22", "log:123".
    period = models.CharField(max_length=40)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    due_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "logs_app_notification"  # kept from before the move (issue 12)
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "kind", "period"], name="notification_once_per_period"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.email} ({self.period})"


class NotificationPreference(models.Model):
    """Each person's choice of optional mail. Reminders and safety alerts are
    not optional; the digest is (weekly, daily or off)."""

    class DigestFrequency(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        DAILY = "daily", _("Daily")
        OFF = "off", _("Off")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mail_preference",
    )
    digest = models.CharField(
        _("supervisor digest"),
        max_length=6,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WEEKLY,
    )
    # Secret for one-click unsubscribe links (no login needed to opt out).
    unsubscribe_token = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False
    )

    class Meta:
        db_table = "logs_app_notificationpreference"  # kept (issue 12)
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")

    def __str__(self) -> str:
        return f"{self.user}: digest {self.digest}"

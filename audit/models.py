"""The audit trail's tables (AUD-1, AUD-2). They moved here from logs_app
with their tables unchanged (issue 12). Site and mentor are named by string:
audit sits below participants and mentors and never imports them."""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """Append-only record of security and data events (AUD-1): who did what, in
    which role, when (UTC), where from, about what, with what outcome. Never
    holds narrative text or participant details. On PostgreSQL a trigger
    refuses UPDATE, DELETE and TRUNCATE of this table (AUD-3, audit.triggers)."""

    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The actor's roles when it happened, e.g. "mentor" or "admin,supervisor".
    roles = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=40)
    outcome = models.CharField(max_length=20, default="ok")
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    # Where it applies (the log's or participant's site); a reference that
    # outlives its target, since audit rows are never changed.
    site = models.ForeignKey(
        "participants.Site",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The mentor the event concerns (their log, their assignment, or the mentor
    # acting): what a supervisor's audit view is scoped by (AUD-4).
    mentor = models.ForeignKey(
        "mentors.Mentor",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    path = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=8, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # One id per HTTP request, also sent as the X-Request-ID response header.
    request_id = models.UUIDField(null=True, blank=True, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        # The table keeps the name it had in logs_app (issue 12: moved by
        # migration state only; the triggers and grants name it).
        db_table = "logs_app_auditevent"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["mentor", "-at"], name="audit_mentor_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.outcome}"


class DataChange(models.Model):
    """Row-level history written by database triggers, not by Python (AUD-2):
    every UPDATE and DELETE of a log, participant, assignment or mentor, and
    every change of a rights table, whatever code path ran it. `old_values`
    and `new_values` are the whole row; preferred names are never copied, only
    marked "[changed]". Append-only on PostgreSQL (AUD-3)."""

    table_name = models.CharField(max_length=63)
    row_id = models.CharField(max_length=40)
    operation = models.CharField(max_length=6)  # INSERT, UPDATE or DELETE
    changed_at = models.DateTimeField()
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    # PostgreSQL: the database role, and the app user and request when the
    # service set them for the transaction (audit.context.db_actor_set).
    db_user = models.CharField(max_length=63, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    request_id = models.UUIDField(null=True, blank=True)

    class Meta:
        db_table = "logs_app_datachange"  # as for AuditEvent
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["table_name", "row_id"], name="datachange_row")]

    def __str__(self) -> str:
        return f"{self.operation} {self.table_name} {self.row_id}"

    @property
    def changes(self) -> dict[str, list]:
        """{column: [before, after]} for the columns that differ."""
        old, new = self.old_values or {}, self.new_values or {}
        return {
            key: [old.get(key), new.get(key)]
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        }

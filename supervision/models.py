"""Follow-up items and supervision meetings (issue 14).

A follow-up item is what a filed log asks a supervisor to do something about:
a safety flag, a concern, a request to talk. One item per log and kind. It has
an owner (the mentor's supervisor; reassignable to the site lead), a state
(open → in progress → resolved), a due time (a safety flag the same day in the
site's time; the rest by the next supervision meeting) and, once resolved, the
follow-up note that says what was done. An overdue item is escalated to the
site lead once (`escalated_at`).

A supervision meeting is planned from the agenda, then held: who attended,
which items and logs were discussed, and the actions agreed, each tracked to
done and carried into later agendas until then."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from logs_app.models import InteractionLog
from mentors.models import Mentor
from participants.models import Site


class FollowUpItem(models.Model):
    class Kind(models.TextChoices):
        SAFETY = "safety", _("Safety flag")
        CONCERN = "concern", _("Concern")
        TALK = "talk", _("Request to talk")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")

    log = models.ForeignKey(
        InteractionLog, on_delete=models.PROTECT, related_name="followups"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    # The log's, kept on the item so lists filter and escalate without joins.
    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="followups_owned",
        verbose_name=_("owner"),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.OPEN
    )
    opened_at = models.DateTimeField(_("opened"))
    due_at = models.DateTimeField(_("due"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution_note = models.TextField(_("follow-up note"), blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    # When the mentor later took back what raised the item (unticked the flag,
    # emptied the concern): the item stays, and says so (supervision.items).
    source_cleared_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Optimistic locking: a change names the version it was made on.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("follow-up item")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "kind"], name="followup_one_per_log_and_kind"
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved")
                | (Q(resolved_at__isnull=False) & ~Q(resolution_note="")),
                name="followup_resolved_has_note",
            ),
        ]
        indexes = [
            models.Index(
                fields=["owner", "due_at"],
                condition=~Q(state="resolved"),
                name="followup_open_by_owner",
            ),
            models.Index(
                fields=["site", "due_at"],
                condition=~Q(state="resolved"),
                name="followup_open_by_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · log {self.log_id}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this item concerns."""
        return self.site_id, self.mentor_id


class SupervisionMeeting(models.Model):
    """One supervision meeting between a supervisor and a mentor."""

    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="supervision_meetings",
        verbose_name=_("supervisor"),
    )
    mentor = models.ForeignKey(
        Mentor,
        on_delete=models.PROTECT,
        related_name="supervision_meetings",
        verbose_name=_("mentor"),
    )
    planned_for = models.DateTimeField(_("planned for"))
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("attended"),
    )
    others_attending = models.CharField(
        _("others who attended"), max_length=200, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    items = models.ManyToManyField(
        FollowUpItem,
        blank=True,
        related_name="meetings",
        verbose_name=_("items discussed"),
    )
    logs = models.ManyToManyField(
        InteractionLog,
        blank=True,
        related_name="supervision_meetings",
        verbose_name=_("logs discussed"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("supervision meeting")
        ordering = ["-planned_for", "-pk"]
        indexes = [models.Index(fields=["mentor", "planned_for"])]

    def __str__(self) -> str:
        return f"{self.mentor} · {self.planned_for:%Y-%m-%d}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        return None, self.mentor_id


class MeetingAction(models.Model):
    """An action agreed in a meeting, tracked to done; carried into every
    later agenda of that mentor until done."""

    meeting = models.ForeignKey(
        SupervisionMeeting, on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    due_on = models.DateField(_("by"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("agreed action")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text

import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.roles import Role, user_roles
from participants.models import Participant, Site, home_site, participant_site_id


class MentorQuerySet(models.QuerySet):
    def visible_to(self, user) -> "MentorQuerySet":
        """Mentor profiles `user` may see: their own, the ones they supervise, or
        those working at a research staff member's granted sites."""
        roles = user_roles(user)
        if Role.ADMIN in roles:
            return self.all()
        scope = Q(pk__in=[])
        if Role.MENTOR in roles:
            scope |= Q(user=user)
        if Role.SUPERVISOR in roles:
            scope |= Q(supervisor=user)
        if Role.RESEARCH in roles:
            scope |= Q(
                pk__in=self.model.objects.filter(
                    sites__access_grants__user=user
                ).values("pk")
            )
        return self.filter(scope)


class Mentor(models.Model):
    """A peer mentor's profile. The login is Django's User."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="mentor_profile",
    )
    sites = models.ManyToManyField(
        Site, related_name="mentors", verbose_name=_("sites")
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supervisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_mentors",
        limit_choices_to={"groups__name": Role.SUPERVISOR.value},
    )
    is_active = models.BooleanField(_("active"), default=True)
    reflections_consent_at = models.DateTimeField(
        _("consented to research use of reflections on"),
        null=True,
        blank=True,
        help_text=_(
            "Reflections carry the mentor's own lived experience: they are exported "
            "for research only when this is set."
        ),
    )

    objects = MentorQuerySet.as_manager()

    class Meta:
        ordering = ["user__first_name", "user__last_name", "user__username"]
        verbose_name = _("mentor")
        verbose_name_plural = _("mentors")
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=F("user")), name="mentor_not_own_supervisor"
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this mentor concerns."""
        return None, self.pk


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AssignmentQuerySet":
        return self.filter(mentor__in=Mentor.objects.visible_to(user))

    def active_on(self, day) -> "AssignmentQuerySet":
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day
        )


class Assignment(models.Model):
    """A mentor is assigned to a participant from start_date to end_date
    (inclusive; open-ended when end_date is empty)."""

    mentor = models.ForeignKey(
        Mentor, on_delete=models.PROTECT, related_name="assignments"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="assignments"
    )

    class EndReason(models.TextChoices):
        REASSIGNED = "reassigned", _("Handed over to another mentor")
        COMPLETED = "completed", _("Participant completed the program")
        WITHDRAWN = "withdrawn", _("Participant withdrew")
        MENTOR_LEFT = "mentor_left", _("Mentor left or is on leave")
        MATCH = "match", _("Not a good match")
        OTHER = "other", _("Other (recorded in the study file)")

    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(
        _("reason it ended"), max_length=16, choices=EndReason.choices, blank=True
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="assignment_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["mentor", "participant", "start_date"],
                name="assignment_unique_start",
            ),
        ]
        indexes = [models.Index(fields=["mentor", "start_date"])]

    def __str__(self) -> str:
        return f"{self.mentor} → {self.participant}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this assignment concerns."""
        return participant_site_id(self), self.mentor_id

    def covers(self, day) -> bool:
        return self.start_date <= day and (
            self.end_date is None or day <= self.end_date
        )


def mentor_tz(mentor: Mentor) -> zoneinfo.ZoneInfo:
    """The mentor's home time zone: their home site's (`home_site`); UTC without one.
    Expects `sites` to be prefetched when called in a loop."""
    site = home_site(mentor.sites.all())
    return site.tzinfo if site else zoneinfo.ZoneInfo("UTC")

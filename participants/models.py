import datetime as dt
import zoneinfo
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.roles import Role, user_roles


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a known time zone."), params={"value": value}
        )


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Site(models.Model):
    """A place where the program runs. Weeks and dates are in its time zone."""

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("site lead"),
        help_text=_("Receives escalations for this site."),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_sites",
    )
    safety_backup_email = models.EmailField(
        _("safety backup contact"),
        blank=True,
        help_text=_("Also alerted when a mentor raises a safety concern."),
    )
    # The weekly rhythm, in the site's own time zone (weekday: Monday = 0).
    reminder_weekday = models.PositiveSmallIntegerField(
        _("mentor reminder day"), choices=WEEKDAYS, default=4
    )
    reminder_time = models.TimeField(_("mentor reminder time"), default=dt.time(15, 0))
    digest_weekday = models.PositiveSmallIntegerField(
        _("supervisor digest day"), choices=WEEKDAYS, default=0
    )
    digest_time = models.TimeField(_("supervisor digest time"), default=dt.time(8, 0))
    escalation_days = models.PositiveSmallIntegerField(
        _("escalate unreviewed logs after (days)"),
        default=7,
        help_text=_(
            "Logs waiting longer than this go to the site lead in the next digest."
        ),
    )
    caseload_limit = models.PositiveSmallIntegerField(
        _("caseload warning at"),
        default=12,
        help_text=_(
            "Assigning a mentor more participants than this asks the lead to confirm."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_weekday__lte=6, digest_weekday__lte=6),
                name="site_weekdays_valid",
            ),
            models.CheckConstraint(
                condition=Q(escalation_days__gte=1), name="site_escalation_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this site concerns."""
        return self.pk, None


class Cohort(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(_("name"), max_length=120)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    # The protocol's planned contacts, counted from each participant's
    # enrolment date: `planned_contacts` of them, one every `contact_every_days`
    # days, each delivered if a contact falls within `window_days` either side.
    planned_contacts = models.PositiveSmallIntegerField(
        _("planned contacts"),
        default=0,
        help_text=_("How many contacts the protocol plans; 0 when it plans none."),
    )
    contact_every_days = models.PositiveSmallIntegerField(
        _("one contact every (days)"), default=7
    )
    window_days = models.PositiveSmallIntegerField(
        _("window either side (days)"), default=3
    )
    planned_minutes = models.PositiveSmallIntegerField(
        _("planned minutes per contact"), null=True, blank=True
    )

    class Meta:
        ordering = ["site__name", "start_date"]
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "name"], name="cohort_unique_name_per_site"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="cohort_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(contact_every_days__gte=1),
                name="cohort_contact_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site.code} · {self.name}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this cohort concerns."""
        return self.site_id, None


class SiteAccess(models.Model):
    """Grants a supervisor or research staff member access to one site's data.

    Fails closed: staff without a row here see nothing (AZ-3)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_access"
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="access_grants"
    )

    class Meta:
        verbose_name = _("site access")
        verbose_name_plural = _("site access")
        constraints = [
            models.UniqueConstraint(fields=["user", "site"], name="site_access_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.site.code}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this grant concerns."""
        return self.site_id, None


class ParticipantQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ParticipantQuerySet":
        """Participants `user` may know exist.

        Admins: all. Mentors: those ever assigned to them. Supervisors: those
        assigned to mentors they supervise. Research staff: those at their granted
        sites whose consent covers research use (AZ-14). Anyone else: none.
        Assignments are reached by reverse lookup, so this app does not import
        `mentors`."""
        roles = user_roles(user)
        if Role.ADMIN in roles:
            return self.all()
        scope = Q(pk__in=[])
        if Role.MENTOR in roles:
            scope |= Q(
                pk__in=self.model.objects.filter(assignments__mentor__user=user).values(
                    "pk"
                )
            )
        if Role.SUPERVISOR in roles:
            scope |= Q(
                pk__in=self.model.objects.filter(
                    assignments__mentor__supervisor=user
                ).values("pk")
            )
        if Role.RESEARCH in roles:
            scope |= Q(
                site__in=SiteAccess.objects.filter(user=user).values("site"),
                has_research_consent=True,
            )
        return self.filter(scope)


class Participant(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    study_id = models.CharField(
        _("study ID"),
        max_length=32,
        unique=True,
        help_text=_("Pseudonymous study identifier, e.g. NYC-0042. Never a name."),
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="participants"
    )
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    preferred_name = models.CharField(
        _("preferred name"),
        max_length=80,
        blank=True,
        help_text=_(
            "Optional. Shown only to the assigned mentor and their supervisor; "
            "never exported by default."
        ),
    )
    enrolled_on = models.DateField(_("enrolment date"), default=date.today)
    quit_date = models.DateField(_("quit date"), null=True, blank=True)
    has_research_consent = models.BooleanField(
        _("consent covers research use"),
        default=False,
        help_text=_(
            "If not, research staff neither read nor export this participant's logs."
        ),
    )
    erased_at = models.DateTimeField(
        _("erased"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When an erasure request removed their name and free text."),
    )

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["study_id"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.CheckConstraint(
                condition=~Q(study_id=""), name="participant_study_id_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.study_id

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this participant concerns."""
        return self.site_id, None


class Pause(models.Model):
    """A period a participant was paused, from `start` to `end` (inclusive
    site-local dates; open while `end` is empty). The protocol plans no
    contacts in it. Written when the status changes (programs.lifecycle)."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="pauses"
    )
    start = models.DateField(_("paused from"))
    end = models.DateField(_("paused until"), null=True, blank=True)

    class Meta:
        ordering = ["participant", "start"]
        verbose_name = _("pause")
        verbose_name_plural = _("pauses")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="pause_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(end__isnull=True),
                name="pause_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} paused {self.start}–{self.end or ''}"


def participant_site_id(holder: models.Model) -> int | None:
    """The site of `holder.participant` (a log or an assignment), for its audit
    rows: from the participant already loaded, else one small query."""
    cached = holder._state.fields_cache.get("participant")
    if cached is not None:
        return cached.site_id
    if holder.participant_id is None:
        return None
    return (
        Participant.objects.filter(pk=holder.participant_id)
        .values_list("site_id", flat=True)
        .first()
    )


def home_site(sites: Iterable[Site]) -> Site | None:
    """The one rule for a person's home site among several: the first by id.
    Their mail schedule and their home time zone follow it."""
    return min(sites, key=lambda site: site.pk, default=None)

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.roles import Role, user_roles
from logs_app.attention import awaiting_review_q
from logs_app.fields import bound_constraints
from mentors.models import Mentor
from participants.models import Participant, participant_site_id


class OptionQuerySet(models.QuerySet):
    def active(self) -> "OptionQuerySet":
        return self.filter(is_active=True)


class Option(models.Model):
    """An entry of an admin-editable option list. `code` is what exports use and
    never changes; retired options keep `is_active=False` and stay on old logs."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=120)
    help_text = models.CharField(_("explanation"), max_length=240, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = OptionQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class Technique(Option):
    class Meta(Option.Meta):
        verbose_name = _("technique")
        verbose_name_plural = _("techniques")


class Topic(Option):
    class Meta(Option.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")


class RoleFunction(Option):
    class Meta(Option.Meta):
        verbose_name = _("role function")
        verbose_name_plural = _("role functions")


class InteractionLogQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InteractionLogQuerySet":
        """Logs `user` may read (AZ-2). Mentors: their own, drafts included.
        Supervisors: non-draft logs of the mentors they supervise. Research staff:
        non-draft logs of participants at their granted sites whose consent covers
        research use (AZ-14). Admins: all. No role: nothing (AZ-3)."""
        return self._scope(user, research_consent_only=True)

    def reach_before_consent(self, user) -> "InteractionLogQuerySet":
        """`visible_to(user)` without the research-consent rule: only for counting
        what consent leaves out of an export (exports say how many logs they
        left out and why), never for reading or listing logs."""
        return self._scope(user, research_consent_only=False)

    def _scope(self, user, *, research_consent_only: bool) -> "InteractionLogQuerySet":
        roles = user_roles(user)
        if Role.ADMIN in roles:
            return self.all()
        scope = Q(pk__in=[])
        filed = ~Q(status=InteractionLog.Status.DRAFT)
        if Role.MENTOR in roles:
            scope |= Q(mentor__user=user)
        if Role.SUPERVISOR in roles:
            scope |= filed & Q(mentor__supervisor=user)
        if Role.RESEARCH in roles:
            research = filed & Q(participant__site__in=user.site_access.values("site"))
            if research_consent_only:
                research &= Q(participant__has_research_consent=True)
            scope |= research
        return self.filter(scope)

    def for_list(self) -> "InteractionLogQuerySet":
        return self.select_related("participant__site", "mentor__user")


class InteractionLog(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        RETURNED = "returned", _("Returned for revision")
        REVIEWED = "reviewed", _("Reviewed")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video")
        TEXT = "text", _("Text messages")

    class Outcome(models.TextChoices):
        MET = "met", _("We met")
        NO_ANSWER = "no_answer", _("Tried – no answer")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    class Stage(models.TextChoices):
        PRECONTEMPLATION = "precontemplation", _("Not thinking about quitting yet")
        CONTEMPLATION = "contemplation", _("Thinking about quitting")
        PREPARATION = "preparation", _("Getting ready to quit")
        ACTION = "action", _("Quitting now")
        MAINTENANCE = "maintenance", _("Staying quit")

    class GoalOutcome(models.TextChoices):
        MET = "met", _("Met")
        PARTLY = "partly", _("Partly met")
        NOT_MET = "not_met", _("Not met")

    class YesNo(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")

    ATTEMPT_OUTCOMES = frozenset(
        {Outcome.NO_ANSWER, Outcome.CANCELLED, Outcome.NO_SHOW}
    )
    EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.SUBMITTED, Status.RETURNED})

    mentor = models.ForeignKey(Mentor, on_delete=models.PROTECT, related_name="logs")
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        related_name="logs",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    # Optimistic locking (REL-2): every write bumps it; a write with a stale one fails.
    version = models.PositiveIntegerField(default=1)
    # The form's idempotency key (REL-3): a repeated create returns the same log.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    contact_date = models.DateField(_("date"), null=True, blank=True)
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    # contact_date + start_time in the site's time zone, as an instant (for sorting).
    occurred_at = models.DateTimeField(null=True, blank=True, editable=False)
    duration_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"), null=True, blank=True
    )
    mode = models.CharField(_("how"), max_length=12, choices=Mode.choices, blank=True)
    place = models.CharField(_("place"), max_length=120, blank=True)
    outcome = models.CharField(
        _("what happened"), max_length=12, choices=Outcome.choices, default=Outcome.MET
    )

    techniques = models.ManyToManyField(Technique, blank=True, related_name="logs")
    topics = models.ManyToManyField(Topic, blank=True, related_name="logs")
    role_functions = models.ManyToManyField(
        RoleFunction, blank=True, related_name="logs"
    )

    co_ppm = models.PositiveSmallIntegerField(
        _("CO reading (ppm)"), null=True, blank=True
    )
    cigarettes_per_day = models.PositiveSmallIntegerField(
        _("cigarettes per day"), null=True, blank=True
    )
    stage_of_change = models.CharField(
        _("stage of change"), max_length=20, choices=Stage.choices, blank=True
    )
    quit_date = models.DateField(_("quit date set"), null=True, blank=True)
    nrt_in_use = models.CharField(
        _("using nicotine replacement (patch, gum, …)"),
        max_length=3,
        choices=YesNo.choices,
        blank=True,
    )
    weekly_goal = models.TextField(_("goal for this week"), blank=True)
    last_goal_outcome = models.CharField(
        _("how last week's goal went"),
        max_length=8,
        choices=GoalOutcome.choices,
        blank=True,
    )

    narrative = models.TextField(_("what happened (summary)"), blank=True)
    reflection_feelings = models.TextField(
        _("how this contact affected you"), blank=True
    )
    # A question for the supervisor (issue 14: once "questions or concerns"; the
    # column kept its name and its data). A supervisor's comment answers it.
    reflection_concerns = models.TextField(
        _("questions for your supervisor"), blank=True
    )
    # When the supervisor answered the question in the thread; a changed question
    # is unanswered again (logs_app.attention: an answered one is routine).
    question_answered_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Something about the contact that worries the mentor: followed up by the
    # supervisor (issue 14), never mixed with a question.
    concern = models.TextField(
        _("anything about this contact that worries you"), blank=True
    )
    discuss_in_supervision = models.BooleanField(
        _("discuss in supervision"), default=False
    )
    safety_concern = models.BooleanField(_("safety concern"), default=False)

    is_voided = models.BooleanField(_("voided"), default=False)
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = InteractionLogQuerySet.as_manager()

    class Meta:
        ordering = ["-contact_date", "-start_time", "-pk"]
        verbose_name = _("interaction log")
        verbose_name_plural = _("interaction logs")
        constraints = [
            # The numbers' bounds, from the field catalogue (the form checks the same).
            *bound_constraints(),
            # Anything past a draft names who, when and how.
            models.CheckConstraint(
                condition=Q(status="draft")
                | (
                    Q(participant__isnull=False)
                    & Q(contact_date__isnull=False)
                    & Q(submitted_at__isnull=False)
                    & ~Q(mode="")
                ),
                name="log_filed_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(is_voided=False) | ~Q(void_reason=""),
                name="log_void_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="log_version_positive"
            ),
            # Only a question can be answered.
            models.CheckConstraint(
                condition=Q(question_answered_at__isnull=True)
                | ~Q(reflection_concerns=""),
                name="log_answered_has_question",
            ),
            models.CheckConstraint(
                condition=~Q(status="reviewed")
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="log_reviewed_has_reviewer",
            ),
        ]
        indexes = [
            # The log lists' order, per mentor, covering their filters: the page's
            # keys and the count are index-only scans (core.paging).
            models.Index(
                fields=["mentor", "-contact_date", "-start_time", "-id"],
                include=["status", "is_voided", "participant"],
                name="log_mentor_order",
            ),
            # My week's drafts and returned logs, without reading the history.
            models.Index(
                fields=["mentor", "status"],
                condition=Q(status__in=["draft", "returned"]),
                name="log_mentor_open",
            ),
            # The same order over every log, for admins and research staff.
            models.Index(
                fields=["-contact_date", "-start_time", "-id"],
                include=["status", "is_voided", "mentor"],
                name="log_order",
            ),
            # The review queue's waiting logs (logs_app.attention).
            models.Index(
                fields=["mentor", "submitted_at"],
                condition=awaiting_review_q(),
                name="log_awaiting_review",
            ),
            # The queue's per-mentor safety counts read this tiny index instead
            # of every waiting log's row.
            models.Index(
                fields=["mentor"],
                condition=awaiting_review_q() & Q(safety_concern=True),
                name="log_awaiting_safety",
            ),
            models.Index(
                fields=["participant", "-contact_date"], name="log_participant_date"
            ),
            models.Index(fields=["status", "contact_date"], name="log_status_date"),
            # The read API's `updated_since` (a nightly pull's few changed logs).
            models.Index(fields=["updated_at"], name="log_updated_at"),
        ]

    def __str__(self) -> str:
        who = self.participant.study_id if self.participant_id else _("no participant")
        return f"{who} · {self.contact_date or _('no date')}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """(site id, mentor id) an audit row about this log concerns."""
        return participant_site_id(self), self.mentor_id

    @property
    def is_attempt(self) -> bool:
        return self.outcome in self.ATTEMPT_OUTCOMES

    @property
    def is_editable_status(self) -> bool:
        return self.status in self.EDITABLE_STATUSES and not self.is_voided


class LogRevision(models.Model):
    """One change of a log: who, when, what action, and the fields that changed
    as {field: [before, after]} (on creation: {field: [None, value]})."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        SUBMITTED = "submitted", _("Submitted")
        EDITED = "edited", _("Edited")
        RETURNED = "returned", _("Returned for revision")
        REVIEWED = "reviewed", _("Reviewed")
        VOIDED = "voided", _("Voided")

    log = models.ForeignKey(
        InteractionLog, on_delete=models.PROTECT, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["log", "at", "pk"]
        indexes = [models.Index(fields=["log", "at"])]

    def __str__(self) -> str:
        return f"{self.log_id} v{self.version} {self.action}"


class LogComment(models.Model):
    """The feedback thread of a log. Supervisors give feedback (with a review,
    a return for revision, or on its own); mentors reply, acknowledge feedback,
    and add addenda to reviewed logs, which they can no longer edit."""

    class Kind(models.TextChoices):
        FEEDBACK = "feedback", _("Feedback")
        REVIEW = "review", _("Reviewed")
        RETURN = "return", _("Returned for revision")
        REPLY = "reply", _("Reply")
        ADDENDUM = "addendum", _("Addendum")

    FROM_SUPERVISOR = frozenset({Kind.FEEDBACK, Kind.REVIEW, Kind.RETURN})

    log = models.ForeignKey(
        InteractionLog, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField()
    # Supervisor feedback stays "unread" on the mentor's My week until acknowledged.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # A return's request, once the mentor resubmitted the log (issue 14).
    addressed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["log"],
                condition=Q(acknowledged_at__isnull=True),
                name="comment_unacknowledged",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["return", "reply", "addendum", "feedback"])
                | ~Q(body=""),
                name="comment_body_required",
            ),
            # Only a return asks for something to be addressed.
            models.CheckConstraint(
                condition=Q(addressed_at__isnull=True) | Q(kind="return"),
                name="comment_addressed_is_return",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on log {self.log_id}"

    def audit_scope(self) -> tuple[int | None, int | None]:
        """A comment's audit rows concern its log."""
        return self.log.audit_scope()

    @property
    def is_from_supervisor(self) -> bool:
        return self.kind in self.FROM_SUPERVISOR


class LogAutosave(models.Model):
    """Unsaved edits of a filed log, kept while its author types (REL-1).
    Drafts autosave into the log itself; filed logs keep their recorded values
    (and history) until the author saves, so their typing waits here."""

    log = models.ForeignKey(
        InteractionLog, on_delete=models.CASCADE, related_name="autosaves"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField()
    base_version = models.PositiveIntegerField()
    saved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["log", "user"], name="autosave_one_per_log_user"
            )
        ]

    def __str__(self) -> str:
        return f"autosave of log {self.log_id} by {self.user_id}"

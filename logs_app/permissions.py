"""Access to logs and the pages around them: the one home of the rules.

One convention, the same for pages and services:
- Scope: `InteractionLog.objects.visible_to(user)` (and the `visible_to` of
  participants and mentors) is what a user may read. Selectors start from it.
- `LogAccess(user, log)`: what a user may do with a log they can read (edit,
  review, void, read the reflections, write in the thread). Pages ask it what
  to show; services ask it what to refuse (a service refuses with
  ValidationError, as for any other rule it enforces).
- `get_<thing>_for_<purpose>(user, pk)`: fetch and authorise, for views. 404
  when the user may not see the thing, so ids cannot be probed; 403 when they
  may see it but this is not theirs to do.
- `require_<role>(user)`: 403 unless the user has the role, for pages of one
  role that take no id.
Nothing here returns an empty list for "not allowed": a list is a read, and
an empty one means there is nothing to show."""

import datetime as dt
from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from core.timeutils import local_today
from logs_app.models import InteractionLog
from mentors.models import Assignment, Mentor
from participants.models import Participant


class LogAccess:
    """What `user` may do with `log` (a log they can read). Reads only fields
    of the log and its mentor already loaded, and the user's cached roles."""

    def __init__(self, user, log: InteractionLog) -> None:
        self.user = user
        self.log = log

    @cached_property
    def roles(self) -> frozenset[Role]:
        return user_roles(self.user)

    @property
    def is_author(self) -> bool:
        """The mentor who wrote the log."""
        return self.log.mentor.user_id == self.user.pk

    @property
    def is_supervisor(self) -> bool:
        """The supervisor of the log's mentor."""
        return self.log.mentor.supervisor_id == self.user.pk

    @property
    def can_edit(self) -> bool:
        """Its mentor, while it is not reviewed or voided."""
        return self.is_author and self.log.is_editable_status

    @property
    def can_review(self) -> bool:
        """The mentor's supervisor, as a supervisor. Mentors never review."""
        return self.is_supervisor and Role.SUPERVISOR in self.roles

    @property
    def can_void(self) -> bool:
        """Voiding a log filed in error: its mentor's supervisor, and admins."""
        if Role.ADMIN in self.roles:
            return True
        return Role.SUPERVISOR in self.roles and self.is_supervisor

    @property
    def can_read_reflections(self) -> bool:
        """The reflections are the mentor's own: their supervisor and program
        admins read them; research staff only when the mentor consented to
        research use."""
        if self.is_author or self.is_supervisor:
            return True
        if Role.ADMIN in self.roles:
            return True
        return (
            Role.RESEARCH in self.roles
            and self.log.mentor.reflections_consent_at is not None
        )

    @property
    def can_write_thread(self) -> bool:
        """The feedback thread is between the mentor and their supervisor."""
        return self.is_author or self.is_supervisor

    @property
    def can_read_thread(self) -> bool:
        """Those two, and program admins."""
        return self.can_write_thread or Role.ADMIN in self.roles


def get_log_for_user(user, pk: int) -> InteractionLog:
    """The log if `user` may read it; 404 otherwise, so IDs cannot be probed."""
    return get_object_or_404(
        InteractionLog.objects.visible_to(user).select_related(
            "participant__site", "mentor__user"
        ),
        pk=pk,
    )


def get_log_for_edit(user, pk: int) -> InteractionLog:
    """The log if `user` wrote it and it is still editable. 404 when the user may
    not see it; 403 when they may see it but not change it (a supervisor, or a
    log already reviewed or voided)."""
    log = get_log_for_user(user, pk)
    access = LogAccess(user, log)
    if not access.is_author:
        raise PermissionDenied(_("Only the mentor who wrote a log can change it."))
    if not access.can_edit:
        raise PermissionDenied(
            _("This log has been reviewed or voided and is locked for changes.")
        )
    if handed_over(log):
        raise PermissionDenied(
            _(
                "Your assignment with this participant has ended: your logs stay "
                "readable, but no longer change."
            )
        )
    return log


def handed_over(log: InteractionLog) -> bool:
    """Whether the log's participant was handed over from its mentor (see
    handed_over_from). One query."""
    return handed_over_from(log.mentor_id, log.participant)


def handed_over_from(mentor_id: int, participant: Participant) -> bool:
    """Whether `participant` was handed over from the mentor: every
    assignment of the mentor to them ended before today (at the participant's
    site) and another mentor's began after. The earlier mentor's logs about
    them are then read-only, and they file no new ones (issue 17). A mentor
    whose participant completed, with no one after them, may still finish a
    returned log or file a late one; a mentor never assigned keeps the old
    rule. One query."""
    mine = Q(mentor=mentor_id)
    ends = Assignment.objects.filter(participant=participant).aggregate(
        open=Count("pk", filter=mine & Q(end_date__isnull=True)),
        last=Max("end_date", filter=mine),
        successor=Max("start_date", filter=~mine),
    )
    if ends["open"] or ends["last"] is None or ends["successor"] is None:
        return False
    today = local_today(participant.site.tzinfo)
    return ends["last"] < today and ends["successor"] > ends["last"]


def get_log_for_review(user, pk: int) -> InteractionLog:
    """The log if `user` supervises its mentor. 404 when the log is not visible
    to them; 403 when it is (an admin, research staff) but is not theirs to
    review. Mentors never review."""
    log = get_log_for_user(user, pk)
    if not LogAccess(user, log).can_review:
        raise PermissionDenied(_("Only the mentor's supervisor reviews this log."))
    return log


def get_log_for_thread(user, pk: int) -> InteractionLog:
    """The log if `user` takes part in its feedback thread: its mentor or the
    mentor's supervisor. 404 when not visible; 403 for other readers."""
    log = get_log_for_user(user, pk)
    if not LogAccess(user, log).can_write_thread:
        raise PermissionDenied(_("Only the mentor and their supervisor write here."))
    return log


def get_log_for_void(user, pk: int) -> InteractionLog:
    """The log if `user` may void it (see `LogAccess.can_void`). 404 when the
    log is not visible to them; 403 when it is (its mentor, research staff) but
    voiding is not theirs."""
    log = get_log_for_user(user, pk)
    if not LogAccess(user, log).can_void:
        raise PermissionDenied(
            _("Only the mentor's supervisor or a program admin voids a log.")
        )
    return log


def get_mentor_for_filing(user) -> Mentor:
    """The user's active mentor profile; 403 for anyone who does not file logs."""
    mentor = (
        Mentor.objects.visible_to(user)
        .filter(user=user, is_active=True)
        .prefetch_related("sites")
        .first()
    )
    if mentor is None:
        raise PermissionDenied(_("Only active peer mentors file interaction logs."))
    return mentor


def require_supervisor(user) -> None:
    """403 unless `user` is a supervisor."""
    if Role.SUPERVISOR not in user_roles(user):
        raise PermissionDenied(_("This page is for supervisors."))


def get_supervised_mentors(user) -> QuerySet[Mentor]:
    """The mentors whose team dashboards `user` sees, ordered by name, with
    their user and sites loaded: the mentors a supervisor supervises; every
    mentor for program admins. 403 for anyone else (mentors, research staff,
    no role): the dashboards are a supervision tool, not a data view."""
    roles = user_roles(user)
    mentors = Mentor.objects.visible_to(user)
    if Role.ADMIN not in roles:
        if Role.SUPERVISOR not in roles:
            raise PermissionDenied(
                _("The team pages are for supervisors and program admins.")
            )
        mentors = mentors.filter(supervisor=user)
    return (
        mentors.select_related("user")
        .prefetch_related("sites")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def get_participant_for_progress(
    user, pk: int, *, now: dt.datetime | None = None
) -> Participant:
    """The participant if `user` may see their progress page; 404 otherwise.

    Starts from `Participant.objects.visible_to(user)` and keeps those whom
    `user` mentors now (an assignment not ended by the site's today), or who
    were ever assigned to a mentor `user` supervises; admins keep everyone. A
    former mentor gets a 404: their own past logs stay readable on the log
    pages. Annotates `works_with_user`: whether that relation holds (it decides
    whether the preferred name is shown). One query."""
    own = Assignment.objects.filter(mentor__user=user, participant=OuterRef("pk"))
    participants = (
        Participant.objects.visible_to(user)
        .annotate(
            supervises=Exists(
                Assignment.objects.filter(
                    mentor__supervisor=user, participant=OuterRef("pk")
                )
            ),
            mentors_open_ended=Exists(own.filter(end_date__isnull=True)),
            mentors_until=Subquery(
                own.values("participant").annotate(last=Max("end_date")).values("last")
            ),
        )
        .select_related("site", "cohort")
    )
    participant = get_object_or_404(participants, pk=pk)
    # The end date is a day at the participant's site, so "ended" is too.
    today = local_today(participant.site.tzinfo, now)
    mentors_now = participant.mentors_open_ended or (
        participant.mentors_until is not None and participant.mentors_until >= today
    )
    participant.works_with_user = participant.supervises or mentors_now
    if not participant.works_with_user and Role.ADMIN not in user_roles(user):
        raise Http404
    return participant

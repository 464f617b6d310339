"""Who may see and change supervision meetings: the one home of those rules.

A meeting is between a mentor and the people who supervise them. The mentor's
supervisor and the lead of any of the mentor's sites (`Site.lead`) plan,
record and follow up meetings. The mentor reads their own meetings' date, who
attended and the agreed actions, never the notes or the plan (which holds
their reflections and follow-up items). Everyone else (other mentors, other
supervisors, research staff, admins, no role) gets a 404, so ids cannot be
probed; the denial is audited by `audit.middleware.AuditDenialMiddleware`.

The same convention as `logs_app.permissions`: `get_<thing>_for_<purpose>`
answers 404 when the thing is not visible, 403 when it is visible but the
action is not the user's. These functions can be folded into
`supervision/permissions.py` unchanged."""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from mentors.models import Mentor
from supervision.models import MeetingAction, SupervisionMeeting


class MeetingAccess:
    """What `user` may do with the meetings of `mentor`. Reads the mentor's
    user id, supervisor id and prefetched sites, and the user's cached roles."""

    def __init__(self, user, mentor: Mentor) -> None:
        self.user = user
        self.mentor = mentor

    @cached_property
    def roles(self) -> frozenset[Role]:
        return user_roles(self.user)

    @property
    def is_mentor(self) -> bool:
        """The mentor the meetings are with."""
        return self.mentor.user_id == self.user.pk and Role.MENTOR in self.roles

    @property
    def is_supervisor(self) -> bool:
        """The mentor's supervisor, as a supervisor."""
        return (
            self.mentor.supervisor_id == self.user.pk and Role.SUPERVISOR in self.roles
        )

    @property
    def is_site_lead(self) -> bool:
        """The lead of one of the mentor's sites."""
        return any(site.lead_id == self.user.pk for site in self.mentor.sites.all())

    @property
    def can_manage(self) -> bool:
        """Plan, record, add and close actions: the supervisor and site leads."""
        return self.is_supervisor or self.is_site_lead

    @property
    def can_read(self) -> bool:
        """Those two, and the mentor (read only)."""
        return self.can_manage or self.is_mentor

    @property
    def can_read_notes(self) -> bool:
        """The supervisor's notes, the plan, the items and logs discussed."""
        return self.can_manage

    @property
    def can_read_reflections(self) -> bool:
        """A mentor's reflections are shown to their supervisor only (as on the
        review page), never to a site lead or anyone else."""
        return self.is_supervisor


def meeting_mentors_for(user) -> QuerySet[Mentor]:
    """The mentors whose meetings `user` may read: themself as a mentor, the
    mentors they supervise, and the mentors at sites they lead."""
    roles = user_roles(user)
    scope = Q(sites__lead=user)
    if Role.MENTOR in roles:
        scope |= Q(user=user)
    if Role.SUPERVISOR in roles:
        scope |= Q(supervisor=user)
    return Mentor.objects.filter(
        pk__in=Mentor.objects.filter(scope).values("pk")
    ).select_related("user", "supervisor")


def _mentor(user, pk: int) -> tuple[Mentor, MeetingAccess]:
    mentor = (
        meeting_mentors_for(user).prefetch_related("sites__lead").filter(pk=pk).first()
    )
    if mentor is None:
        raise Http404
    access = MeetingAccess(user, mentor)
    if not access.can_read:
        raise Http404
    return mentor, access


def _require_manage(access: MeetingAccess) -> None:
    if not access.can_manage:
        raise PermissionDenied(
            _("Only the mentor's supervisor or site lead plans and records meetings.")
        )


def get_mentor_for_meetings(user, pk: int) -> tuple[Mentor, MeetingAccess]:
    """The mentor whose meeting list `user` may read, with what they may do;
    404 otherwise."""
    return _mentor(user, pk)


def get_mentor_for_planning(user, pk: int) -> tuple[Mentor, MeetingAccess]:
    """The mentor if `user` may plan a meeting with them; 404 when their
    meetings are not visible, 403 for the mentor themself."""
    mentor, access = _mentor(user, pk)
    _require_manage(access)
    return mentor, access


def get_meeting_for_user(user, pk: int) -> tuple[SupervisionMeeting, MeetingAccess]:
    """The meeting if `user` may read it, with what they may do; 404 otherwise."""
    meeting = (
        SupervisionMeeting.objects.filter(mentor__in=meeting_mentors_for(user))
        .select_related("supervisor", "mentor__user", "mentor__supervisor")
        .prefetch_related("mentor__sites__lead")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404
    access = MeetingAccess(user, meeting.mentor)
    if not access.can_read:
        raise Http404
    return meeting, access


def get_meeting_for_edit(user, pk: int) -> tuple[SupervisionMeeting, MeetingAccess]:
    """The meeting if `user` may record it and its actions; 404 when not
    visible, 403 for the mentor (who reads it only)."""
    meeting, access = get_meeting_for_user(user, pk)
    _require_manage(access)
    return meeting, access


def get_action_for_edit(user, pk: int) -> MeetingAction:
    """An agreed action `user` may mark done; 404 when its meeting is not
    visible, 403 for the mentor."""
    action = (
        MeetingAction.objects.filter(meeting__mentor__in=meeting_mentors_for(user))
        .select_related("meeting")
        .filter(pk=pk)
        .first()
    )
    if action is None:
        raise Http404
    get_meeting_for_edit(user, action.meeting_id)
    return action

"""Assignments run by a site's lead (issue 17): who mentors whom, from when to
when, each mentor's caseload, and handovers.

A participant has at most one mentor on any day. Assigning starts an
assignment; ending one records a reason from a list (never free text about a
person); a handover on day D ends the current assignment on D - 1 and starts
the new mentor's on D, so history is kept and no day has two mentors. What
each mentor may see after a handover follows from the assignments alone:
the new mentor sees the participant's progress page (measures, goals, stage,
quit date, contacts; never another mentor's narratives or reflections, see
logs_app.selectors_participant), the earlier mentor keeps their own logs,
read-only (logs_app.permissions.get_log_for_edit), and no longer opens the
participant's page (get_participant_for_progress).

Every change locks the participant's row first, so two leads assigning the
same participant at once cannot give them two mentors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.services import audit_record
from core.timeutils import local_today
from mentors.models import Assignment, Mentor
from participants.models import Participant, Site

DAY = dt.timedelta(days=1)


class AssignmentRefused(Exception):
    """Why an assignment change cannot be made; the message is for the page,
    `field` says which field it belongs next to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CaseloadFull(AssignmentRefused):
    """The mentor already carries the site's caseload: confirm to go on."""


@dataclass(frozen=True)
class Caseload:
    mentor: Mentor
    active: int
    limit: int

    @property
    def over(self) -> bool:
        return self.active > self.limit

    @property
    def at_limit(self) -> bool:
        return self.active >= self.limit

    @property
    def scale(self) -> int:
        """The meter's end: the level, or the caseload when it is over."""
        return max(self.active, self.limit, 1)


def mentors_at(sites) -> QuerySet[Mentor]:
    """Active mentors working at any of `sites`."""
    return (
        Mentor.objects.filter(sites__in=sites, is_active=True)
        .distinct()
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def caseloads(sites: list[Site], today: dt.date) -> list[Caseload]:
    """Each active mentor at `sites` with the participants they mentor on
    `today` (at any site) against the lowest warning level of their sites
    among `sites`. Two queries."""
    active = Q(assignments__start_date__lte=today) & (
        Q(assignments__end_date__isnull=True) | Q(assignments__end_date__gte=today)
    )
    mentors = mentors_at(sites).annotate(
        active=Count("assignments", filter=active, distinct=True)
    )
    limits: dict[int, int] = {}
    for mentor_id, limit in Mentor.sites.through.objects.filter(
        site__in=sites
    ).values_list("mentor_id", "site__caseload_limit"):
        limits[mentor_id] = min(limit, limits.get(mentor_id, limit))
    return [
        Caseload(mentor=m, active=m.active, limit=limits.get(m.pk, 0)) for m in mentors
    ]


def caseload_of(mentor: Mentor, day: dt.date) -> int:
    return Assignment.objects.filter(mentor=mentor).active_on(day).count()


def current_assignment(participant: Participant, day: dt.date) -> Assignment | None:
    """The assignment covering `day` or starting after it (the one a new
    assignment would collide with)."""
    return (
        Assignment.objects.filter(participant=participant)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("mentor__user")
        .order_by("start_date")
        .first()
    )


def _check_mentor(mentor: Mentor, participant: Participant) -> None:
    if not mentor.is_active or not mentor.sites.filter(pk=participant.site_id).exists():
        raise AssignmentRefused(
            _("This mentor does not work at %(site)s.")
            % {"site": participant.site.name},
            "mentor",
        )


def _check_caseload(
    mentor: Mentor, participant: Participant, day: dt.date, confirmed: bool
) -> int:
    load = caseload_of(mentor, day)
    if load >= participant.site.caseload_limit and not confirmed:
        raise CaseloadFull(
            ngettext(
                "%(mentor)s already mentors %(count)s participant; %(site)s warns "
                "at %(limit)s. Tick “Assign anyway” to go on.",
                "%(mentor)s already mentors %(count)s participants; %(site)s warns "
                "at %(limit)s. Tick “Assign anyway” to go on.",
                load,
            )
            % {
                "mentor": mentor,
                "count": load,
                "site": participant.site.name,
                "limit": participant.site.caseload_limit,
            },
            "confirm_caseload",
        )
    return load


# How far from the site's today an assignment may start or a handover fall:
# a handover backdated by months would turn the earlier mentor's logs of
# those months read-only after the fact.
DAYS_BACK = 31
DAYS_AHEAD = 366


def _check_day(participant: Participant, day: dt.date, field: str) -> None:
    today = local_today(participant.site.tzinfo)
    if (
        not today - dt.timedelta(days=DAYS_BACK)
        <= day
        <= today + dt.timedelta(days=DAYS_AHEAD)
    ):
        raise AssignmentRefused(
            _("Choose a day from %(first)s to %(last)s.")
            % {
                "first": (today - dt.timedelta(days=DAYS_BACK)).isoformat(),
                "last": (today + dt.timedelta(days=DAYS_AHEAD)).isoformat(),
            },
            field,
        )


def _lock(participant: Participant) -> Participant:
    return (
        Participant.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=participant.pk)
    )


def assignment_start(
    *,
    actor,
    participant: Participant,
    mentor: Mentor,
    start: dt.date,
    confirm_caseload: bool = False,
) -> Assignment:
    """Assign `mentor` to `participant` from `start`, open-ended. Refused when
    the participant already has a mentor then or later (hand over instead),
    when the mentor does not work at the participant's site, and, unless
    confirmed, when the mentor's caseload is at the site's warning level."""
    with transaction.atomic():
        locked = _lock(participant)
        _check_day(locked, start, "day")
        _check_mentor(mentor, locked)
        current = current_assignment(locked, start)
        if current is not None:
            raise AssignmentRefused(
                _(
                    "%(study_id)s is assigned to %(mentor)s from %(day)s: hand "
                    "them over instead."
                )
                % {
                    "study_id": locked.study_id,
                    "mentor": current.mentor,
                    "day": current.start_date.isoformat(),
                },
                "mentor",
            )
        load = _check_caseload(mentor, locked, start, confirm_caseload)
        assignment = Assignment.objects.create(
            mentor=mentor, participant=locked, start_date=start
        )
        audit_record(
            actor=actor,
            action="assignment.started",
            obj=assignment,
            details={
                "participant": locked.pk,
                "mentor": mentor.pk,
                "start": start.isoformat(),
                "caseload_before": load,
                "caseload_limit": locked.site.caseload_limit,
            },
        )
    return assignment


def assignment_end(
    *, actor, assignment: Assignment, end: dt.date, reason: str
) -> Assignment:
    """End `assignment` on `end` (its last day) for `reason`."""
    if reason not in Assignment.EndReason.values:
        raise AssignmentRefused(_("Choose a reason from the list."), "reason")
    with transaction.atomic():
        participant = _lock(assignment.participant)
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        today = local_today(participant.site.tzinfo)
        if locked.end_date is not None and locked.end_date < today:
            # History: its end and its reason (a handover, say) stay as they are.
            raise AssignmentRefused(
                _("This assignment ended on %(day)s.")
                % {"day": locked.end_date.isoformat()},
                "end",
            )
        if end < locked.start_date:
            raise AssignmentRefused(
                _("The last day cannot be before the first (%(day)s).")
                % {"day": locked.start_date.isoformat()},
                "end",
            )
        if locked.end_date is not None and locked.end_date <= end:
            raise AssignmentRefused(
                _("This assignment already ended on %(day)s.")
                % {"day": locked.end_date.isoformat()},
                "end",
            )
        before = locked.end_date
        locked.end_date = end
        locked.end_reason = reason
        locked.save(update_fields=["end_date", "end_reason"])
        audit_record(
            actor=actor,
            action="assignment.ended",
            obj=locked,
            details={
                "participant": locked.participant_id,
                "mentor": locked.mentor_id,
                "end": end.isoformat(),
                "end_before": before.isoformat() if before else None,
                "reason": reason,
            },
        )
    return locked


def assignment_hand_over(
    *,
    actor,
    participant: Participant,
    mentor: Mentor,
    on: dt.date,
    confirm_caseload: bool = False,
) -> Assignment:
    """Hand `participant` over to `mentor` from `on`: the current mentor's
    assignment ends the day before (reason: handed over), the new one starts
    on `on`. Both in one transaction; one audit row each, and one for the
    handover."""
    with transaction.atomic():
        locked = _lock(participant)
        _check_day(locked, on, "day")
        current = current_assignment(locked, on)
        if current is None:
            raise AssignmentRefused(
                _("%(study_id)s has no mentor to hand over from: assign one.")
                % {"study_id": locked.study_id},
                "mentor",
            )
        if current.mentor_id == mentor.pk:
            raise AssignmentRefused(
                _("%(mentor)s already mentors %(study_id)s.")
                % {"mentor": mentor, "study_id": locked.study_id},
                "mentor",
            )
        if on <= current.start_date:
            raise AssignmentRefused(
                _(
                    "The handover day must be after %(day)s, when the current "
                    "assignment began."
                )
                % {"day": current.start_date.isoformat()},
                "day",
            )
        _check_mentor(mentor, locked)
        load = _check_caseload(mentor, locked, on, confirm_caseload)
        # A later assignment already planned would overlap the new one.
        if Assignment.objects.filter(participant=locked, start_date__gt=on).exists():
            raise AssignmentRefused(
                _("Another assignment is planned after this day: end it first."),
                "day",
            )
        assignment_end(
            actor=actor,
            assignment=current,
            end=on - DAY,
            reason=Assignment.EndReason.REASSIGNED,
        )
        new = Assignment.objects.create(
            mentor=mentor, participant=locked, start_date=on
        )
        audit_record(
            actor=actor,
            action="assignment.handed_over",
            obj=new,
            details={
                "participant": locked.pk,
                "from_mentor": current.mentor_id,
                "to_mentor": mentor.pk,
                "on": on.isoformat(),
                "caseload_before": load,
                "caseload_limit": locked.site.caseload_limit,
            },
        )
    return new


def assignment_history(participant: Participant) -> list[Assignment]:
    """Every assignment of `participant`, newest first."""
    return list(
        Assignment.objects.filter(participant=participant)
        .select_related("mentor__user")
        .order_by("-start_date")
    )


def assignments_end_on_leaving(*, actor, participant: Participant, status: str) -> int:
    """A participant who completes or withdraws leaves their mentor: each
    assignment not yet ended ends today at their site (or on its first day,
    if it starts later), with that reason. Called by programs.lifecycle in
    its transaction. The number ended."""
    reason = {
        Participant.Status.COMPLETED: Assignment.EndReason.COMPLETED,
        Participant.Status.WITHDRAWN: Assignment.EndReason.WITHDRAWN,
    }[status]
    today = local_today(participant.site.tzinfo)
    ending = Assignment.objects.filter(participant=participant).filter(
        Q(end_date__isnull=True) | Q(end_date__gt=today)
    )
    ended = 0
    for assignment in ending.order_by("start_date"):
        last = max(today, assignment.start_date)
        if assignment.end_date is not None and assignment.end_date <= last:
            continue  # a planned one-day assignment: it ends then already
        assignment_end(
            actor=actor,
            assignment=assignment,
            end=last,
            reason=reason,
        )
        ended += 1
    return ended

"""Fetch-and-authorise helpers: every view loads logs through these (AZ-2)."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from logs_app.models import InteractionLog
from mentors.models import Mentor


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
    if log.mentor.user_id != user.pk:
        raise PermissionDenied(_("Only the mentor who wrote a log can change it."))
    if not log.is_editable_status:
        raise PermissionDenied(
            _("This log has been reviewed or voided and is locked for changes.")
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


def can_read_reflections(user, log: InteractionLog) -> bool:
    """The reflections are the mentor's own: their supervisor and program admins
    read them; research staff only when the mentor consented to research use."""
    roles = user_roles(user)
    if log.mentor.user_id == user.pk or log.mentor.supervisor_id == user.pk:
        return True
    if Role.ADMIN in roles:
        return True
    return Role.RESEARCH in roles and log.mentor.reflections_consent_at is not None


def get_log_for_review(user, pk: int) -> InteractionLog:
    """The log if `user` supervises its mentor. 404 when the log is not visible
    to them; 403 when it is (an admin, research staff) but is not theirs to
    review. Mentors never review."""
    log = get_log_for_user(user, pk)
    if log.mentor.supervisor_id != user.pk or Role.SUPERVISOR not in user_roles(user):
        raise PermissionDenied(_("Only the mentor's supervisor reviews this log."))
    return log


def get_log_for_thread(user, pk: int) -> InteractionLog:
    """The log if `user` takes part in its feedback thread: its mentor or the
    mentor's supervisor. 404 when not visible; 403 for other readers."""
    log = get_log_for_user(user, pk)
    if user.pk not in (log.mentor.user_id, log.mentor.supervisor_id):
        raise PermissionDenied(_("Only the mentor and their supervisor write here."))
    return log


def require_supervisor(user) -> None:
    """403 unless `user` is a supervisor."""
    if Role.SUPERVISOR not in user_roles(user):
        raise PermissionDenied(_("This page is for supervisors."))


def can_void(user, log: InteractionLog) -> bool:
    """Voiding a log filed in error is for its mentor's supervisor and admins."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return True
    return Role.SUPERVISOR in roles and log.mentor.supervisor_id == user.pk


def get_log_for_void(user, pk: int) -> InteractionLog:
    """The log if `user` may void it (see `can_void`). 404 when the log is not
    visible to them; 403 when it is (its mentor, research staff) but voiding
    is not theirs."""
    log = get_log_for_user(user, pk)
    if not can_void(user, log):
        raise PermissionDenied(
            _("Only the mentor's supervisor or a program admin voids a log.")
        )
    return log

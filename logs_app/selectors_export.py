"""Reads and access helpers for the export pages."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from logs_app.exports import EXPORT_ROLES
from logs_app.models_export import ExportJob


def require_export_role(user) -> None:
    """403 unless `user` is research staff or a program admin."""
    if not user_roles(user) & EXPORT_ROLES:
        raise PermissionDenied(_("Exports are for research staff and admins."))


def get_export_for_user(user, pk: int) -> ExportJob:
    """The export if `user` asked for it; 404 otherwise (an export holds the
    requester's view of the data, so nobody else opens or downloads it)."""
    require_export_role(user)
    return get_object_or_404(
        ExportJob.objects.select_related("requested_by"), pk=pk, requested_by=user
    )


def export_history_list(*, user) -> QuerySet[ExportJob]:
    """Exports for the history page: staff see their own, admins everyone's."""
    jobs = (
        ExportJob.objects.select_related("requested_by")
        .defer("covered")  # up to a few thousand ids per job, not shown here
        .order_by("-created_at", "-pk")
    )
    if Role.ADMIN in user_roles(user):
        return jobs
    return jobs.filter(requested_by=user)

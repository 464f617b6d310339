"""Access helpers for the export pages: the export role, and one export for
the user who asked for it."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import user_roles
from exports.models import ExportJob
from exports.rights import EXPORT_ROLES


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

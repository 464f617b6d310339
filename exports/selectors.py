"""Reads for the export pages."""

from django.db.models import QuerySet

from core.roles import Role, user_roles
from exports.models import ExportJob


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

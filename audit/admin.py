from django.contrib import admin

from audit.models import AuditEvent, DataChange
from core.admin import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "actor",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "path",
    ]
    list_filter = ["action", "outcome"]
    list_select_related = ["actor"]


@admin.register(DataChange)
class DataChangeAdmin(ReadOnlyAdmin):
    """The database's own history of tracked rows (AUD-2). Read-only."""

    list_display = ["changed_at", "operation", "table_name", "row_id", "actor_id"]
    list_filter = ["table_name", "operation"]
    search_fields = ["row_id"]

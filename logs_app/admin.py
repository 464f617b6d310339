from django.contrib import admin
from django.http import HttpRequest

from logs_app.models import (
    AuditEvent,
    InteractionLog,
    LogRevision,
    Notification,
    RoleFunction,
    Technique,
    Topic,
)


@admin.register(Technique, Topic, RoleFunction)
class OptionAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["label", "code"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        # Codes are what exports use: fixed once created.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # retire with "active" instead; old logs keep the option


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs change only through the app's services, which keep history."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(InteractionLog)
class InteractionLogAdmin(ReadOnlyAdmin):
    list_display = ["pk", "participant", "mentor", "contact_date", "outcome", "status"]
    list_filter = ["status", "outcome", "participant__site"]
    list_select_related = ["participant", "mentor__user"]
    date_hierarchy = "contact_date"
    exclude = ["narrative", "reflection_feelings", "reflection_concerns"]


@admin.register(LogRevision)
class LogRevisionAdmin(ReadOnlyAdmin):
    list_display = ["log", "version", "action", "actor", "at"]
    list_select_related = ["log__participant", "actor"]


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


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Recent sends and failures. Failed mail can be tried again."""

    list_display = [
        "created_at",
        "kind",
        "email",
        "period",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["email", "period"]
    readonly_fields = ["last_error"]
    actions = ["retry"]

    @admin.action(description="Try the selected failed mails again")
    def retry(self, request: HttpRequest, queryset) -> None:
        from logs_app.notifications import retry_failed

        count = sum(retry_failed(pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} mail(s) will be sent again.")

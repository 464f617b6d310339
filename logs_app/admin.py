from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from logs_app.fields import FREE_TEXT_FIELDS
from logs_app.models import (
    InteractionLog,
    LogRevision,
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


@admin.register(InteractionLog)
class InteractionLogAdmin(ReadOnlyAdmin):
    list_display = ["pk", "participant", "mentor", "contact_date", "outcome", "status"]
    list_filter = ["status", "outcome", "participant__site"]
    list_select_related = ["participant", "mentor__user"]
    date_hierarchy = "contact_date"
    # Free text stays out of the admin, except the weekly goal (as before).
    exclude = [name for name in FREE_TEXT_FIELDS if name != "weekly_goal"]


@admin.register(LogRevision)
class LogRevisionAdmin(ReadOnlyAdmin):
    list_display = ["log", "version", "action", "actor", "at"]
    list_select_related = ["log__participant", "actor"]

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


# --- Research export -----------------------------------------------------------------
from django import forms  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from audit.services import audit_record  # noqa: E402
from core.roles import Role, user_roles  # noqa: E402
from logs_app.models_export import ExportJob, ExportLevel, ExportRight  # noqa: E402


class ExportRightForm(forms.ModelForm):
    class Meta:
        model = ExportRight
        fields = ["user", "level", "note"]

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if (
            data.get("level") == ExportLevel.FULL
            and user is not None
            and Role.ADMIN not in user_roles(user)
        ):
            self.add_error(
                "level", _("Only program admins may export at the full level.")
            )
        return data


@admin.register(ExportRight)
class ExportRightAdmin(admin.ModelAdmin):
    """Grant and change export rights (EXP-1). Every change is audited."""

    form = ExportRightForm
    list_display = ["user", "level", "granted_by", "granted_at", "note"]
    list_filter = ["level"]
    list_select_related = ["user", "granted_by"]
    search_fields = ["user__username", "user__email"]

    def save_model(self, request: HttpRequest, obj: ExportRight, form, change) -> None:
        before = form.initial.get("level") if change else None
        obj.granted_by = request.user
        obj.granted_at = timezone.now()
        super().save_model(request, obj, form, change)
        audit_record(
            request=request,
            action="export_right.change",
            obj=obj,
            details={"user": obj.user_id, "level": [before, obj.level]},
        )

    def delete_model(self, request: HttpRequest, obj: ExportRight) -> None:
        audit_record(
            request=request,
            action="export_right.change",
            obj=obj,
            details={"user": obj.user_id, "level": [obj.level, None]},
        )
        super().delete_model(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # set the level to "none" instead: one audited path


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "created_at",
        "requested_by",
        "level",
        "format",
        "delivery",
        "status",
        "row_count",
        "sha256",
    ]
    list_filter = ["status", "level", "format", "delivery"]
    list_select_related = ["requested_by"]

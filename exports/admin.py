"""Export rights and the export records in the admin. Granting or changing a
right is audited (EXP-1, AUD-1); export records are read-only."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.admin import ReadOnlyAdmin
from core.roles import Role, user_roles
from exports.models import ExportJob, ExportLevel, ExportRight


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

"""The right to analyse reflections, granted per site in the admin (issue 15).
Every grant and withdrawal is audited, like the export rights."""

from django.contrib import admin
from django.http import HttpRequest

from analysis.models import AnalysisRight
from audit.services import audit_record


@admin.register(AnalysisRight)
class AnalysisRightAdmin(admin.ModelAdmin):
    list_display = ["user", "site", "granted_by", "granted_at", "basis"]
    list_filter = ["site"]
    list_select_related = ["user", "site", "granted_by"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "site", "basis"]

    def save_model(self, request: HttpRequest, obj: AnalysisRight, form, change):
        obj.granted_by = request.user
        super().save_model(request, obj, form, change)
        audit_record(
            request=request,
            action="analysis_right.change",
            obj=obj,
            details={"user": obj.user_id, "site": obj.site_id, "granted": True},
        )

    def delete_model(self, request: HttpRequest, obj: AnalysisRight) -> None:
        audit_record(
            request=request,
            action="analysis_right.change",
            obj=obj,
            details={"user": obj.user_id, "site": obj.site_id, "granted": False},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for right in queryset:
            self.delete_model(request, right)

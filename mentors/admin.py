from django.contrib import admin

from audit.admin_mixins import AuditedAdminMixin
from mentors.models import Assignment, Mentor


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    autocomplete_fields = ["participant"]


@admin.register(Mentor)
class MentorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    # A mentor's supervisor and sites decide who reads their logs: rights.
    audit_action = "rights.mentor"
    list_display = ["__str__", "supervisor", "is_active", "reflections_consent_at"]
    list_filter = ["is_active", "sites"]
    list_select_related = ["user", "supervisor"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["sites"]
    autocomplete_fields = ["user"]
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_action = "assignment"
    list_display = ["mentor", "participant", "start_date", "end_date"]
    list_filter = ["participant__site"]
    list_select_related = ["mentor__user", "participant"]
    autocomplete_fields = ["mentor", "participant"]
    search_fields = ["participant__study_id", "mentor__user__username"]

from django.contrib import admin

from audit.admin_mixins import AuditedAdminMixin
from participants.models import Cohort, Participant, Site, SiteAccess


class CohortInline(admin.TabularInline):
    model = Cohort
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "time_zone", "lead"]
    search_fields = ["name", "code"]
    inlines = [CohortInline]
    autocomplete_fields = ["lead"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "start_date", "end_date"]
    list_filter = ["site"]
    list_select_related = ["site"]


@admin.register(Participant)
class ParticipantAdmin(AuditedAdminMixin, admin.ModelAdmin):
    audit_action = "participant"
    list_display = [
        "study_id",
        "site",
        "cohort",
        "status",
        "enrolled_on",
        "has_research_consent",
    ]
    list_filter = ["site", "status", "has_research_consent"]
    list_select_related = ["site", "cohort__site"]
    search_fields = ["study_id"]

    def get_readonly_fields(self, request, obj=None):
        """Status and research consent change on the program's participant
        page (programs.lifecycle): withdrawal takes texts out of analysis,
        leaving ends the assignment, a pause is recorded. Here they would
        skip all that."""
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly += ["status", "has_research_consent"]
        return readonly


@admin.register(SiteAccess)
class SiteAccessAdmin(AuditedAdminMixin, admin.ModelAdmin):
    # Site access decides what research staff read: rights.
    audit_action = "rights.site_access"
    list_display = ["user", "site"]
    list_filter = ["site"]
    list_select_related = ["user", "site"]
    autocomplete_fields = ["user"]

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from logs_app.models import (
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


# --- Audit (AUD-1, AUD-2) ------------------------------------------------------------
# Participants, assignments, mentors and site access are edited in the admin of
# their own apps; those apps sit below logs_app and cannot import the audit, so
# their admin classes are re-registered here with the audit added. Every save
# and delete leaves an audit row with the fields' values before → after;
# preferred names are never copied, only marked as changed. The database
# triggers keep the row history underneath whatever path changes them.
import datetime as dt  # noqa: E402

from django.db.models import Model  # noqa: E402

from audit.services import audit_record  # noqa: E402
from mentors.admin import AssignmentAdmin, MentorAdmin  # noqa: E402
from mentors.models import Assignment, Mentor  # noqa: E402
from participants.admin import ParticipantAdmin, SiteAccessAdmin  # noqa: E402
from participants.models import Participant, SiteAccess  # noqa: E402

REDACTED_FIELDS = {"preferred_name"}


def _plain(value):
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    if isinstance(value, Model):
        return value.pk
    return value


def audit_snapshot(obj: Model | None) -> dict:
    """Field values of a saved row (many-to-many as sorted ids)."""
    if obj is None or obj.pk is None:
        return {}
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key:
            continue
        data[field.name] = _plain(field.value_from_object(obj))
    for field in obj._meta.many_to_many:
        data[field.name] = sorted(o.pk for o in getattr(obj, field.name).all())
    return data


def audit_changes(before: dict, after: dict) -> dict:
    """{field: [before, after]} of what differs; redacted fields say only that
    they changed."""
    changes = {}
    for name in sorted(set(before) | set(after)):
        if before.get(name) == after.get(name):
            continue
        if name in REDACTED_FIELDS:
            changes[name] = ["[redacted]", "[changed]"]
        else:
            changes[name] = [before.get(name), after.get(name)]
    return changes


class AuditedAdminMixin:
    """Audit rows for admin saves, deletes and inline changes."""

    audit_action = ""  # e.g. "participant"; the row's action is "<it>.<verb>"

    def _audit(self, request, obj, verb: str, before: dict, after: dict) -> None:
        audit_record(
            request=request,
            action=f"{self.audit_action or obj._meta.model_name}.{verb}",
            obj=obj,
            details={"changes": audit_changes(before, after)},
        )

    def save_model(self, request, obj, form, change) -> None:
        stored = (
            type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        )
        request._audit_before = audit_snapshot(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_audit_before", {})
        after = audit_snapshot(form.instance)
        if not change or audit_changes(before, after):
            self._audit(
                request, form.instance, "update" if change else "create", before, after
            )

    def save_formset(self, request, form, formset, change) -> None:
        model = formset.model
        stored = {
            o.pk: audit_snapshot(o)
            for o in model._default_manager.filter(
                pk__in=[f.instance.pk for f in formset.forms if f.instance.pk]
            )
        }
        pks = {id(f.instance): f.instance.pk for f in formset.forms}
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            self._audit_inline(request, obj, "create", {}, audit_snapshot(obj))
        for obj, _fields in formset.changed_objects:
            after = audit_snapshot(obj)
            self._audit_inline(request, obj, "update", stored.get(obj.pk, {}), after)
        for obj in formset.deleted_objects:
            obj.pk = pks.get(id(obj))  # deleting cleared it
            self._audit_inline(request, obj, "delete", stored.get(obj.pk, {}), {})

    def _audit_inline(self, request, obj, verb, before, after) -> None:
        audit_record(
            request=request,
            action=f"{obj._meta.model_name}.{verb}",
            obj=obj,
            details={"changes": audit_changes(before, after)},
        )

    def delete_model(self, request, obj) -> None:
        before = audit_snapshot(obj)
        self._audit(request, obj, "delete", before, {})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self._audit(request, obj, "delete", audit_snapshot(obj), {})
        super().delete_queryset(request, queryset)


def _reregister(model, base, **attrs) -> None:
    admin.site.unregister(model)
    audited = type(f"Audited{base.__name__}", (AuditedAdminMixin, base), attrs)
    admin.site.register(model, audited)


_reregister(Participant, ParticipantAdmin, audit_action="participant")
_reregister(Assignment, AssignmentAdmin, audit_action="assignment")
# A mentor's supervisor and sites decide who reads their logs: rights.
_reregister(Mentor, MentorAdmin, audit_action="rights.mentor")
_reregister(SiteAccess, SiteAccessAdmin, audit_action="rights.site_access")

"""The audited-admin mixin (AUD-1, AUD-2): every admin save and delete, and
every inline change, leaves an audit row with the fields' values before →
after; preferred names are never copied, only marked as changed. The database
triggers keep the row history underneath whatever path changes them. Any app's
admin class may mix it in (audit sits below every app)."""

import datetime as dt

from django.db.models import Model

from audit.services import audit_record

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

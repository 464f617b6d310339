"""Cohorts and their protocols, and a site's caseload warning level, set by
the site's lead on Peerlog's own pages (issue 17). Each change is audited
with what it was before: a protocol changed mid-study changes every dose
figure computed after it."""

from __future__ import annotations

from django.db import transaction
from django.forms.models import model_to_dict

from audit.services import audit_record
from participants.models import Cohort, Site

PROTOCOL_FIELDS = (
    "name",
    "start_date",
    "end_date",
    "planned_contacts",
    "contact_every_days",
    "window_days",
    "planned_minutes",
)


def _plain(values: dict) -> dict:
    return {
        name: value.isoformat() if hasattr(value, "isoformat") else value
        for name, value in values.items()
    }


def cohort_save(*, actor, form) -> Cohort:
    """Save a valid CohortForm: audited as created, or changed with the
    fields' values before and after."""
    with transaction.atomic():
        before = (
            _plain(
                model_to_dict(Cohort.objects.get(pk=form.instance.pk), PROTOCOL_FIELDS)
            )
            if form.instance.pk
            else None
        )
        cohort = form.save()
        after = _plain(model_to_dict(cohort, PROTOCOL_FIELDS))
        if before is None:
            audit_record(
                actor=actor, action="cohort.created", obj=cohort, details=after
            )
        elif before != after:
            changed = [name for name in PROTOCOL_FIELDS if before[name] != after[name]]
            audit_record(
                actor=actor,
                action="cohort.changed",
                obj=cohort,
                details={
                    "before": {n: before[n] for n in changed},
                    "after": {n: after[n] for n in changed},
                },
            )
    return cohort


def caseload_limit_set(*, actor, site: Site, limit: int) -> bool:
    """Set the site's caseload warning level; whether it changed."""
    with transaction.atomic():
        locked = Site.objects.select_for_update().get(pk=site.pk)
        if locked.caseload_limit == limit:
            return False
        before = locked.caseload_limit
        locked.caseload_limit = limit
        locked.save(update_fields=["caseload_limit"])
        audit_record(
            actor=actor,
            action="site.caseload_limit",
            obj=locked,
            details={"before": before, "after": limit},
        )
    return True

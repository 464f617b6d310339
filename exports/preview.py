"""The preview: how many logs an export holds, what it leaves out and why, and
its columns. An export request runs it once (exports.request)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from exports.columns import wide_columns
from exports.filters import ExportFilters, scoped_logs
from exports.models import ExportLevel
from exports.options import option_sets
from exports.rights import level_allows
from logs_app.fields import REFLECTION_FIELDS

EXCLUSION_REASONS = {
    "no_participant_consent": _(
        "the participant's consent does not cover research use (whole log left out)"
    ),
    "voided": _("voided by an admin (include voided logs to export them)"),
    "reflections_withheld": _(
        "reflections left empty: the mentor has not consented to research use of "
        "their reflections (the log itself is exported)"
    ),
}


@dataclass(frozen=True)
class Preview:
    rows: int
    excluded: dict[str, int]
    columns: list[str]


def export_preview(*, user, filters: ExportFilters, level: str) -> Preview:
    """How many logs the export will hold, how many are left out and why, and
    its columns. One query."""
    no_consent = Q(participant__has_research_consent=False)
    voided = Q(is_voided=True) & ~no_consent
    exported = ~no_consent & (Q() if filters.include_voided else Q(is_voided=False))
    reflective = reduce(operator.or_, (~Q(**{f: ""}) for f in REFLECTION_FIELDS))
    counts = scoped_logs(user, filters, before_consent=True).aggregate(
        total=Count("pk"),
        no_consent=Count("pk", filter=no_consent),
        voided=Count("pk", filter=voided),
        rows=Count("pk", filter=exported),
        withheld=Count(
            "pk",
            filter=exported
            & reflective
            & Q(mentor__reflections_consent_at__isnull=True),
        ),
    )
    excluded = {"no_participant_consent": counts["no_consent"]}
    if not filters.include_voided:
        excluded["voided"] = counts["voided"]
    if level_allows(level, ExportLevel.TEXT):
        excluded["reflections_withheld"] = counts["withheld"]
    return Preview(
        rows=counts["rows"],
        excluded=excluded,
        columns=[c.name for c in wide_columns(level, option_sets())],
    )

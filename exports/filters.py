"""What an export asks for (ExportFilters) and which logs that selects, always
starting from `InteractionLog.objects.visible_to(user)`: one definition of scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import QuerySet

from logs_app.models import InteractionLog


@dataclass(frozen=True)
class ExportFilters:
    """What the page (or the command line) asks for. Ids, not objects: stored
    as JSON on the job and checked again against the user's scope when it runs."""

    since: dt.date | None = None
    until: dt.date | None = None
    sites: tuple[int, ...] = ()
    cohorts: tuple[int, ...] = ()
    mentors: tuple[int, ...] = ()
    outcomes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    include_voided: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("since", "until"):
            data[name] = data[name].isoformat() if data[name] else None
        for name in ("sites", "cohorts", "mentors", "outcomes", "statuses"):
            data[name] = sorted(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportFilters:
        def day(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        return cls(
            since=day(data.get("since")),
            until=day(data.get("until")),
            sites=tuple(int(v) for v in data.get("sites") or ()),
            cohorts=tuple(int(v) for v in data.get("cohorts") or ()),
            mentors=tuple(int(v) for v in data.get("mentors") or ()),
            outcomes=tuple(str(v) for v in data.get("outcomes") or ()),
            statuses=tuple(str(v) for v in data.get("statuses") or ()),
            include_voided=bool(data.get("include_voided")),
        )


EXPORTABLE_STATUSES = [
    (value, label)
    for value, label in InteractionLog.Status.choices
    if value != InteractionLog.Status.DRAFT
]


def scoped_logs(
    user, filters: ExportFilters, *, before_consent: bool = False
) -> QuerySet[InteractionLog]:
    """Every filed log `user` may read that matches `filters`, before voiding is
    applied (so that what is left out can be counted). Research staff read only
    logs of participants whose consent covers research use (AZ-14); with
    `before_consent`, the logs that rule hides are kept too, so the preview can
    say how many consent leaves out (never used to write a file)."""
    manager = InteractionLog.objects
    logs = (
        manager.reach_before_consent(user)
        if before_consent
        else manager.visible_to(user)
    )
    logs = logs.exclude(status=InteractionLog.Status.DRAFT).filter(
        participant__isnull=False
    )
    if filters.since:
        logs = logs.filter(contact_date__gte=filters.since)
    if filters.until:
        logs = logs.filter(contact_date__lte=filters.until)
    if filters.sites:
        logs = logs.filter(participant__site__in=filters.sites)
    if filters.cohorts:
        logs = logs.filter(participant__cohort__in=filters.cohorts)
    if filters.mentors:
        logs = logs.filter(mentor__in=filters.mentors)
    if filters.outcomes:
        logs = logs.filter(outcome__in=filters.outcomes)
    if filters.statuses:
        logs = logs.filter(status__in=filters.statuses)
    return logs


def exported_logs(user, filters: ExportFilters) -> QuerySet[InteractionLog]:
    """The logs that go into the file: readable by `user`, consent covers
    research use (for every role, admins included), not voided unless asked for."""
    logs = scoped_logs(user, filters).filter(participant__has_research_consent=True)
    if not filters.include_voided:
        logs = logs.filter(is_voided=False)
    return logs


def export_site_ids(user, filters: ExportFilters) -> list[int]:
    """The sites whose logs the export of `filters` would hold under `user`'s
    scope as it is now. A job reads them before writing and keeps them (AZ-13):
    the scope can narrow while the file is written; the participants the file
    holds come from the writers (`ExportResult.participants`)."""
    return sorted(
        exported_logs(user, filters)
        .order_by()
        .values_list("participant__site_id", flat=True)
        .distinct()
    )

"""Reads of the audit viewer (AUD-4) and its CSV export."""

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Q

from audit.models import AuditEvent
from core.formulas import neutralise
from core.roles import Role, user_roles


# --- the audit viewer ---------------------------------------------------------------
def can_view_audit(user) -> bool:
    roles = user_roles(user)
    return Role.ADMIN in roles or Role.SUPERVISOR in roles


def audit_event_list(
    *,
    user,
    actor: str = "",
    action: str = "",
    outcome: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    object_type: str = "",
    object_id: str = "",
):
    """Audit events `user` may read, newest first, filtered. Admins: all.
    Supervisors: events about the mentors they supervise (their logs, their
    assignments, what they did). Anyone else: none. Dates are UTC days,
    inclusive."""
    roles = user_roles(user)
    events = AuditEvent.objects.select_related("actor", "site")
    if Role.ADMIN not in roles:
        if Role.SUPERVISOR not in roles:
            return events.none()
        events = events.filter(mentor__supervisor=user)
    if actor:
        events = events.filter(actor__username=actor)
    if action:
        # "log." finds every log action; a full name finds just that one.
        events = events.filter(
            Q(action=action) | Q(action__startswith=action.rstrip(".") + ".")
        )
    if outcome:
        events = events.filter(outcome=outcome)
    if date_from:
        events = events.filter(
            at__gte=dt.datetime.combine(date_from, dt.time(), tzinfo=dt.UTC)
        )
    if date_to:
        events = events.filter(
            at__lt=dt.datetime.combine(
                date_to + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
            )
        )
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    return events.order_by("-at", "-pk")


# --- CSV
CSV_COLUMNS = (
    "at_utc",
    "actor",
    "roles",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "site",
    "ip",
    "request_id",
    "method",
    "path",
    "details",
)


def csv_safe(value: Any) -> str:
    """A cell a spreadsheet will not run (AUD-4): the text of `value` (None is
    empty) through the one neutraliser, `core.formulas.neutralise`."""
    return neutralise("" if value is None else str(value))


def audit_csv_rows(events) -> Iterator[str]:
    """The events as CSV lines (RFC 4180, header first), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_safe(v) for v in values])
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for event in events.iterator(chunk_size=500):
        yield line(
            (
                event.at.astimezone(dt.UTC).isoformat(),
                event.actor.username if event.actor else "",
                event.roles,
                event.action,
                event.outcome,
                event.object_type,
                event.object_id,
                event.site.code if event.site else "",
                event.ip or "",
                event.request_id or "",
                event.method,
                event.path,
                json.dumps(event.details, sort_keys=True, ensure_ascii=False),
            )
        )

"""The audit viewer (AUD-4): admins see every event, supervisors the events
about the mentors they supervise; anyone else gets a 403. Looking and
exporting are audited too."""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.forms import AuditFilterForm
from audit.selectors import audit_csv_rows, audit_event_list, can_view_audit
from audit.services import audit_record


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, dict, object]:
    if not can_view_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET)
    # Invalid filters are shown with their errors and not applied.
    filters = (
        {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    )
    return form, filters, audit_event_list(user=request.user, **filters)


def _plain(filters: dict) -> dict:
    return {
        k: v.isoformat() if isinstance(v, dt.date) else v for k, v in filters.items()
    }


# Characters of a value shown before the rest is folded away; nesting deeper
# than DETAIL_DEPTH is shown as JSON text.
DETAIL_SHORT = 80
DETAIL_DEPTH = 3


@dataclass(frozen=True)
class DetailItem:
    """One key of an event's details: a value as text, or nested items."""

    key: str
    text: str = ""
    children: tuple["DetailItem", ...] = ()

    @property
    def is_long(self) -> bool:
        return len(self.text) > DETAIL_SHORT

    @property
    def short(self) -> str:
        return self.text[:DETAIL_SHORT].rstrip() + "…"


def audit_details(details: Any) -> list[DetailItem]:
    """An event's details as the viewer lists them (issue 11, finding 17):
    keys in order, lists of plain values joined, objects (and lists of them)
    nested. The CSV keeps the raw JSON."""
    if isinstance(details, dict):
        return [_detail(str(k), v, 0) for k, v in sorted(details.items())]
    return [_detail("", details, DETAIL_DEPTH)] if details else []


def _detail(key: str, value: Any, depth: int) -> DetailItem:
    if depth < DETAIL_DEPTH and isinstance(value, dict) and value:
        children = (_detail(str(k), v, depth + 1) for k, v in sorted(value.items()))
        return DetailItem(key, children=tuple(children))
    if (
        depth < DETAIL_DEPTH
        and isinstance(value, list)
        and any(isinstance(v, dict | list) for v in value)
    ):
        children = (_detail(str(n), v, depth + 1) for n, v in enumerate(value, 1))
        return DetailItem(key, children=tuple(children))
    return DetailItem(key, text=_detail_text(value))


def _detail_text(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_detail_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form, filters, events = _filtered(request)
    page = Paginator(events, settings.PEERLOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit_record(
        request=request,
        action="audit.view",
        details={"filters": _plain(filters), "page": page.number},
    )
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(event, audit_details(event.details)) for event in page.object_list]
    return render(
        request,
        "audit/audit_list.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    form, filters, events = _filtered(request)
    if form.errors:
        # The page shows a filter it cannot read and lists everything; a file
        # must not silently hold more than was asked for.
        page = Paginator(events.none(), settings.PEERLOG_PAGE_SIZE).get_page(1)
        return render(
            request,
            "audit/audit_list.html",
            {"form": form, "page": page, "rows": [], "query": ""},
            status=400,
        )
    audit_record(
        request=request,
        action="audit.export",
        details={"filters": _plain(filters), "rows": events.count()},
    )
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response = StreamingHttpResponse(
        audit_csv_rows(events), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response

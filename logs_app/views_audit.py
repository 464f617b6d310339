"""The audit viewer (AUD-4): admins see every event, supervisors the events
about the mentors they supervise; anyone else gets a 403. Looking and
exporting are audited too."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from logs_app.audit import audit_csv_rows, audit_event_list, can_view_audit
from logs_app.forms_audit import AuditFilterForm
from logs_app.services import audit_record


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
    return render(
        request,
        "logs_app/audit_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_GET
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    _form, filters, events = _filtered(request)
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

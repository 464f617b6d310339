"""Research export pages: ask, preview, download; job progress and history."""

import base64

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from exports.downloads import (
    REFUSED,
    download_name,
    export_download_check,
    export_file_path,
)
from exports.files import CONTENT_TYPES
from exports.forms import ExportForm
from exports.models import ExportJob, ExportLevel
from exports.permissions import get_export_for_user, require_export_role
from exports.preview import EXCLUSION_REASONS
from exports.records import export_download_denied_record, export_download_record
from exports.request import ExportRequest
from exports.rights import ExportRefused, export_level_for, levels_up_to
from exports.selectors import export_history_list
from exports.services import direct_limit, export_start
from exports.writers.xlsx import XLSX_MAX_ROWS


@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest) -> HttpResponse:
    require_export_role(request.user)
    granted = export_level_for(request.user)
    data = request.POST if request.method == "POST" else request.GET or None
    form = ExportForm(data, user=request.user, offered_levels=levels_up_to(granted))
    preview = None
    if form.is_bound and form.is_valid():
        export = ExportRequest.build(
            user=request.user,
            filters=form.filters(),
            level=form.cleaned_data["level"],
            fmt=form.cleaned_data["format"],
            granted=granted,
        )
        if request.method == "POST":
            return _start(request, form, export)
        if export.allowed:
            preview = export.preview
            _check_size(form, export.fmt, preview.rows)
        else:
            form.add_error("level", _("Your export right does not cover this."))
    return _render_page(
        request,
        form,
        granted=granted,
        preview=preview,
        status=400 if request.method == "POST" else 200,
    )


def _check_size(form: ExportForm, fmt: str, rows: int) -> bool:
    if fmt == ExportJob.Format.XLSX and rows > XLSX_MAX_ROWS:
        form.add_error(
            "format",
            _("Excel holds at most %(n)s rows. Choose CSV or the data package.")
            % {"n": f"{XLSX_MAX_ROWS:,}"},
        )
        return False
    return True


def _start(request, form, export: ExportRequest) -> HttpResponse:
    """Run the export asked for: one preview (the size check and the choice
    between a direct file and a job share it), one check of the right."""
    if not _check_size(form, export.fmt, export.preview.rows):
        return _render_page(
            request, form, granted=export.granted, preview=export.preview, status=400
        )
    try:
        started = export_start(export, request=request)
    except ExportRefused as exc:
        raise PermissionDenied(
            _("Your export right does not cover this export.")
        ) from exc
    job = started.job
    if started.file is not None:
        return _file_response(started.file, job)
    messages.success(
        request,
        _("Your export is being prepared. We will e-mail you when it is ready."),
    )
    return redirect("export_detail", pk=job.pk)


def _render_page(request, form, *, granted, preview, status: int) -> HttpResponse:
    recent = export_history_list(user=request.user).filter(requested_by=request.user)
    return render(
        request,
        "exports/export_page.html",
        {
            "form": form,
            "granted": granted,
            "can_export": granted != ExportLevel.NONE,
            "preview": preview,
            "direct": preview is not None
            and preview.rows <= direct_limit(form.cleaned_data["format"]),
            "reasons": EXCLUSION_REASONS,
            "recent": recent[:5],
            # The previewed choices, carried into the POST that runs the export.
            "hidden": [
                (name, value)
                for name, values in (form.data.lists() if form.is_bound else [])
                for value in values
                if name != "csrfmiddlewaretoken"
            ],
            "direct_limit": direct_limit(ExportJob.Format.CSV),
        },
        status=status,
    )


def _file_response(file, job: ExportJob) -> FileResponse:
    response = FileResponse(
        file,
        as_attachment=True,
        filename=download_name(job),
        content_type=CONTENT_TYPES[ExportJob.Format(job.format)],
    )
    # The browser knows the exact size, so a cut transfer shows as failed.
    response["Content-Length"] = str(job.file_size)
    response["Cache-Control"] = "no-store"
    digest = base64.b64encode(bytes.fromhex(job.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    response["X-Export-Rows"] = str(job.row_count)
    response["X-Export-SHA256"] = job.sha256
    return response


@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_export_for_user(request.user, pk)
    problem = export_download_check(user=request.user, job=job, now=timezone.now())
    return render(
        request,
        "exports/export_detail.html",
        {
            "job": job,
            "downloadable": problem is None and job.delivery == ExportJob.Delivery.JOB,
            "scope_narrowed": problem is not None
            and problem.kind == REFUSED
            and job.delivery == ExportJob.Delivery.JOB,
            "reasons": EXCLUSION_REASONS,
        },
    )


@require_GET
def export_status(request: HttpRequest, pk: int) -> JsonResponse:
    """Polled by static/js/export.js while a job runs."""
    job = get_export_for_user(request.user, pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "finished": job.is_finished,
            "percent": job.progress_percent,
            "rows": job.progress_rows,
            "expected_rows": job.expected_rows,
        }
    )


@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_export_for_user(request.user, pk)
    problem = export_download_check(user=request.user, job=job, now=timezone.now())
    if problem is not None and problem.kind == REFUSED:
        export_download_denied_record(request=request, job=job, reason=problem.reason)
        raise PermissionDenied(_("Your access no longer covers this file."))
    path = export_file_path(job) if problem is None else None
    if path is None:
        return render(request, "exports/export_gone.html", {"job": job}, status=410)
    export_download_record(request=request, job=job)
    return _file_response(path.open("rb"), job)


@require_GET
def export_history(request: HttpRequest) -> HttpResponse:
    require_export_role(request.user)
    page = Paginator(
        export_history_list(user=request.user), settings.PEERLOG_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "exports/export_history.html",
        {"page": page, "export_url": reverse("export_page")},
    )

"""The enrolment import pages (issue 17): the template, an upload that only
previews, the preview (what would be added, changed, left as is, and every
error by row and column) and applying it."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from programs.forms import ImportUploadForm
from programs.import_files import FileRefused
from programs.imports import COLUMNS, SHOWN, ImportRefused, import_apply, import_preview
from programs.models import ParticipantImport
from programs.permissions import (
    get_import_for,
    lead_sites,
    require_lead_sites,
    require_program_pages,
)


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    require_program_pages(request.user)
    sites = list(lead_sites(request.user))
    form = ImportUploadForm()
    if request.method == "POST":
        sites = require_lead_sites(request.user)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                record = import_preview(
                    user=request.user, sites=sites, name=upload.name, data=upload.read()
                )
            except FileRefused as refused:
                form.add_error("file", str(refused))
            else:
                return redirect("import_detail", record.pk)
    recent = ParticipantImport.objects.filter(created_by=request.user)[:10]
    return render(
        request,
        "programs/import_page.html",
        {"form": form, "sites": sites, "recent": recent, "columns": COLUMNS},
        status=400 if form.errors else 200,
    )


@require_GET
def import_template(request: HttpRequest, fmt: str) -> HttpResponse:
    require_program_pages(request.user)
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "participants"
        sheet.append(COLUMNS)
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow(COLUMNS)
        response = HttpResponse(
            ("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="participants.{fmt}"'
    return response


@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_import_for(request.user, pk)
    plan = record.plan
    return render(
        request,
        "programs/import_detail.html",
        {
            "record": record,
            "plan": plan,
            "add": plan["add"][:SHOWN],
            "change": plan["change"][:SHOWN],
            "errors": plan["errors"][:SHOWN],
            "shown": SHOWN,
            "can_apply": (
                record.status == ParticipantImport.Status.PREVIEWED
                and not plan["errors"]
                and not plan["file_error"]
                and bool(plan["add"] or plan["change"])
            ),
        },
    )


@require_POST
def import_apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_import_for(request.user, pk)
    sites = require_lead_sites(request.user)
    try:
        counts = import_apply(user=request.user, sites=sites, record=record)
    except ImportRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("Applied: %(added)s participants added, %(changed)s changed.") % counts,
        )
    return redirect("import_detail", record.pk)

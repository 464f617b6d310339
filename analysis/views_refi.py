"""REFI-QDA downloads (issue 15): the project as `.qdpx`, its codebook as
`.qdc`. Any member may download; every download is audited."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from analysis import exports_refi
from analysis.models import Code
from analysis.permissions import get_project_for


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def project_qdpx(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for(request.user, pk).project
    data = exports_refi.qdpx_export(actor=request.user, project=project)
    name = exports_refi.export_filename(project, "qdpx")
    return _download(data, name, "application/zip")


@require_GET
def codebook_qdc(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for(request.user, pk).project
    if not Code.objects.filter(project=project).exists():
        messages.warning(request, _("The codebook has no codes to export yet."))
        return redirect("analysis_project", pk=pk)
    data = exports_refi.qdc_export(actor=request.user, project=project)
    name = exports_refi.export_filename(project, "qdc")
    return _download(data, name, "application/xml")

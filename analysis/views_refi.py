"""REFI-QDA files (issue 15): the project as `.qdpx` and its codebook as
`.qdc` to download (any member; every download audited), and a `.qdc` to
import into the codebook (the lead)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from analysis import exports_refi
from analysis.codebook_import import codebook_import
from analysis.forms_codebook import CodebookImportForm
from analysis.models import Code
from analysis.permissions import get_project_for
from analysis.refi_codebook import RefiError, read_qdc


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


@require_http_methods(["GET", "POST"])
def codebook_qdc_import(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    form = CodebookImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            codebook = read_qdc(form.cleaned_data["file"].read())
            result = codebook_import(
                actor=request.user,
                project=access.project,
                codebook=codebook,
                reason=form.cleaned_data["reason"],
            )
        except RefiError as error:
            form.add_error("file", _(error.template) % error.params)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _imported(result))
            return redirect("analysis_codebook", pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "analysis/codebook_import.html",
        {"form": form, "project": access.project, "access": access},
        status=status,
    )


def _imported(result) -> str:
    text = ngettext(
        "Codebook version %(v)d: %(n)d code imported.",
        "Codebook version %(v)d: %(n)d codes imported.",
        result.codes,
    ) % {"v": result.version.number, "n": result.codes}
    if result.skipped:
        text += " " + ngettext(
            "%(n)d skipped: the codebook already has its name (%(names)s).",
            "%(n)d skipped: the codebook already has their names (%(names)s).",
            len(result.skipped),
        ) % {"n": len(result.skipped), "names": ", ".join(result.skipped[:10])}
    return text

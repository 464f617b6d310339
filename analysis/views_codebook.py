"""The codebook pages: the printable codebook, its history, and the lead's
changes (each one a new version with its reason); and the CSV exports."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis import codebook
from analysis.exports_csv import analysis_export
from analysis.forms_codebook import CategoryForm, CodeForm, ReasonForm, ReorderForm
from analysis.memos import code_memo_add, with_memos
from analysis.models import Category, Code, CodebookVersion, Member
from analysis.permissions import get_project_for


@require_GET
def codebook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    project = access.project
    codes = with_memos(Code.objects.filter(project=project).select_related("category"))
    groups: dict = {}
    for category in Category.objects.filter(project=project):
        groups[category] = []
    uncategorised = []
    for code in codes:
        (groups[code.category] if code.category else uncategorised).append(code)
    return render(
        request,
        "analysis/codebook_detail.html",
        {
            "access": access,
            "project": project,
            "groups": list(groups.items()),
            "uncategorised": uncategorised,
            "version": project.codebook_versions.order_by("-number").first(),
        },
    )


@require_GET
def codebook_history(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    versions = list(
        CodebookVersion.objects.filter(project=access.project)
        .select_related("created_by")
        .order_by("number")
    )
    rows, previous = [], None
    for version in versions:
        rows.append((version, codebook.snapshot_diff(previous, version.snapshot)))
        previous = version.snapshot
    return render(
        request,
        "analysis/codebook_history.html",
        {"access": access, "project": access.project, "rows": rows[::-1]},
    )


def _save(request, form, change) -> bool:
    """`change(cleaned_data)` calls a codebook service; its refusals become
    the form's errors."""
    if not form.is_valid():
        return False
    try:
        change(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return False
    messages.success(request, _("Codebook saved as a new version."))
    return True


def _form_page(request, access, form, title: str, obj=None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"access": access, "project": access.project, "form": form}
    context |= {"title": title, "obj": obj}
    return render(request, "analysis/codebook_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def code_create(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    form = CodeForm(request.POST or None, project=access.project)
    if request.method == "POST" and _save(
        request,
        form,
        lambda data: codebook.code_save(
            actor=request.user, project=access.project, data=data, reason=data["reason"]
        ),
    ):
        return redirect("analysis_codebook", pk=pk)
    return _form_page(request, access, form, _("New code"))


@require_http_methods(["GET", "POST"])
def code_edit(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    code = get_object_or_404(Code, project=access.project, pk=code_pk)
    initial = {f: getattr(code, f) for f in codebook.CODE_FIELDS}
    form = CodeForm(
        request.POST or None,
        project=access.project,
        initial=initial | {"category": code.category_id},
    )
    if request.method == "POST" and _save(
        request,
        form,
        lambda data: codebook.code_save(
            actor=request.user,
            project=access.project,
            data=data,
            reason=data["reason"],
            code=code,
        ),
    ):
        return redirect("analysis_codebook", pk=pk)
    return _form_page(request, access, form, _("Change code"), code)


@require_http_methods(["GET", "POST"])
def code_retire(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    """Retire an active code, or restore a retired one (never delete it)."""
    access = get_project_for(request.user, pk, need="lead")
    code = get_object_or_404(Code, project=access.project, pk=code_pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and _save(
        request,
        form,
        lambda data: codebook.code_set_active(
            actor=request.user, code=code, active=not code.active, reason=data["reason"]
        ),
    ):
        return redirect("analysis_codebook", pk=pk)
    title = _("Restore code") if not code.active else _("Retire code")
    return _form_page(request, access, form, title, code)


@require_http_methods(["GET", "POST"])
def category_create(request: HttpRequest, pk: int) -> HttpResponse:
    return _category_page(request, pk, None)


@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, pk: int, category_pk: int) -> HttpResponse:
    return _category_page(request, pk, category_pk)


def _category_page(request, pk: int, category_pk: int | None) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    category = None
    initial = {}
    if category_pk is not None:
        category = get_object_or_404(Category, project=access.project, pk=category_pk)
        initial = {"name": category.name, "description": category.description}
    form = CategoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        request,
        form,
        lambda data: codebook.category_save(
            actor=request.user,
            project=access.project,
            data=data,
            reason=data["reason"],
            category=category,
        ),
    ):
        return redirect("analysis_codebook", pk=pk)
    title = _("Change category") if category else _("New category")
    return _form_page(request, access, form, title, category)


@require_http_methods(["GET", "POST"])
def codebook_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    codes = list(Code.objects.filter(project=access.project))
    form = ReorderForm(request.POST or None, codes=codes)
    if request.method == "POST" and _save(
        request,
        form,
        lambda data: codebook.codebook_reorder(
            actor=request.user,
            project=access.project,
            order=form.order(),
            reason=data["reason"],
        ),
    ):
        return redirect("analysis_codebook", pk=pk)
    return _form_page(request, access, form, _("Order of the codes"))


@require_GET
def export_csv(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """One of the CSV files, for the project's members only."""
    access = get_project_for(request.user, pk)
    if not Member.objects.filter(project=access.project, user=request.user).exists():
        raise PermissionDenied(_("Only the project's members export its work."))
    export = analysis_export(actor=request.user, project=access.project, kind=kind)
    response = FileResponse(
        export.file,
        as_attachment=True,
        filename=export.name,
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Length"] = str(export.size)
    response["Cache-Control"] = "no-store"
    response["X-Export-Rows"] = str(export.rows)
    response["X-Export-SHA256"] = export.sha256
    return response


@require_POST
def code_memo(request: HttpRequest, pk: int, code_pk: int) -> HttpResponse:
    """A member's memo on a code, added from the codebook page."""
    access = get_project_for(request.user, pk)
    if not (access.codes or access.leads or access.adjudicates):
        raise PermissionDenied(_("Only the project's coders write memos."))
    code = get_object_or_404(Code, project=access.project, pk=code_pk)
    try:
        code_memo_add(
            actor=request.user,
            project=access.project,
            code=code,
            body=request.POST.get("body", ""),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Memo saved."))
    return redirect(reverse("analysis_codebook", args=[pk]) + f"#code-{code.pk}")

"""Screening and coding pages (issue 15): one text at a time, with progress.
Every view starts from `get_project_for`; texts come from the project, codings
from the coder's own rows, and codings or memos of others only through the
blinding rule in `analysis.coding`."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis import coding, screening
from analysis.codebook import current_version
from analysis.coding_pages import coding_page
from analysis.forms_coding import MemoForm, PassageForm, ScreenForm, WholeCodesForm
from analysis.models import Text
from analysis.permissions import get_project_for


def _screen_decide(request, access, form, service) -> list[str]:
    try:
        service(
            actor=request.user,
            access=access,
            text_pk=form.cleaned_data["text"],
            include=form.cleaned_data["include"],
            reason=form.cleaned_data["why"],
            now=timezone.now(),
        )
    except Text.DoesNotExist as e:
        raise Http404 from e
    except ValidationError as e:
        return e.messages
    return []


@require_http_methods(["GET", "POST"])
def screen(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="screen")
    form = ScreenForm(request.POST or None, project=access.project)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        errors = _screen_decide(request, access, form, screening.screening_decide)
        if not errors:
            messages.success(request, _("Decision saved."))
            return redirect("analysis_screen", pk=pk)
    context = {
        "access": access,
        "project": access.project,
        "text": screening.screening_next(access, request.user),
        "progress": screening.screening_progress(access, request.user),
        "form": form,
        "errors": errors,
        "section": "screen",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "analysis/screen.html", context, status=status)


@require_http_methods(["GET", "POST"])
def screen_settle(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="settle")
    form = ScreenForm(request.POST or None, project=access.project)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        errors = _screen_decide(request, access, form, screening.screening_settle)
        if not errors:
            messages.success(request, _("Disagreement settled."))
            return redirect("analysis_screen_settle", pk=pk)
    context = {
        "access": access,
        "project": access.project,
        "text": screening.disagreement_next(access),
        "progress": screening.screening_progress(access, request.user),
        "form": form,
        "errors": errors,
        "section": "settle",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "analysis/screen_settle.html", context, status=status)


@require_GET
def code_next(request: HttpRequest, pk: int) -> HttpResponse:
    """The next text to code (or, with ?outdated=1, to review under the
    current codebook); when there is none, the coder's summary."""
    access = get_project_for(request.user, pk, need="code")
    outdated = request.GET.get("outdated") == "1"
    text = coding.text_next(access, request.user, outdated=outdated)
    if text is not None:
        url = _text_url(pk, text.pk, outdated)
        return redirect(url)
    version = current_version(access.project)
    context = {
        "access": access,
        "project": access.project,
        "outdated": outdated,
        "outdated_count": coding.outdated_count(access, request.user, version),
        "section": "code",
    }
    return render(request, "analysis/code_done.html", context)


def _text_url(pk: int, text_pk: int, outdated: bool) -> str:
    url = reverse("analysis_code_text", args=[pk, text_pk])
    return url + "?outdated=1" if outdated else url


def _coding_page(request, access, text, *, status=200, errors=(), forms=None):
    context = coding_page(access, text, request.user)
    context.update(
        access=access,
        project=access.project,
        section="code",
        errors=list(errors),
        outdated_filter=request.GET.get("outdated") == "1",
        memo_form=MemoForm(
            initial={"body": context["my_memo"].body if context["my_memo"] else ""}
        ),
        passage_form=PassageForm(text=text),
        **(forms or {}),
    )
    return render(request, "analysis/code_text.html", context, status=status)


@require_http_methods(["GET", "POST"])
def code_text(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    """The coding page; its POST sets the whole-answer codes (no JS needed)."""
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    if request.method == "GET":
        return _coding_page(request, access, text)
    form = WholeCodesForm(request.POST, project=access.project)
    if not form.is_valid():
        return _coding_page(request, access, text, status=400, errors=_all(form))
    try:
        coding.coding_whole_set(
            actor=request.user, text=text, codes=list(form.cleaned_data["codes"])
        )
    except ValidationError as e:
        return _coding_page(request, access, text, status=400, errors=e.messages)
    messages.success(request, _("Codes saved."))
    return redirect(request.get_full_path())


@require_POST
def passage_add(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    form = PassageForm(request.POST, text=text)
    if not form.is_valid():
        return _coding_page(request, access, text, status=400, errors=_all(form))
    try:
        coding.coding_passage_add(
            actor=request.user,
            text=text,
            code=form.cleaned_data["code"],
            start=form.cleaned_data["start"],
            end=form.cleaned_data["end"],
        )
    except ValidationError as e:
        return _coding_page(request, access, text, status=400, errors=e.messages)
    messages.success(request, _("Passage coded."))
    return redirect("analysis_code_text", pk=pk, text_pk=text_pk)


@require_POST
def coding_delete(request: HttpRequest, pk: int, text_pk: int, coding_pk: int):
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    try:
        coding.coding_delete(actor=request.user, text=text, coding_pk=coding_pk)
    except ValidationError as e:
        return _coding_page(request, access, text, status=400, errors=e.messages)
    messages.success(request, _("Code removed."))
    return redirect("analysis_code_text", pk=pk, text_pk=text_pk)


@require_POST
def memo_save(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    form = MemoForm(request.POST)
    if not form.is_valid():
        return _coding_page(
            request,
            access,
            text,
            status=400,
            errors=_all(form),
            forms={"memo_form": form},
        )
    coding.memo_save(actor=request.user, text=text, body=form.cleaned_data["body"])
    messages.success(request, _("Memo saved."))
    return redirect("analysis_code_text", pk=pk, text_pk=text_pk)


@require_POST
def code_finish(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    try:
        coding.coder_text_finish(actor=request.user, text=text, now=timezone.now())
    except ValidationError as e:
        return _coding_page(request, access, text, status=400, errors=e.messages)
    messages.success(request, _("Text finished."))
    url = reverse("analysis_code", args=[pk])
    return redirect(url + "?outdated=1" if request.POST.get("outdated") else url)


@require_POST
def code_reopen(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="code")
    text = coding.codable_text_get(access, text_pk)
    try:
        coding.coder_text_reopen(actor=request.user, access=access, text=text)
    except ValidationError as e:
        return _coding_page(request, access, text, status=400, errors=e.messages)
    messages.success(request, _("Text reopened: you can change its codes."))
    return redirect("analysis_code_text", pk=pk, text_pk=text_pk)


def _all(form) -> list[str]:
    return [m for errors in form.errors.values() for m in errors]

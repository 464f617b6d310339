"""Consensus, themes and quotes: the disagreements list, the settle page,
the theme summary and marking quotes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis import consensus, themes
from analysis.forms_codebook import DisagreementFilter, QuoteForm, SettleForm
from analysis.models import Code, Coding, Consensus, Member, Quote, Text
from analysis.permissions import ProjectAccess, get_project_for

PAGE = 50


class _Counted:
    """A list of known length, for Django's paginator (the page's rows are
    read separately, with LIMIT and OFFSET)."""

    def __init__(self, count: int) -> None:
        self.n = count

    def count(self) -> int:
        return self.n

    def __getitem__(self, key) -> list:
        return []


@require_GET
def disagreement_list(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    project = access.project
    form = DisagreementFilter(request.GET or None, project=project)
    code = open_only = None
    if form.is_valid():
        code, open_only = form.cleaned_data["code"], form.cleaned_data["open"]
    scope = {"code_id": code and code.pk, "open_only": bool(open_only)}
    total = consensus.disagreement_count(project, **scope)
    page = Paginator(_Counted(total), PAGE).get_page(request.GET.get("page"))
    offset = (page.number - 1) * PAGE
    rows = consensus.disagreement_list(project, offset=offset, limit=PAGE, **scope)
    texts = Text.objects.in_bulk({r.text_id for r in rows})
    codes = Code.objects.in_bulk({r.code_id for r in rows})
    return render(
        request,
        "analysis/consensus_list.html",
        {
            "access": access,
            "project": project,
            "form": form,
            "page": page,
            "rows": [(r, texts[r.text_id], codes[r.code_id]) for r in rows],
            "query": _query_without_page(request),
        },
    )


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _finished_text(access: ProjectAccess, text_pk: int) -> Text:
    """A text every coder has finished (before that, blinding hides the
    codes this page shows): 404 otherwise."""
    text = get_object_or_404(Text, project=access.project, pk=text_pk)
    if not consensus.text_is_finished(access.project, text.pk):
        raise Http404
    return text


@require_http_methods(["GET", "POST"])
def consensus_settle(
    request: HttpRequest, pk: int, text_pk: int, code_pk: int
) -> HttpResponse:
    need = "settle" if request.method == "POST" else "read"
    access = get_project_for(request.user, pk, need=need)
    text = _finished_text(access, text_pk)
    code = get_object_or_404(Code, project=access.project, pk=code_pk)
    form = SettleForm(request.POST or None) if access.adjudicates else None
    if request.method == "POST" and form.is_valid():
        try:
            consensus.consensus_settle(
                actor=request.user,
                project=access.project,
                text=text,
                code=code,
                applies=form.cleaned_data["applies"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Decision saved."))
            return redirect("analysis_settle", pk=pk, text_pk=text.pk, code_pk=code.pk)
    return _settle_page(request, access, text, code, form)


def _settle_page(request, access, text, code, form) -> HttpResponse:
    coders = Member.objects.filter(project=access.project, codes=True)
    codings = (
        Coding.objects.filter(text=text, coder__in=coders.values("user"))
        .select_related("code", "coder")
        .order_by("coder__username", "code__position", "start")
    )
    by_coder: dict = {m.user: [] for m in coders.select_related("user")}
    for coding in codings:
        excerpt = "" if coding.start is None else text.body[coding.start : coding.end]
        by_coder.setdefault(coding.coder, []).append((coding, excerpt))
    history = (
        Consensus.objects.filter(text=text, code=code)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")
    )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "analysis/consensus_settle.html",
        {
            "access": access,
            "project": access.project,
            "text": text,
            "code": code,
            "by_coder": sorted(by_coder.items(), key=lambda p: p[0].username),
            "history": history,
            "form": form,
        },
        status=status,
    )


@require_GET
def theme_summary(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    return render(
        request,
        "analysis/themes_summary.html",
        {
            "access": access,
            "project": access.project,
            "summary": themes.theme_summary(access.project),
        },
    )


def _quoting(request: HttpRequest, pk: int) -> ProjectAccess:
    access = get_project_for(request.user, pk)
    if not (access.codes or access.adjudicates):
        raise PermissionDenied(_("Only coders and adjudicators choose quotes."))
    return access


@require_http_methods(["GET", "POST"])
def quote_add(request: HttpRequest, pk: int, text_pk: int) -> HttpResponse:
    access = _quoting(request, pk)
    text = get_object_or_404(
        Text, project=access.project, pk=text_pk, screening=Text.Screening.INCLUDED
    )
    form = QuoteForm(
        request.POST or None, project=access.project, initial=request.GET.dict()
    )
    if request.method == "POST" and form.is_valid():
        try:
            themes.quote_add(
                actor=request.user,
                project=access.project,
                text=text,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Quote saved."))
            return redirect("analysis_themes", pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"access": access, "project": access.project, "text": text}
    return render(
        request,
        "analysis/themes_quote_form.html",
        context | {"form": form},
        status=status,
    )


@require_POST
def quote_remove(request: HttpRequest, pk: int, quote_pk: int) -> HttpResponse:
    access = _quoting(request, pk)
    quote = get_object_or_404(Quote, code__project=access.project, pk=quote_pk)
    themes.quote_remove(actor=request.user, project=access.project, quote=quote)
    messages.success(request, _("Quote removed."))
    return redirect("analysis_themes", pk=pk)

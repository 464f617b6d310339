"""The lead's cohorts page (each cohort's protocol of planned contacts) and a
site's caseload warning level (issue 17)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from participants.models import Cohort
from programs.cohorts import caseload_limit_set, cohort_save
from programs.forms import CaseloadLimitForm, CohortForm
from programs.permissions import lead_sites, require_program_pages


def _sites(user):
    require_program_pages(user)
    return lead_sites(user)


@require_http_methods(["GET", "POST"])
def cohort_list(request: HttpRequest) -> HttpResponse:
    """The cohorts at the sites the user runs, and a form for a new one."""
    sites = _sites(request.user)
    form = CohortForm(
        request.POST if request.method == "POST" else None,
        sites=sites,
        prefix="new",
    )
    if form.is_valid():
        cohort = cohort_save(actor=request.user, form=form)
        messages.success(request, _("Cohort %(name)s added.") % {"name": cohort.name})
        return redirect("cohort_list")
    cohorts = (
        Cohort.objects.filter(site__in=sites)
        .select_related("site")
        .annotate(enrolled=Count("participants"))
        .order_by("site__name", "-start_date", "name")
    )
    return render(
        request,
        "programs/cohort_list.html",
        {"cohorts": cohorts, "form": form, "may_add": sites.exists()},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def cohort_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sites = _sites(request.user)
    cohort = get_object_or_404(
        Cohort.objects.select_related("site"), pk=pk, site__in=sites
    )
    form = CohortForm(
        request.POST if request.method == "POST" else None,
        instance=cohort,
        sites=sites,
    )
    if form.is_valid():
        cohort_save(actor=request.user, form=form)
        messages.success(request, _("Saved."))
        return redirect("cohort_list")
    return render(
        request,
        "programs/cohort_edit.html",
        {"cohort": cohort, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def caseload_limit(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(_sites(request.user), pk=pk)
    form = CaseloadLimitForm(request.POST)
    if form.is_valid():
        caseload_limit_set(
            actor=request.user, site=site, limit=form.cleaned_data["caseload_limit"]
        )
        messages.success(
            request,
            _("%(site)s now warns at %(n)s participants.")
            % {"site": site.name, "n": form.cleaned_data["caseload_limit"]},
        )
    else:
        for error in form.errors.get("caseload_limit", []):
            messages.error(request, f"{site.name}: {error}")
    return redirect("caseload_list")

"""Analysis projects: the list, a new project, its overview (the flow
diagram and each coder's progress), new texts and members."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analysis import selectors, services
from analysis.forms import MemberForm, ProjectForm
from analysis.permissions import get_project_for, projects_visible_to, require_analyst
from analysis.progress import coder_progress


@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    projects = (
        projects_visible_to(request.user)
        .select_related("created_by")
        .prefetch_related("sites")
    )
    return render(request, "analysis/project_list.html", {"projects": projects})


@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    require_analyst(request.user)
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        project, flow = services.project_create(
            actor=request.user, data=form.cleaned_data
        )
        messages.success(request, _texts_added(flow.added))
        return redirect("analysis_project", pk=project.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "analysis/project_form.html", {"form": form}, status=status)


@require_GET
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk)
    return _detail(request, access, MemberForm() if access.leads else None)


def _detail(
    request: HttpRequest, access, member_form, status: int = 200
) -> HttpResponse:
    project = access.project
    return render(
        request,
        "analysis/project_detail.html",
        {
            "access": access,
            "project": project,
            "flow": selectors.flow_counts(project),
            "progress": coder_progress(project),
            "members": project.members.select_related("user").order_by(
                "user__username"
            ),
            "member_form": member_form,
        },
        status=status,
    )


@require_POST
def project_texts_add(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    flow = services.project_texts_add(actor=request.user, project=access.project)
    messages.success(request, _texts_added(flow.added))
    return redirect("analysis_project", pk=pk)


@require_POST
def project_member_set(request: HttpRequest, pk: int) -> HttpResponse:
    access = get_project_for(request.user, pk, need="lead")
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            services.member_set(
                actor=request.user,
                project=access.project,
                user=form.cleaned_data["username"],
                codes=form.cleaned_data["codes"],
                screens=form.cleaned_data["screens"],
                adjudicates=form.cleaned_data["adjudicates"],
            )
        except services.MemberRefused:
            form.add_error(
                "username",
                _(
                    "This person may not analyse reflections at every site of "
                    "this project. An admin grants that right."
                ),
            )
        else:
            messages.success(request, _("Member saved."))
            return redirect("analysis_project", pk=pk)
    return _detail(request, access, form, status=400)


def _texts_added(n: int) -> str:
    if not n:
        return _("No new texts: every eligible reflection is already in the project.")
    return ngettext("%(n)d text added.", "%(n)d texts added.", n) % {"n": n}

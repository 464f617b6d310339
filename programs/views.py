"""The enrolment import pages (issue 17): the template, an upload that only
previews, the preview (what would be added, changed, left as is, and every
error by row and column) and applying it."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.policy import two_factor_required
from audit.services import audit_record
from core.timeutils import local_today
from programs.assignments import (
    AssignmentRefused,
    assignment_end,
    assignment_hand_over,
    assignment_history,
    assignment_start,
    caseloads,
    current_assignment,
    mentors_at,
)
from programs.forms import (
    AcceptForm,
    AssignForm,
    EndAssignmentForm,
    ImportUploadForm,
    InvitationForm,
    LifecycleForm,
)
from programs.import_files import FileRefused
from programs.imports import COLUMNS, SHOWN, ImportRefused, import_apply, import_preview
from programs.invitations import (
    InvitationRefused,
    invitation_accept,
    invitation_check,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from programs.lifecycle import participant_lifecycle_set
from programs.models import ParticipantImport
from programs.permissions import (
    get_assignment_for,
    get_import_for,
    get_invitation_for,
    get_participant_for,
    invitations_run_by,
    lead_sites,
    participants_run_by,
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
    if fmt not in ("csv", "xlsx"):
        raise Http404
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


PAGE_SIZE = 50


@require_GET
def participant_list(request: HttpRequest) -> HttpResponse:
    """The participants at the sites the user runs, by study ID (search)."""
    require_program_pages(request.user)
    query = request.GET.get("q", "").strip()[:32]
    participants = participants_run_by(request.user).select_related("site", "cohort")
    if query:
        participants = participants.filter(study_id__icontains=query)
    page = Paginator(participants.order_by("study_id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "programs/participant_list.html",
        {"page": page, "query": query},
    )


@require_http_methods(["GET", "POST"])
def participant_lifecycle(request: HttpRequest, pk: int) -> HttpResponse:
    participant = get_participant_for(request.user, pk)
    data = request.POST if request.method == "POST" else None
    form = LifecycleForm(data, participant=participant)
    if form.is_valid():
        done = participant_lifecycle_set(
            actor=request.user,
            participant=participant,
            status=form.cleaned_data["status"],
            research_consent=form.cleaned_data["research_consent"],
            reason=form.cleaned_data["reason"],
        )
        if "after" not in done:
            messages.info(request, _("Nothing changed."))
        elif not done["after"]["research_consent"] and (
            done["before"]["research_consent"] or done["analysis_texts_removed"]
        ):
            messages.success(
                request,
                _(
                    "Saved. From now on %(logs)s of their filed logs are left out of "
                    "exports and API pulls; %(texts)s analysis texts were removed."
                )
                % {
                    "logs": done["logs_left_out"],
                    "texts": done["analysis_texts_removed"],
                },
            )
        else:
            messages.success(request, _("Saved."))
        return redirect("participant_lifecycle", participant.pk)
    return _participant_page(request, participant, form=form)


def _participant_page(
    request: HttpRequest,
    participant,
    *,
    form: LifecycleForm | None = None,
    assign_form: AssignForm | None = None,
    end_form: EndAssignmentForm | None = None,
) -> HttpResponse:
    """The participant's program page: status and consent, and who mentors
    them (history, assign or hand over, end). 400 when a form has errors."""
    today = local_today(participant.site.tzinfo)
    current = current_assignment(participant, today)
    mentors = mentors_at([participant.site])
    if current is not None:
        mentors = mentors.exclude(pk=current.mentor_id)
    context = {
        "participant": participant,
        "form": form or LifecycleForm(participant=participant),
        "history": assignment_history(participant),
        "current": current,
        "assign_form": assign_form
        or AssignForm(mentors=mentors, today=today, prefix="assign"),
        "end_form": end_form or EndAssignmentForm(today=today, prefix="end"),
        "today": today,
    }
    failed = any(f is not None and f.errors for f in (form, assign_form, end_form))
    return render(
        request,
        "programs/participant_lifecycle.html",
        context,
        status=400 if failed else 200,
    )


def _refused(form, refused: AssignmentRefused) -> None:
    field = refused.field if refused.field in form.fields else None
    form.add_error(field, str(refused))


@require_POST
def participant_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a mentor (no current one) or hand the participant over."""
    participant = get_participant_for(request.user, pk)
    today = local_today(participant.site.tzinfo)
    form = AssignForm(
        request.POST,
        mentors=mentors_at([participant.site]),
        today=today,
        prefix="assign",
    )
    if form.is_valid():
        data = form.cleaned_data
        handing_over = current_assignment(participant, data["day"]) is not None
        act = assignment_hand_over if handing_over else assignment_start
        day_arg = {"on": data["day"]} if handing_over else {"start": data["day"]}
        try:
            act(
                actor=request.user,
                participant=participant,
                mentor=data["mentor"],
                confirm_caseload=data["confirm_caseload"],
                **day_arg,
            )
        except AssignmentRefused as refused:
            _refused(form, refused)
        else:
            done = (
                _("%(study_id)s is handed over to %(mentor)s from %(day)s.")
                if handing_over
                else _("%(study_id)s is assigned to %(mentor)s from %(day)s.")
            )
            messages.success(
                request,
                done
                % {
                    "study_id": participant.study_id,
                    "mentor": data["mentor"],
                    "day": data["day"].isoformat(),
                },
            )
            return redirect("participant_lifecycle", participant.pk)
    return _participant_page(request, participant, assign_form=form)


@require_POST
def assignment_end_view(request: HttpRequest, pk: int) -> HttpResponse:
    """End a participant's assignment with a reason."""
    assignment = get_assignment_for(request.user, pk)
    participant = assignment.participant
    form = EndAssignmentForm(
        request.POST, today=local_today(participant.site.tzinfo), prefix="end"
    )
    if form.is_valid():
        try:
            assignment_end(
                actor=request.user,
                assignment=assignment,
                end=form.cleaned_data["end"],
                reason=form.cleaned_data["reason"],
            )
        except AssignmentRefused as refused:
            _refused(form, refused)
        else:
            messages.success(
                request,
                _("%(mentor)s's assignment ends on %(day)s.")
                % {
                    "mentor": assignment.mentor,
                    "day": form.cleaned_data["end"].isoformat(),
                },
            )
            return redirect("participant_lifecycle", participant.pk)
    return _participant_page(request, participant, end_form=form)


@require_GET
def caseload_list(request: HttpRequest) -> HttpResponse:
    """Each mentor at the sites the user runs, with their caseload against
    the site's warning level."""
    require_program_pages(request.user)
    sites = list(lead_sites(request.user))
    # The first site's day; mentors of sites a day apart are rare.
    today = local_today(sites[0].tzinfo if sites else dt.UTC)
    loads = caseloads(sites, today)
    return render(
        request,
        "programs/caseload_list.html",
        {"caseloads": loads, "today": today, "sites": sites},
    )


# --- invitations -------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Invite someone, and the invitations of the sites the user runs (who
    has not accepted yet first)."""
    require_program_pages(request.user)
    sites = lead_sites(request.user)
    form = InvitationForm(sites=sites)
    if request.method == "POST":
        require_lead_sites(request.user)
        form = InvitationForm(request.POST, sites=sites)
        if form.is_valid():
            data = form.cleaned_data
            invitation_create(
                actor=request.user,
                email=data["email"],
                role=data["role"],
                sites=list(data["sites"]),
                first_name=data["first_name"],
                last_name=data["last_name"],
                supervisor=data["supervisor"],
                mentors=list(data["mentors"]),
            )
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": data["email"]}
            )
            return redirect("invitation_list")
    now = timezone.now()
    invitations = list(
        invitations_run_by(request.user)
        .select_related("supervisor")
        .prefetch_related("sites", "mentors__user")[:200]
    )
    invitations.sort(key=lambda item: item.state(now) != "pending")
    return render(
        request,
        "programs/invitation_list.html",
        {
            "form": form,
            "invitations": invitations,
            "now": now,
            "can_invite": sites.exists(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def invitation_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ("resend", "revoke"):
        raise Http404
    invitation = get_invitation_for(request.user, pk)
    try:
        if action == "resend":
            invitation_resend(actor=request.user, invitation=invitation)
            messages.success(
                request, _("Sent again; the earlier link no longer works.")
            )
        else:
            invitation_revoke(actor=request.user, invitation=invitation)
            messages.success(request, _("Withdrawn; the link no longer works."))
    except InvitationRefused as refused:
        messages.error(request, str(refused))
    return redirect("invitation_list")


@login_not_required
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, pk: int, token: str) -> HttpResponse:
    """The link in the mail: choose a username and password, once."""
    try:
        invitation = invitation_check(pk, token)
    except InvitationRefused as refused:
        audit_record(
            request=request,
            action="invitation.refused",
            outcome="410",
            details={"reason": refused.reason, "invitation": pk},
        )
        return render(
            request,
            "programs/invitation_refused.html",
            {"message": str(refused)},
            status=410,
        )
    data = request.POST if request.method == "POST" else None
    form = AcceptForm(data, invitation=invitation)
    if form.is_valid():
        try:
            user = invitation_accept(
                pk=pk,
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except InvitationRefused as refused:  # used or withdrawn meanwhile
            return render(
                request,
                "programs/invitation_refused.html",
                {"message": str(refused)},
                status=410,
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if two_factor_required(user):
            return redirect("two_factor_enrol")
        return redirect("home")
    return render(
        request,
        "programs/invitation_accept.html",
        {"invitation": invitation, "form": form, "sites": invitation.sites.all()},
        status=400 if form.errors else 200,
    )

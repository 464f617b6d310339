from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from core.paging import DeferredJoinPaginator
from core.params import parse_int
from core.roles import Role, user_roles
from logs_app import selectors
from logs_app.fields import FREE_TEXT_FIELDS, OPTION_FIELDS
from logs_app.forms import CommentForm, InteractionLogForm, LogFilterForm
from logs_app.history import log_snapshot, snapshot_diff, values_snapshot
from logs_app.hooks import LogPanels
from logs_app.models import InteractionLog
from logs_app.permissions import (
    LogAccess,
    get_log_for_edit,
    get_log_for_user,
    get_mentor_for_filing,
)
from logs_app.services import LogConflict, SaveResult, log_autosave_filed, log_save
from mentors.models import Mentor, mentor_tz

# Narrative and reflections never reach error reports (AUD-5).
PRIVATE_FIELDS = FREE_TEXT_FIELDS


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    roles = user_roles(request.user)
    if Role.MENTOR in roles:
        return redirect("my_week")
    if Role.SUPERVISOR in roles:
        return redirect("team_week")
    return redirect("log_list")


@require_GET
def my_week(request: HttpRequest) -> HttpResponse:
    mentor = get_mentor_for_filing(request.user)
    week = selectors.my_week_get(mentor=mentor)
    return render(request, "logs_app/my_week.html", {"week": week, "mentor": mentor})


@require_GET
def log_list(request: HttpRequest) -> HttpResponse:
    supervises = Role.SUPERVISOR in user_roles(request.user)
    filters = LogFilterForm(
        request.GET,
        participants=selectors.log_filter_participants(user=request.user),
        mentors=selectors.log_filter_mentors(user=request.user) if supervises else None,
    )
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    logs = selectors.log_list(
        user=request.user,
        participant=cleaned.get("participant"),
        mentor=cleaned.get("mentor"),
        week=cleaned.get("week"),
        status=cleaned.get("status"),
    )
    if supervises and filters.refuses_whom:
        # A supervisor naming a mentor or participant outside their own gets an
        # empty list, never the whole list as if filtered (issue 14).
        logs = logs.none()
    page = DeferredJoinPaginator(logs, settings.PEERLOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "logs_app/interactionlog_list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@require_GET
def log_detail(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_log_for_user(request.user, pk)
    audit_record(request=request, action="log.view", obj=log)
    context = log_page_context(request, log, comment_form=CommentForm())
    return render(request, "logs_app/interactionlog_detail.html", context)


def _log_tz(log: InteractionLog | None):
    """Times about a log read in the site's clock, like the contact itself."""
    if log is None:
        return timezone.get_current_timezone()
    return log.participant.site.tzinfo if log.participant else mentor_tz(log.mentor)


def log_page_context(request: HttpRequest, log: InteractionLog, **extra: Any) -> dict:
    """What the log page and the supervisor's review page show."""
    access = LogAccess(request.user, log)
    is_author = access.is_author
    show_reflections = access.can_read_reflections
    context = selectors.log_detail_get(log=log, with_reflections=show_reflections)
    context.update(
        log=log,
        is_author=is_author,
        is_supervisor_of_log=access.is_supervisor,
        can_edit=access.can_edit,
        can_write_thread=access.can_write_thread,
        can_void=access.can_void,
        show_preferred_name=access.can_write_thread,
        show_reflections=show_reflections,
        display_tz=_log_tz(log),
        thread=selectors.log_thread(log=log) if access.can_read_thread else None,
        has_unread=False,
        # What the apps above logs_app show about the log (issue 14: its
        # follow-up items), rendered by them.
        panels=LogPanels(request, log),
    )
    if context["thread"] and is_author:
        context["has_unread"] = any(
            c.is_from_supervisor and c.acknowledged_at is None
            for c in context["thread"]
        )
    context.update(extra)
    return context


@sensitive_post_parameters(*PRIVATE_FIELDS)
@require_http_methods(["GET", "POST"])
def log_create(request: HttpRequest) -> HttpResponse:
    mentor = get_mentor_for_filing(request.user)
    if request.method == "POST":
        return _save(request, mentor=mentor, log=None)
    # Sensible defaults save taps (issue 13): a log is mostly written right
    # after a meeting in person, so "now" in the mentor's site time.
    now = timezone.now().astimezone(mentor_tz(mentor))
    initial: dict[str, Any] = {
        "contact_date": now.date(),
        "start_time": now.time().replace(second=0, microsecond=0),
        "outcome": InteractionLog.Outcome.MET,
        "mode": InteractionLog.Mode.IN_PERSON,
    }
    # A link's ?participant=; the form shows only the mentor's own participants.
    participant = parse_int(request.GET.get("participant"))
    if participant is not None:
        initial["participant"] = participant
    form = InteractionLogForm(mentor=mentor, initial=initial)
    return _render_form(request, form, log=None)


@sensitive_post_parameters(*PRIVATE_FIELDS)
@require_http_methods(["GET", "POST"])
def log_edit(request: HttpRequest, pk: int) -> HttpResponse:
    log = get_log_for_edit(request.user, pk)
    if request.method == "POST":
        return _save(request, mentor=log.mentor, log=log)
    restored = log.autosaves.filter(user=request.user).first()
    if restored is None:
        form = InteractionLogForm(instance=log, mentor=log.mentor)
        return _render_form(request, form, log=log)
    data = QueryDict(mutable=True)
    for key, values in restored.data.items():
        data.setlist(key, values)
    # Saving checks against the version the typing started from (REL-2).
    data["version"] = str(restored.base_version)
    form = InteractionLogForm(data, instance=log, mentor=log.mentor, submitting=True)
    saved_at = date_format(timezone.localtime(restored.saved_at), "DATETIME_FORMAT")
    messages.info(
        request,
        _("We brought back changes you typed at %(time)s. They are not saved yet.")
        % {"time": saved_at},
    )
    if restored.base_version != log.version:
        messages.warning(
            request,
            _("The log was saved again after you typed these. Check them first."),
        )
    return _render_form(request, form, log=log)


@sensitive_post_parameters(*PRIVATE_FIELDS)
@require_POST
def log_autosave(request: HttpRequest, pk: int | None = None) -> JsonResponse:
    """Save what is typed so far (REL-1). Drafts save into the log itself (the
    fields that are well-formed so far); filed logs keep the typing aside."""
    if pk is None:
        log, mentor = None, get_mentor_for_filing(request.user)
    else:
        log = get_log_for_edit(request.user, pk)
        mentor = log.mentor
    if log is not None and log.status != InteractionLog.Status.DRAFT:
        return _autosave_filed(request, log)
    return _autosave_draft(request, log, mentor)


def _autosave_filed(request: HttpRequest, log: InteractionLog) -> JsonResponse:
    """A filed log keeps its recorded values: the typing waits aside."""
    data = {
        k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"
    }
    # The version the form was opened at; one the log never had means "now".
    opened_at = request.POST.get("version", "")
    base = parse_int(opened_at) or 0
    saved = log_autosave_filed(
        actor=request.user,
        log=log,
        data=data,
        base_version=base if 1 <= base <= log.version else log.version,
    )
    return JsonResponse(
        {
            "status": "saved",
            "version": log.version,
            "saved_at": saved.saved_at.isoformat(),
        }
    )


def _autosave_draft(
    request: HttpRequest, log: InteractionLog | None, mentor: Mentor
) -> JsonResponse:
    """A draft saves into the log itself, the fields well-formed so far."""
    form = InteractionLogForm(request.POST, instance=log, mentor=mentor)
    form.is_valid()
    key = form.cleaned_data.get("idempotency_key")
    if key is None:
        return JsonResponse(
            {"status": "invalid", "message": _("Reload the page.")}, status=400
        )
    values = _draft_values(form, log, mentor)
    try:
        result = log_save(
            actor=request.user,
            mentor=mentor,
            values=values,
            idempotency_key=key,
            log=log,
            expected_version=form.cleaned_data.get("version"),
            submit=False,
        )
    except LogConflict as exc:
        message = _(
            "This log was changed somewhere else. Reload to see the latest version."
        )
        return JsonResponse(
            {"status": "conflict", "version": exc.log.version, "message": message},
            status=409,
        )
    except ValidationError as exc:
        return JsonResponse(
            {"status": "invalid", "message": " ".join(exc.messages)}, status=400
        )
    if result.replayed:
        # The form was submitted in another request meanwhile: nothing to keep.
        return JsonResponse({"status": "filed", "version": result.log.version})
    return JsonResponse(
        {
            "status": "saved",
            "log": result.log.pk,
            "version": result.log.version,
            "saved_at": result.log.updated_at.isoformat(),
            "edit_url": reverse("log_edit", args=[result.log.pk]),
            "autosave_url": reverse("log_autosave", args=[result.log.pk]),
        }
    )


def _draft_values(
    form: InteractionLogForm, log: InteractionLog | None, mentor: Mentor
) -> dict[str, Any]:
    """Well-formed values from the form; a field with an error keeps what is
    stored (nothing, on a new draft) until the mentor corrects it."""
    values = dict(form.cleaned_data)
    for name in form.errors:
        if log is None:
            values.pop(name, None)
        elif name in OPTION_FIELDS:
            values[name] = list(getattr(log, name).all())
        elif hasattr(log, name):
            values[name] = getattr(log, name)
    if "contact_date" in form.errors:
        # The date is checked against the participant's assignment: keep the
        # participant stored with the date, a pair the service accepted (it
        # refuses a pair that breaks the rule, and the rest of the typing with
        # it). The form has already set the new one on the instance.
        values.pop("participant", None)
        if log is not None:
            values["participant"] = (
                InteractionLog.objects.filter(pk=log.pk)
                .select_related("participant__site")
                .get()
                .participant
            )
    return values


def bound_log_form(
    request: HttpRequest, *, mentor: Mentor, log: InteractionLog | None
) -> InteractionLogForm:
    """The posted log form, checked as a submission when the mentor pressed
    Submit or the log is already filed (an edit of a filed log stays complete).
    Used by the form page and by the phone's sync endpoint alike."""
    filed = log is not None and log.status != InteractionLog.Status.DRAFT
    submitting = filed or request.POST.get("action") == "submit"
    return InteractionLogForm(
        request.POST, instance=log, mentor=mentor, submitting=submitting
    )


def save_log_form(
    request: HttpRequest,
    form: InteractionLogForm,
    *,
    mentor: Mentor,
    log: InteractionLog | None,
) -> SaveResult:
    """log_save with what a valid log form holds: its values, its idempotency
    key and the version it was opened at. Raises what log_save raises."""
    return log_save(
        actor=request.user,
        mentor=mentor,
        values=form.cleaned_data,
        idempotency_key=form.cleaned_data["idempotency_key"],
        log=log,
        expected_version=form.cleaned_data.get("version"),
        submit=form.submitting,
    )


def _save(
    request: HttpRequest, *, mentor: Mentor, log: InteractionLog | None
) -> HttpResponse:
    form = bound_log_form(request, mentor=mentor, log=log)
    filed = log is not None and log.status != InteractionLog.Status.DRAFT
    if not form.is_valid():
        # The page's error summary names each problem (no message on top).
        return _render_form(request, form, log=log, status=400)
    try:
        result = save_log_form(request, form, mentor=mentor, log=log)
    except LogConflict as exc:
        return _render_conflict(request, form, stored=exc.log)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _render_form(request, form, log=log, status=400)
    saved = result.log
    returned = log is not None and log.status == InteractionLog.Status.RETURNED
    if result.replayed:
        messages.info(
            request, _("This log was already submitted. Nothing was filed twice.")
        )
    elif saved.status == InteractionLog.Status.DRAFT:
        messages.success(
            request, _("Draft saved. You can finish it later from My week.")
        )
        return redirect("log_edit", pk=saved.pk)
    elif returned:
        # Issue 14: say plainly where the log went, and who has it now.
        messages.success(request, _resubmitted_message(saved))
    elif filed:
        messages.success(
            request, _("Changes saved. The earlier version is kept in the history.")
        )
    else:
        messages.success(request, _("Thank you. Your log is submitted."))
    return redirect("log_detail", pk=saved.pk)


def _resubmitted_message(log: InteractionLog) -> str:
    supervisor = log.mentor.supervisor
    if supervisor is None:
        return _("Submitted again. The log went back for review.")
    return _(
        "Submitted again. The log went back to your supervisor, %(name)s, for "
        "review, and their request is marked as addressed."
    ) % {"name": supervisor.get_full_name() or supervisor.get_username()}


def _render_conflict(
    request: HttpRequest, form: InteractionLogForm, *, stored: InteractionLog
) -> HttpResponse:
    """Someone saved first (REL-2). The user's typing stays on screen, the fields
    that differ are named, and the form now carries the stored version, so saving
    again knowingly keeps the user's text."""
    data = request.POST.copy()
    data["version"] = str(stored.version)
    retry = InteractionLogForm(
        data, instance=stored, mentor=stored.mentor, submitting=form.submitting
    )
    retry.is_valid()
    differ = snapshot_diff(
        log_snapshot(stored), values_snapshot(form.cleaned_data, stored.status)
    )
    labels = [str(retry.fields[name].label) for name in differ if name in retry.fields]
    messages.warning(
        request,
        _(
            "This log was saved somewhere else at %(time)s, after you opened it. Your "
            "changes are below and are not saved yet. Check them, then save again to "
            "keep yours."
        )
        % {"time": date_format(timezone.localtime(stored.updated_at), "TIME_FORMAT")},
    )
    return _render_form(request, retry, log=stored, status=409, conflict_fields=labels)


def _render_form(
    request: HttpRequest,
    form: InteractionLogForm,
    *,
    log: InteractionLog | None,
    status: int = 200,
    conflict_fields: list[str] | None = None,
) -> HttpResponse:
    autosave_url = (
        reverse("log_autosave", args=[log.pk]) if log else reverse("log_autosave_new")
    )
    return render(
        request,
        "logs_app/interactionlog_form.html",
        {
            "form": form,
            "log": log,
            "is_filed": log is not None and log.status != InteractionLog.Status.DRAFT,
            "autosave_url": autosave_url,
            "autosave_interval": settings.PEERLOG_AUTOSAVE_INTERVAL_MS,
            "conflict_fields": conflict_fields or [],
            "revision_request": selectors.revision_request_list(log=log)
            if log is not None
            else [],
            "display_tz": _log_tz(log),
        },
        status=status,
    )

"""Follow-up item pages and the supervision agenda (issue 14)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from core.timeutils import iso_week_bounds, iso_week_label
from logs_app.forms import WeekField
from logs_app.permissions import get_supervised_mentors, require_supervisor
from logs_app.selectors_dashboard import team_today
from mentors.models import mentor_tz
from supervision import followup as services
from supervision import selectors
from supervision.agenda import agenda_get
from supervision.forms import (
    FollowUpChangeForm,
    FollowUpFilterForm,
    FollowUpReassignForm,
    FollowUpResolveForm,
)
from supervision.models import FollowUpItem
from supervision.permissions import get_followup_for_user, require_followup_user
from supervision.selectors_meetings import open_actions_for


@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    require_followup_user(request.user)
    mentors = selectors.followup_mentor_choices(user=request.user)
    filters = FollowUpFilterForm(request.GET or None, mentors=mentors)
    items = selectors.followup_list(user=request.user, **filters.filters())
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    for item in page.object_list:
        item.is_overdue = selectors.is_overdue(item, now)
    return render(
        request,
        "supervision/followupitem_list.html",
        {"page": page, "filters": filters},
    )


@require_GET
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_followup_for_user(request.user, pk)
    return _detail_page(request, item)


def _detail_page(
    request: HttpRequest,
    item: FollowUpItem,
    *,
    resolve_form: FollowUpResolveForm | None = None,
    reassign_form: FollowUpReassignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The item page; a refused change passes its bound form back, so what
    was typed stays in the box."""
    # The follow-up note is sensitive: reading the item is audited like
    # reading a log.
    audit_record(request=request, action="followup.view", obj=item)
    version = {"version": item.version}
    return render(
        request,
        "supervision/followupitem_detail.html",
        {
            "item": item,
            "is_overdue": selectors.is_overdue(item, timezone.now()),
            "site_tz": item.site.tzinfo,
            "history": selectors.followup_history(item=item),
            "change_form": FollowUpChangeForm(initial=version),
            "resolve_form": resolve_form
            or FollowUpResolveForm(initial={**version, "note": item.resolution_note}),
            "reassign_form": reassign_form or FollowUpReassignForm(initial=version),
        },
        status=status,
    )


def _stale(request: HttpRequest, exc: services.StaleFollowUp, **forms) -> HttpResponse:
    """Someone else changed the item first: say so, show it as it is now,
    and keep the typed note (with the new version, so a second press works)."""
    messages.warning(
        request,
        _(
            "Someone else changed this item while you had it open; nothing was "
            "changed. It is shown as it is now, with what you typed kept."
        ),
    )
    item = exc.item
    for name, form in forms.items():
        data = form.data.copy()
        data["version"] = str(item.version)
        forms[name] = type(form)(data)
    return _detail_page(request, item, status=409, **forms)


def _simple_change(request: HttpRequest, pk: int, change, done: str) -> HttpResponse:
    """Start or reopen: a version, no text."""
    item = get_followup_for_user(request.user, pk)
    form = FollowUpChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The page was out of date. Try again."))
        return redirect("followup_detail", pk=item.pk)
    try:
        change(
            actor=request.user,
            item=item,
            expected_version=form.cleaned_data["version"],
        )
    except services.StaleFollowUp as exc:
        return _stale(request, exc)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("followup_detail", pk=item.pk)
    messages.success(request, done)
    return redirect("followup_detail", pk=item.pk)


@require_POST
def followup_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_change(
        request, pk, services.followup_start, _("Marked in progress.")
    )


@require_POST
def followup_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _simple_change(
        request, pk, services.followup_reopen, _("Reopened. It is on the agenda again.")
    )


@sensitive_post_parameters("note")
@require_POST
def followup_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_followup_for_user(request.user, pk)
    form = FollowUpResolveForm(request.POST)
    if form.is_valid():
        try:
            services.followup_resolve(
                actor=request.user,
                item=item,
                expected_version=form.cleaned_data["version"],
                note=form.cleaned_data["note"],
            )
        except services.StaleFollowUp as exc:
            return _stale(request, exc, resolve_form=form)
        except ValidationError as exc:
            form.add_error(None, exc)  # a dict of field errors lands on "note"
        else:
            messages.success(
                request, _("Resolved. The mentor sees that it was followed up.")
            )
            return redirect("followup_detail", pk=item.pk)
    return _detail_page(request, item, resolve_form=form, status=400)


@require_POST
def followup_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_followup_for_user(request.user, pk)
    form = FollowUpReassignForm(request.POST)
    if form.is_valid():
        try:
            item = services.followup_reassign(
                actor=request.user,
                item=item,
                expected_version=form.cleaned_data["version"],
                to=form.cleaned_data["to"],
            )
        except services.StaleFollowUp as exc:
            return _stale(request, exc, reassign_form=form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            who = item.owner.get_full_name() or item.owner.get_username()
            messages.success(request, _("Handed to %(who)s.") % {"who": who})
            return redirect("followup_detail", pk=item.pk)
    return _detail_page(request, item, reassign_form=form, status=400)


@require_GET
def supervision_agenda(request: HttpRequest) -> HttpResponse:
    require_supervisor(request.user)
    try:
        week = WeekField(required=False).clean(request.GET.get("week", ""))
    except ValidationError:
        messages.warning(request, _("That week was not understood; showing this week."))
        week = None
    mentors = list(get_supervised_mentors(request.user))
    if week is None:
        # This week where the team works, as on the team pages; not the server's.
        week = iso_week_bounds(team_today(mentors))
    tz = mentor_tz(mentors[0]) if mentors else timezone.get_current_timezone()
    agenda = agenda_get(user=request.user, week=week, tz=tz)
    now = timezone.now()
    for item in [
        *agenda.carried,
        *(i for log in agenda.logs for i in log.followups.all()),
    ]:
        item.is_overdue = selectors.is_overdue(item, now)
    return render(
        request,
        "supervision/supervision_agenda.html",
        {
            "agenda": agenda,
            "logs": agenda.logs,
            "carried": agenda.carried,
            "week_start": week[0],
            "week_end": week[1],
            "week_label": iso_week_label(week[0]),
            "display_tz": tz,
            "mentors": mentors,
            "open_actions": open_actions_for(
                mentors=mentors, today=timezone.localdate(now, tz)
            ),
            "safety": [log for log in agenda.logs if log.safety_concern],
            "others": [log for log in agenda.logs if not log.safety_concern],
        },
    )

"""Supervision meeting pages: a mentor's meetings, planning one, the meeting
page (printable) and recording it, and its agreed actions. Access is decided
by `permissions_meetings`; dates are shown and typed in the mentor's home-site
time."""

import zoneinfo

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from participants.models import home_site
from supervision import meetings as services
from supervision import selectors_meetings as selectors
from supervision.forms_meetings import (
    MeetingActionForm,
    MeetingPlanForm,
    MeetingRecordForm,
)
from supervision.permissions_meetings import (
    get_action_for_edit,
    get_meeting_for_edit,
    get_meeting_for_user,
    get_mentor_for_meetings,
    get_mentor_for_planning,
)


def _tz(mentor):
    site = home_site(mentor.sites.all())
    return site.tzinfo if site else zoneinfo.ZoneInfo("UTC")


def _people(mentor, meeting=None):
    pks = [person.pk for person in services.meeting_people(mentor, meeting)]
    return get_user_model().objects.filter(pk__in=pks).order_by("pk")


@require_GET
def meeting_list(request: HttpRequest, mentor_pk: int) -> HttpResponse:
    mentor, access = get_mentor_for_meetings(request.user, mentor_pk)
    with timezone.override(_tz(mentor)):
        return render(
            request,
            "supervision/meeting_list.html",
            {
                "mentor": mentor,
                "access": access,
                "meetings": selectors.meeting_list(mentor=mentor),
            },
        )


@require_http_methods(["GET", "POST"])
def meeting_plan(request: HttpRequest, mentor_pk: int) -> HttpResponse:
    mentor, access = get_mentor_for_planning(request.user, mentor_pk)
    with timezone.override(_tz(mentor)):
        form = MeetingPlanForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            meeting = services.meeting_plan(
                actor=request.user,
                mentor=mentor,
                planned_for=form.cleaned_data["planned_for"],
            )
            messages.success(request, _("Meeting planned."))
            return redirect("meeting_detail", pk=meeting.pk)
        plan = selectors.meeting_plan_get(
            mentor=mentor, with_reflections=access.can_read_reflections
        )
        if plan["reflections"]:
            audit_record(
                request=request,
                action="meeting.plan_view",
                obj=mentor,
                details={"reflections": [log.pk for log in plan["reflections"]]},
            )
        return render(
            request,
            "supervision/meeting_plan.html",
            {"mentor": mentor, "access": access, "form": form, **plan},
            status=400 if form.is_bound else 200,
        )


def _detail_page(request, meeting, access, *, action_form=None, status=200):
    context = {"meeting": meeting, "mentor": meeting.mentor, "access": access}
    context |= selectors.meeting_detail_get(
        meeting=meeting, with_notes=access.can_read_notes
    )
    if access.can_manage:
        context["action_form"] = action_form or MeetingActionForm(
            people=_people(meeting.mentor, meeting)
        )
        if meeting.held_at is None:
            context |= selectors.meeting_plan_get(
                mentor=meeting.mentor,
                with_reflections=access.can_read_reflections,
                meeting=meeting,
            )
    return render(request, "supervision/meeting_detail.html", context, status=status)


@require_GET
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, access = get_meeting_for_user(request.user, pk)
    with timezone.override(_tz(meeting.mentor)):
        return _detail_page(request, meeting, access)


def _record_form(request, meeting):
    choices = selectors.record_choices(meeting=meeting)
    people = _people(meeting.mentor, meeting)
    if request.method == "POST":
        return MeetingRecordForm(request.POST, people=people, **choices)
    held = meeting.held_at is not None
    initial = {
        "version": meeting.version,
        "held_at": meeting.held_at or meeting.planned_for,
        "attendees": list(meeting.attendees.all())
        if held
        else [meeting.supervisor, meeting.mentor.user],
        "others_attending": meeting.others_attending,
        "notes": meeting.notes,
        "items": list(meeting.items.all()),
        "logs": list(meeting.logs.all()),
    }
    return MeetingRecordForm(initial=initial, people=people, **choices)


@sensitive_post_parameters("notes", "others_attending")
@require_http_methods(["GET", "POST"])
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, access = get_meeting_for_edit(request.user, pk)
    with timezone.override(_tz(meeting.mentor)):
        form = _record_form(request, meeting)
        status = 200
        if request.method == "POST":
            status = 400
            if form.is_valid():
                data = dict(form.cleaned_data)
                try:
                    services.meeting_record(
                        actor=request.user,
                        meeting=meeting,
                        expected_version=data.pop("version"),
                        **data,
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                except services.StaleMeeting:
                    status = 409
                    form.add_error(
                        None,
                        _(
                            "Someone else changed this record meanwhile. Nothing "
                            "was saved: your text is kept below. Open the meeting "
                            "again to see their version, then add yours."
                        ),
                    )
                else:
                    messages.success(request, _("Meeting recorded."))
                    return redirect("meeting_detail", pk=meeting.pk)
        return render(
            request,
            "supervision/meeting_record.html",
            {"meeting": meeting, "mentor": meeting.mentor, "form": form},
            status=status,
        )


@require_POST
def meeting_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, access = get_meeting_for_edit(request.user, pk)
    with timezone.override(_tz(meeting.mentor)):
        form = MeetingActionForm(request.POST, people=_people(meeting.mentor, meeting))
        if form.is_valid():
            try:
                services.meeting_action_add(
                    actor=request.user, meeting=meeting, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Action added."))
                return redirect("meeting_detail", pk=meeting.pk)
        return _detail_page(request, meeting, access, action_form=form, status=400)


@require_POST
def meeting_action_done(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_action_for_edit(request.user, pk)
    if services.meeting_action_done(actor=request.user, action=action):
        messages.success(request, _("Action marked done."))
    else:
        messages.info(request, _("This action was already marked done."))
    return redirect("meeting_detail", pk=action.meeting_id)

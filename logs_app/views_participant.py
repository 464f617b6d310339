"""The participant progress page: how someone is doing over the program, for
their mentors, those mentors' supervisors and program admins."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from audit.services import audit_record
from core.charts import line_chart
from logs_app.permissions import get_participant_for_progress
from logs_app.selectors_participant import participant_progress_get


@require_GET
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = get_participant_for_progress(request.user, pk)
    audit_record(request=request, action="participant.view", obj=participant)
    progress = participant_progress_get(user=request.user, participant=participant)
    co_chart = line_chart(
        title=_("CO readings"),
        series=[(_("CO (ppm)"), progress.co_points)] if progress.co_points else [],
        y_label=_("ppm"),
    )
    cigarette_chart = line_chart(
        title=_("Cigarettes per day"),
        series=[(_("Cigarettes per day"), progress.cigarette_points)]
        if progress.cigarette_points
        else [],
        y_label=_("cigarettes a day"),
    )
    return render(
        request,
        "logs_app/participant_detail.html",
        {
            "progress": progress,
            "participant": participant,
            "co_chart": co_chart,
            "cigarette_chart": cigarette_chart,
        },
    )

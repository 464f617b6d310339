"""An erasure request for a participant (issue 17): a page that says what goes
and what stays, and asks why and for the study ID again (programs.erasure)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from programs.erasure import participant_erase
from programs.forms_erasure import ErasureForm
from programs.permissions import get_participant_for


@require_http_methods(["GET", "POST"])
def participant_erase_view(request: HttpRequest, pk: int) -> HttpResponse:
    participant = get_participant_for(request.user, pk)
    data = request.POST if request.method == "POST" else None
    form = ErasureForm(data, participant=participant)
    if form.is_valid():
        done = participant_erase(
            actor=request.user,
            participant=participant,
            reason=form.cleaned_data["reason"],
        )
        if not done.get("changed", True):
            messages.info(request, _("Already erased: nothing was left to remove."))
        else:
            messages.success(
                request,
                _(
                    "Erased: their preferred name, the text of %(logs)s logs and "
                    "%(comments)s comments, and %(texts)s analysis texts."
                )
                % {
                    "logs": done["logs"],
                    "comments": done["comments"],
                    "texts": done["analysis_texts_removed"],
                },
            )
        return redirect("participant_lifecycle", participant.pk)
    return render(
        request,
        "programs/participant_erase.html",
        {"participant": participant, "form": form},
        status=400 if form.errors else 200,
    )

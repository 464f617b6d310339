"""Mail preferences and the one-click unsubscribe link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from audit.services import audit_record
from notifications.forms import PreferenceForm
from notifications.models import NotificationPreference
from notifications.services import preference_for


@require_http_methods(["GET", "POST"])
def mail_preferences(request: HttpRequest) -> HttpResponse:
    preference = preference_for(request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        audit_record(
            request=request,
            action="mail.preferences",
            details={"digest": preference.digest},
        )
        messages.success(request, _("Your mail settings are saved."))
        return redirect("mail_preferences")
    return render(request, "notifications/mail_preferences.html", {"form": form})


@login_not_required
@csrf_exempt  # one-click unsubscribe (RFC 8058) is a POST from the mail provider
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST stops the
    optional digest. The token in the link is the secret."""
    preference = get_object_or_404(NotificationPreference, unsubscribe_token=token)
    done = False
    if request.method == "POST":
        preference.digest = NotificationPreference.DigestFrequency.OFF
        preference.save(update_fields=["digest"])
        audit_record(request=request, action="mail.unsubscribe", actor=preference.user)
        done = True
    return render(request, "notifications/unsubscribe.html", {"done": done})

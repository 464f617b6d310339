"""The personal access token pages (issue 16): list, create after a fresh
two-step code, revoke. The secret is shown once, in the response to the POST
that made it (no-store): never in a redirect, a message or the session."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.policy import has_authenticator
from api.forms import TokenForm
from api.models import MAX_DAYS
from api.permissions import get_token_for_user, require_token_right
from api.selectors import token_list
from api.tokens import TokenRefused, token_create, token_revoke
from audit.services import audit_record

# Which field a refusal of api.tokens.token_create belongs next to.
REFUSAL_FIELD = {"days": "days", "level": "level", "sites": "sites"}


@require_GET
def api_token_list(request: HttpRequest) -> HttpResponse:
    require_token_right(request.user)
    return render(
        request,
        "api/token_list.html",
        {"tokens": token_list(user=request.user), "now": timezone.now()},
    )


def _code_accepted(user, code: str) -> bool:
    """A current code from one of the user's authenticators. django-otp keeps
    each code single-use and throttles a device after a wrong one (the wait
    doubles each time, shared with the sign-in's second step)."""
    devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    return any(device.verify_token(code) for device in devices)


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def api_token_create(request: HttpRequest) -> HttpResponse:
    granted = require_token_right(request.user)
    if not has_authenticator(request.user):
        query = urlencode({"next": reverse("api_token_create")})
        return redirect(f"{reverse('two_factor_enrol')}?{query}")
    data = request.POST if request.method == "POST" else None
    form = TokenForm(data, user=request.user, granted=granted)
    if form.is_valid():
        if _code_accepted(request.user, form.cleaned_data["code"]):
            created = _create(form, request.user)
            if created is not None:
                return _created_page(request, created)
        else:
            form.add_error(
                "code",
                _("That code did not work. Type the new code your app shows."),
            )
    if form.errors:
        audit_record(
            request=request,
            action="api.token.refused",
            outcome="refused",
            details={"fields": sorted(form.errors)},
        )
    return render(
        request,
        "api/token_form.html",
        {"form": form, "max_days": MAX_DAYS},
        status=400 if form.errors else 200,
    )


def _create(form: TokenForm, user):
    """The new token, or None with the service's refusal on its field (the
    form checks the same rules; the service is the last word)."""
    data = form.cleaned_data
    try:
        return token_create(
            user=user,
            name=data["name"],
            level=data["level"],
            site_ids=[site.pk for site in data["sites"]],
            days=data["days"],
        )
    except TokenRefused as refused:
        form.add_error(REFUSAL_FIELD.get(refused.reason), refused.message)
        return None


def _created_page(request: HttpRequest, created) -> HttpResponse:
    response = render(
        request,
        "api/token_created.html",
        {"token": created.token, "plain": created.plain},
        status=201,
    )
    # The only place the secret ever appears: kept in no cache, not even the
    # browser's back-forward history.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST revokes (a second POST changes nothing)."""
    token = get_token_for_user(request.user, pk)
    if request.method == "GET":
        return render(request, "api/token_revoke.html", {"token": token})
    if token_revoke(actor=request.user, token=token):
        done = _("Token “%(name)s” revoked: it no longer works.")
        messages.success(request, done % {"name": token.name})
    return redirect("api_token_list")

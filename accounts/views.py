"""Sign-in, sign-out, two-step sign-in and the session keep-alive."""

from base64 import b32encode
from functools import partial
from urllib.parse import urlencode, urlsplit

import segno
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.forms import CodeForm
from accounts.policy import has_authenticator, is_verified, two_factor_required
from accounts.services import (
    LoginGate,
    backup_codes_replace,
    login_attempt_claim,
    login_success_record,
    login_username,
    totp_device_for_enrolment,
    two_factor_enable,
)
from accounts.sessions import SIGNED_OUT, is_background, session_remaining
from audit.services import audit_record


def _actor_for(typed: str) -> User | None:
    """The account a typed name would sign in as (the form's normalised name)."""
    username = login_username(typed)
    return User.objects.filter(username=username).first() if username else None


class LoginView(auth_views.LoginView):
    """Django's sign-in with a lockout per username (AUTH-5, AUTH-10) and an
    audit row for every outcome. Unknown names and wrong passwords get the same
    answer, and lock the same way (AUTH-6).

    The attempt is counted before the form checks the password, keyed on the
    name the form will authenticate (NFKC, case-folded): look-alike spellings
    share one count, and parallel guesses get at most the limit of checks."""

    gate: LoginGate | None = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The session-timeout script's status check lands here too once the
        # session has ended; leave the reason for the page the person sees.
        if not is_background(self.request):
            context["signed_out_reason"] = self.request.session.pop(SIGNED_OUT, "")
        context["idle_minutes"] = settings.PEERLOG_SESSION_IDLE_SECONDS // 60
        return context

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        typed = request.POST.get("username", "")
        password = request.POST.get("password", "")
        # Count exactly the attempts whose password the form will check.
        if login_username(typed) and password and "\x00" not in password:
            self.gate = login_attempt_claim(
                username=typed,
                ip=request.META.get("REMOTE_ADDR") or None,
                now=timezone.now(),
            )
            if self.gate is LoginGate.BUSY:
                return self._refused(typed, busy=True)
            if self.gate is LoginGate.LOCKED:
                audit_record(
                    request=request,
                    action="auth.login.locked",
                    outcome="refused",
                    actor=_actor_for(typed),
                    details={"username": typed[:150]},
                )
                return self._refused(typed)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        login_success_record(username=form.cleaned_data["username"])
        audit_record(request=self.request, action="auth.login")
        return response

    def form_invalid(self, form):
        typed = form.data.get("username", "")
        if self.gate is not None and form.has_error("__all__", "invalid_login"):
            record = partial(
                audit_record,
                request=self.request,
                actor=_actor_for(typed),
                details={"username": typed[:150]},
            )
            record(action="auth.login.failed", outcome="refused")
            if self.gate is LoginGate.LAST:
                record(action="auth.lockout", outcome="locked")
                return self._refused(typed)
        return super().form_invalid(form)

    def _refused(self, username: str, *, busy: bool = False) -> HttpResponse:
        # An unbound form: rendering a bound one would validate it, which
        # checks the password of a locked name.
        form = self.get_form_class()(self.request, initial={"username": username})
        context = self.get_context_data(form=form, locked=not busy, busy=busy)
        context["lockout_minutes"] = settings.PEERLOG_LOCKOUT_SECONDS // 60
        response = self.render_to_response(context, status=503 if busy else 429)
        if busy:
            response["Retry-After"] = "5"
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(request=request, action="auth.logout")
        response = super().post(request, *args, **kwargs)
        # The phone forgets the offline app's copy too (issue 13): its outbox,
        # pages and worker, even if the page's own wipe did not run. "storage"
        # covers all three; "cache" (the HTTP cache, where no-store pages never
        # go) made Chromium's sign-out take seconds.
        response["Clear-Site-Data"] = '"storage"'
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with the mail's link built from
    PEERLOG_SITE_URL like every other mail: never from the request's Host
    header, which the person asking for the reset controls."""

    def form_valid(self, form):
        site_url = settings.PEERLOG_SITE_URL.rstrip("/")
        parts = urlsplit(site_url)
        self.domain_override = parts.netloc
        self.extra_email_context = {"site_url": site_url}
        return super().form_valid(form)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return settings.LOGIN_REDIRECT_URL


def _with_next(request: HttpRequest, name: str) -> HttpResponse:
    nxt = request.GET.get("next") or request.POST.get("next")
    query = "?" + urlencode({"next": nxt}) if nxt else ""
    return redirect(reverse(name) + query)


def _match(user: User, code: str):
    """The device that accepts `code`: six digits go to the authenticator, the
    rest to the backup codes, so a try at one never throttles the other."""
    model = TOTPDevice if code.isdigit() else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        if device.verify_token(code):
            return device
    return None


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app or a backup code.
    Each code works once (django-otp remembers the last time step used)."""
    if not has_authenticator(request.user):
        return _with_next(request, "two_factor_enrol")
    if is_verified(request.user):
        return redirect(_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None, backup=True)
    if request.method == "POST" and form.is_valid():
        device = _match(request.user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            method = "backup" if isinstance(device, StaticDevice) else "totp"
            audit_record(
                request=request, action="auth.2fa.verified", details={"method": method}
            )
            return redirect(_next(request))
        audit_record(request=request, action="auth.2fa.failed", outcome="refused")
        form.add_error("code", _("That code did not work. Check it and try again."))
    status = 400 if form.errors else 200
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


def _qr_svg(device: TOTPDevice) -> str:
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(
        scale=4,
        border=4,
        dark="#000",
        light="#fff",
        title=_("QR code for your authenticator app"),
        svgclass="d-block mx-auto",
    )
    return mark_safe(svg)  # noqa: S308 (segno's own markup; the URL is ours)


def _grouped_key(device: TOTPDevice) -> str:
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan (or type) the key, confirm one code,
    then see the backup codes once."""
    if has_authenticator(request.user):
        return _with_next(request, "two_factor_verify")
    device = totp_device_for_enrolment(user=request.user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            codes = two_factor_enable(user=request.user, device=device)
            otp_login(request, device)
            audit_record(request=request, action="auth.2fa.enrolled")
            return render(
                request,
                "accounts/backup_codes.html",
                {"codes": codes, "next": _next(request), "first_time": True},
            )
        audit_record(request=request, action="auth.2fa.failed", outcome="refused")
        form.add_error(
            "code",
            _(
                "That code did not match. Check that the time on your phone is "
                "right and type the code the app shows now."
            ),
        )
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "qr_svg": _qr_svg(device),
            "manual_key": _grouped_key(device),
            "next": request.GET.get("next", ""),
            "required": two_factor_required(request.user),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """New backup codes (the old ones stop working), shown once."""
    if not has_authenticator(request.user):
        return redirect("two_factor_enrol")
    codes = backup_codes_replace(user=request.user)
    audit_record(request=request, action="auth.2fa.backup_codes")
    return render(
        request,
        "accounts/backup_codes.html",
        {"codes": codes, "next": "", "first_time": False},
    )


@require_GET
def account_security(request: HttpRequest) -> HttpResponse:
    """Two-step sign-in status, set-up for mentors, new backup codes."""
    user = request.user
    static = StaticDevice.objects.filter(user=user).first()
    return render(
        request,
        "accounts/account_security.html",
        {
            "has_authenticator": has_authenticator(user),
            "required_by_role": two_factor_required(user),
            "backup_codes_left": static.token_set.count() if static else 0,
        },
    )


@require_http_methods(["GET", "POST"])
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """GET: seconds left in this session (polling; does not count as activity).
    POST: "Stay signed in" — the one background request that does count."""
    remaining = session_remaining(request.session, now=timezone.now())
    return JsonResponse({"remaining": remaining})

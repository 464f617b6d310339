"""Sign-in security middleware: the client's address behind a proxy, session
time limits (SES-1/2/3, AUTH-9) and the two-step gate (AUTH-4)."""

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.policy import has_authenticator, is_verified, two_factor_required
from accounts.sessions import (
    SIGNED_OUT,
    is_background,
    is_explicit_keepalive,
    session_end_reason,
    session_touch,
)
from audit.services import audit_record


class ClientIPMiddleware:
    """With PEERLOG_TRUSTED_PROXY_COUNT = n > 0 (n proxies we run, each appending
    to X-Forwarded-For), the client is the n-th address from the right; anything
    left of it was written by the client and is ignored. With 0 (the default),
    REMOTE_ADDR stands. Everything that reads the address (audit, lockout) then
    reads REMOTE_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = settings.PEERLOG_TRUSTED_PROXY_COUNT
        if count > 0:
            hops = [
                hop.strip()
                for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                if hop.strip()
            ]
            if len(hops) >= count:
                try:
                    client = str(ipaddress.ip_address(hops[-count]))
                except ValueError:
                    client = None
                if client:
                    request.META["PEERLOG_PROXY_ADDR"] = request.META.get(
                        "REMOTE_ADDR", ""
                    )
                    request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class SessionPolicyMiddleware:
    """Ends a session after PEERLOG_SESSION_IDLE_SECONDS without activity or
    PEERLOG_SESSION_ABSOLUTE_SECONDS after sign-in, and a deactivated user's
    session at once. Background requests do not count as activity; the
    "Stay signed in" ping does. Must come after AuthenticationMiddleware and
    before LoginRequiredMiddleware, which then sends the request to sign in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = timezone.now()
            # Django's backends already refuse inactive users; this holds even
            # if a backend that does not is added (AUTH-9).
            reason = (
                "inactive"
                if not user.is_active
                else session_end_reason(request.session, now=now)
            )
            if reason:
                audit_record(
                    request=request,
                    action="auth.session.ended",
                    outcome=reason,
                    details={"reason": reason},
                )
                logout(request)
                request.session[SIGNED_OUT] = reason
            elif is_explicit_keepalive(request):
                session_touch(request.session, now=now, force=True)
            elif not is_background(request):
                session_touch(request.session, now=now, force=False)
        return self.get_response(request)


# Until the code is entered, only these views answer (static files are served
# by WhiteNoise before any of this runs).
TWO_FACTOR_OPEN_VIEWS = frozenset(
    {"two_factor_verify", "two_factor_enrol", "logout", "session_keepalive"}
)


class TwoFactorMiddleware:
    """A signed-in user who must use two-step sign-in reaches nothing but the
    code and set-up pages and sign-out until the session has passed a code.
    Admin pages included (AZ-12). Goes after django-otp's OTPMiddleware and
    LoginRequiredMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not settings.PEERLOG_2FA_REQUIRED or not user.is_authenticated:
            return None
        if request.resolver_match.view_name in TWO_FACTOR_OPEN_VIEWS:
            return None
        if is_verified(user) or not two_factor_required(user):
            return None
        target = "two_factor_verify" if has_authenticator(user) else "two_factor_enrol"
        return redirect_to_login(request.get_full_path(), reverse(target))

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.policy import is_verified, two_factor_required
from accounts.sessions import session_remaining


def session_timeout(request: HttpRequest) -> dict:
    """What static/js/session-timeout.js needs, as data- attributes on <body>:
    seconds left (relative, so the phone's clock does not matter), when to warn,
    where to ping and where to go after the deadline."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        # Until the code is entered only the code page is reachable: no menu.
        "two_factor_pending": not is_verified(user) and two_factor_required(user),
        "session_timeout": {
            "remaining": session_remaining(request.session, now=timezone.now()),
            "warning": settings.PEERLOG_SESSION_WARNING_SECONDS,
            "keepalive_url": reverse("session_keepalive"),
            "login_url": reverse("login"),
        },
    }

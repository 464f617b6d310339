"""Session clocks (SES-1/2/3): when a session started and when its user last did
something. Both are epoch seconds in the session itself, so the database-backed
session store (SES-7) is the only state."""

import datetime as dt

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

AUTH_AT = "peerlog_auth_at"
SEEN_AT = "peerlog_seen_at"
# The login page explains why someone was signed out ("idle", "absolute").
SIGNED_OUT = "peerlog_signed_out"
# Activity is written at most once a minute, so ordinary page views do not
# turn every request into a session UPDATE.
SEEN_GRANULARITY = 60


def _ts(now: dt.datetime) -> int:
    return int(now.timestamp())


def session_stamp_login(sender, request: HttpRequest, user, **kwargs) -> None:
    """user_logged_in receiver: a new session starts both clocks."""
    now = _ts(timezone.now())
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now


def session_end_reason(session: SessionBase, *, now: dt.datetime) -> str | None:
    """Why this signed-in session must end now, or None. A session without
    clocks (created before they existed) ends: fail closed."""
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return "unstamped"
    if _ts(now) - auth_at > settings.PEERLOG_SESSION_ABSOLUTE_SECONDS:
        return "absolute"
    if _ts(now) - seen_at > settings.PEERLOG_SESSION_IDLE_SECONDS:
        return "idle"
    return None


def session_remaining(session: SessionBase, *, now: dt.datetime) -> int:
    """Seconds until this session ends if nothing else happens."""
    auth_at, seen_at = session.get(AUTH_AT, 0), session.get(SEEN_AT, 0)
    ends = min(
        seen_at + settings.PEERLOG_SESSION_IDLE_SECONDS,
        auth_at + settings.PEERLOG_SESSION_ABSOLUTE_SECONDS,
    )
    return max(0, ends - _ts(now))


def session_touch(session: SessionBase, *, now: dt.datetime, force: bool) -> None:
    """Record activity; without `force`, only if the last record is a minute old."""
    seen_at = session.get(SEEN_AT, 0)
    if force or _ts(now) - seen_at >= SEEN_GRANULARITY:
        session[SEEN_AT] = _ts(now)


def is_explicit_keepalive(request: HttpRequest) -> bool:
    return request.method == "POST" and request.path == reverse("session_keepalive")


def is_background(request: HttpRequest) -> bool:
    """Requests no person asked for: the log form's autosave and beacon, status
    polling. They must not keep a session alive (SES-3)."""
    return bool(
        request.headers.get("X-Requested-With")
        or request.headers.get("Sec-Fetch-Dest") == "empty"
    )

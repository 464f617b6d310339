"""The request being served, for audit rows written by code that does not
take a request (AUD-1), and the app user named in the database session for
the history triggers (AUD-2)."""

import contextvars

from django.db import connection
from django.http import HttpRequest

# --- request context ---------------------------------------------------------------
_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "peerlog_current_request", default=None
)


def request_context_enter(request: HttpRequest) -> contextvars.Token:
    """Remember the request being served, so that audit rows written by services
    (which do not take a request) still carry its id, address and path."""
    return _current_request.set(request)


def request_context_exit(token: contextvars.Token) -> None:
    _current_request.reset(token)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def db_actor_set(actor) -> None:
    """Name the app user (and request) in this transaction's database session,
    for the history triggers (PostgreSQL). Call inside `transaction.atomic()`;
    a no-op on SQLite."""
    if connection.vendor != "postgresql":
        return
    request = current_request()
    request_id = getattr(request, "request_id", None)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('peerlog.actor_id', %s, true),"
            " set_config('peerlog.request_id', %s, true)",
            [str(actor.pk) if actor is not None else "", str(request_id or "")],
        )

"""Request-wide audit plumbing.

- RequestIDMiddleware (first in MIDDLEWARE): a uuid per request, on every audit
  row the request writes and in the `X-Request-ID` response header, so a user's
  report ("it failed at 10:02, id …") leads to the rows (AUD-1).
- AuditDenialMiddleware: every denial is auditable (DESIGN: people; SECURITY
  AZ-2): a signed-in user who gets a 403 or 404 leaves an audit row, whichever
  view refused them."""

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import request_context_enter, request_context_exit
from audit.services import audit_record


class RequestIDMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Our own id, never the client's: a forged header cannot tie rows together.
        request.request_id = uuid.uuid4()
        token = request_context_enter(request)
        try:
            response = self.get_response(request)
        finally:
            request_context_exit(token)
        response["X-Request-ID"] = str(request.request_id)
        return response


class AuditDenialMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404) and request.user.is_authenticated:
            audit_record(
                request=request,
                action="access.denied",
                outcome=str(response.status_code),
                details={
                    "view": getattr(request.resolver_match, "view_name", "") or ""
                },
            )
        return response

"""Every denial is auditable (DESIGN: people; SECURITY AZ-2): a signed-in user
who gets a 403 or 404 leaves an audit row, whichever view refused them."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from logs_app.services import audit_record


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

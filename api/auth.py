"""The API's one way in: `Authorization: Bearer plg_…` (issue 16). No session
cookie is read on /api/ (api.middleware drops them before the session is
loaded), so there is no CSRF surface; a refused token gets a 401 and an
audit row naming why (never the secret)."""

from ninja.security import HttpBearer

from api.tokens import TokenRefused, token_check
from audit.services import audit_record


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def __call__(self, request):
        """No `Authorization: Bearer` at all is refused and audited too (the
        base class answers it with None before `authenticate` is called)."""
        scheme = request.headers.get(self.header, "").split(" ")[0]
        if scheme.lower() != self.openapi_scheme:
            _refused(request, "no bearer token", "")
            return None
        return super().__call__(request)

    def authenticate(self, request, token: str):
        try:
            checked = token_check(token)
        except TokenRefused as refused:
            parts = token.split("_", 2)
            _refused(request, refused.reason, parts[1][:12] if len(parts) == 3 else "")
            return None
        request.api_token = checked
        return checked


def _refused(request, reason: str, prefix: str) -> None:
    audit_record(
        request=request,
        action="api.auth.refused",
        outcome="401",
        details={"reason": reason, "token": prefix, "path": request.path},
    )

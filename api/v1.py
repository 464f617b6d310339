"""The read API, version 1 (issue 16), built with django-ninja: typed
endpoints, an OpenAPI 3 schema and a documentation page from the package's
own static files (no CDN). Chosen over Django REST framework with
drf-spectacular because one small, well-kept package gives all three and the
endpoints are plain functions over the export's own code.

Every endpoint takes a token (api.auth), is rate-limited per token with a 429
and Retry-After (ninja's throttles), and is audited (api.audit)."""

from django.conf import settings
from ninja import NinjaAPI
from ninja.throttling import AuthRateThrottle

from api.auth import TokenAuth

api = NinjaAPI(
    title="Peerlog read API",
    version="1",
    description=(
        "Read-only access for research staff, under the export's rules: "
        "levels, consent, keyed pseudonyms, no drafts. Authenticate with "
        "`Authorization: Bearer plg_…` (a personal access token from your "
        "account page)."
    ),
    auth=TokenAuth(),
    throttle=[AuthRateThrottle(settings.PEERLOG_API_RATE)],
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


# --- endpoints --------------------------------------------------------------------
# (each module registers its routes on `api`)
from api import (  # noqa: E402, F401
    endpoints,
    endpoints_logs,
    endpoints_reference,
)

from django.http import JsonResponse
from django.urls import include, path, reverse

from api.v1 import api

# (No module-level `app_name` here: include() would take it for this module's.)
_patterns, _app, _namespace = api.urls


def _root(request):
    """/api/v1/: where the schema and the documentation are (no data)."""
    return JsonResponse(
        {
            "title": api.title,
            "version": api.version,
            "openapi": reverse("api-v1:openapi-json"),
            "docs": reverse("api-v1:openapi-view"),
        }
    )


# The API's routes take a token, not a session (api.auth): the pages'
# LoginRequiredMiddleware must let them through to that check. ninja's bare
# root view (a 404) becomes a small index; the schema reverses its name.
for pattern in _patterns:
    if pattern.name == "api-root":
        pattern.callback = _root
    pattern.callback.login_required = False

urlpatterns = [path("v1/", include((_patterns, _app), namespace=_namespace))]

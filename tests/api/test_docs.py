"""Issue 16: the OpenAPI schema names every data route of the API with the
bearer scheme on it, and the documentation page loads nothing but Peerlog's
own static files under the app's Content-Security-Policy (the browser test,
tests/browser/test_api_docs.py, shows it renders)."""

import re

from api.urls import urlpatterns
from config.middleware import CONTENT_SECURITY_POLICY

# ninja's own views: the schema, the page and the index hold no data.
NOT_DATA = {"openapi-json", "openapi-view", "api-root"}


def _data_routes() -> set[str]:
    """Every data route the URLconf serves under /api/v1/, as OpenAPI paths."""
    (v1,) = urlpatterns
    paths = set()
    for pattern in v1.url_patterns:
        if pattern.name in NOT_DATA:
            continue
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        paths.add("/api/v1/" + route)
    return paths


def test_the_schema_lists_every_route_with_the_bearer_scheme(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == _data_routes()
    schemes = schema["components"]["securitySchemes"]
    (name,) = schemes
    assert schemes[name] == {"type": "http", "scheme": "bearer"}
    for path, operations in schema["paths"].items():
        assert set(operations) == {"get"}, path  # read-only
        assert operations["get"]["security"] == [{name: []}], path


def test_the_reference_routes_are_in_the_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/options",
        "/api/v1/codebook",
        "/api/v1/participants/measures",
        "/api/v1/analysis/{project_id}/final-codes",
    ):
        assert path in paths
    measures = paths["/api/v1/participants/measures"]["get"]["parameters"]
    assert {p["name"] for p in measures} == {"since", "until", "cursor", "limit"}


def test_the_docs_page_loads_only_our_static_files_under_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/static/ninja/") for s in sources), sources
    # No inline script runs: the only <script> without src is JSON data.
    for attributes, _body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        assert "src=" in attributes or 'type="application/json"' in attributes
    assert "style=" not in html and "<style" not in html
    for source in sources:
        assert client.get(source).status_code == 200, source

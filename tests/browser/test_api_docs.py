"""Issue 16: the API's documentation page in a real browser. Swagger UI comes
from django-ninja's own static files (no CDN) and renders every route under
the app's Content-Security-Policy with no console or CSP error."""

from api.v1 import api
from tests.browser.chromium import DESK
from tests.browser.conftest import BROWSER_TEST, screenshot

pytestmark = BROWSER_TEST

# Collects CSP violations as the page reports them (console errors may be
# worded differently between Chromium versions; these events are not).
RECORD_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def test_the_docs_page_shows_every_route_under_the_apps_csp(page_at, live_server):
    page = page_at(DESK)
    page.add_init_script(RECORD_CSP)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(live_server.url + "/api/v1/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for(timeout=15_000)

    schema = api.get_openapi_schema()
    shown = page.locator(".opblock-summary-path").all_inner_texts()
    assert sorted(shown) == sorted(schema["paths"])
    # An operation opens with its parameters (Swagger UI's own rendering,
    # more of it than the first paint, under the same CSP).
    page.get_by_text("/api/v1/participants/measures", exact=True).click()
    page.locator(".parameters tr[data-param-name='limit']").wait_for()
    # The bearer scheme is offered ("Authorize").
    assert page.get_by_role("button", name="Authorize").first.is_visible()
    screenshot(page, "api-docs-desk")

    assert all(url.startswith(live_server.url) for url in requests), requests
    assert page.evaluate("window.__csp") == []
    assert page.console_errors == []

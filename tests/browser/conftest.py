"""Real-browser tests: Debian's Chromium driven by Playwright (no downloaded
browsers). Without Chromium they skip locally and fail in CI (CI=true).

Every page a browser test visits is audited with axe-core (the npm package,
installed on demand under .cache/axe): `check_accessibility(page)` fails on
any serious or critical WCAG 2.x A/AA violation. Without npm the browser
tests skip locally and fail in CI, like Chromium."""

import datetime as dt
import importlib
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from tests.browser.chromium import CHROMIUM_ARGS, PHONE, submit_sign_in
from tests.factories import PASSWORD

# Playwright's sync API runs an event loop; the ORM calls in these tests are
# made between browser steps, never concurrently with it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
AXE_PREFIX = ROOT / ".cache" / "axe"
AXE_PACKAGE = "axe-core@4"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_FAILING_IMPACTS = {"serious", "critical"}
# Every browser test module: `pytestmark = BROWSER_TEST`. A live server needs
# committed rows, and the flush between tests takes the seeded ones with it.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seed_rows"),
]
# Served to the page under its own origin, so the site's CSP (script-src
# 'self') stays on while the audit runs: CSP errors still show in the tests.
AXE_ROUTE = "/__axe-core__/axe.min.js"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(message: str):
    """A missing tool fails in CI and skips locally."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def seed_rows(django_db_blocker):
    """Transactional tests flush the database, data migrations' rows included:
    put the role groups and option lists back before the cast is created."""
    from django.apps import apps

    with django_db_blocker.unblock():
        for module in ("participants.migrations.0002_role_groups",):
            importlib.import_module(module).create_groups(apps, None)
        importlib.import_module("logs_app.migrations.0002_seed_options").seed(
            apps, None
        )


@pytest.fixture(scope="session")
def browser(chromium_path):
    if not chromium_path or not Path(chromium_path).exists():
        unavailable(
            "Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def new_page(browser, viewport, **options):
    """A page in a context of its own that records console errors (CSP included);
    `options` go to the context (e.g. device_scale_factor). Motion is reduced,
    so Bootstrap's colour transitions are off: axe-core once read a button's
    colours halfway through its focus transition and failed its contrast.
    Service workers are blocked (the offline tests open contexts of their own
    that allow them): a mentor page's worker answered the axe-core script's
    request from the network instead of the test's route, and the audit
    failed to load."""
    options.setdefault("reduced_motion", "reduce")
    options.setdefault("service_workers", "block")
    return page_in(browser.new_context(viewport=viewport, **options))


def page_in(context):
    """A new page of `context` that records console errors (CSP included)."""
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda msg: (
            page.console_errors.append(msg.text) if msg.type == "error" else None
        ),
    )
    return page


def close_context(context) -> None:
    """Close `context` without a last word: requests it would still make (the
    log form's autosave beacon on `pagehide`) are aborted first."""
    context.route("**/*", lambda route: route.abort())
    context.close()


@pytest.fixture(autouse=True)
def live_server_drained(request):
    """After a test, wait until the live server has answered every request a
    page sent it. A closing page's autosave reached the server while the
    database was being flushed for the next test: the flush's TRUNCATE and the
    autosave's inserts deadlocked (a CI failure of stop 22). Set up after the
    database fixture, so torn down before its flush; the page fixtures close
    their pages first."""
    yield
    if "live_server" not in request.fixturenames:
        return
    live_server = request.getfixturevalue("live_server")
    # The server accepts connections in order, one loop at a time: once our
    # own request is answered, every earlier one has its thread.
    for _ in range(2):
        with urllib.request.urlopen(live_server.url + "/static/favicon.svg") as answer:
            answer.read()
        for thread in list(live_server.thread.httpd._threads):
            thread.join(timeout=30)


@pytest.fixture
def phone(browser):
    """A phone-sized page (390 × 844) that records console errors (CSP included)."""
    page = new_page(browser, PHONE)
    yield page
    close_context(page.context)


@pytest.fixture
def page_at(browser):
    """`page_at(viewport, **options)`: a new page like `phone`'s at any size,
    closed after."""
    pages = []

    def make(viewport, **options):
        pages.append(new_page(browser, viewport, **options))
        return pages[-1]

    yield make
    for page in pages:
        close_context(page.context)


def sign_in(page, live_server, username: str, lands_on: str | None = None) -> None:
    """Sign in through the form; with `lands_on`, wait for the page it leads to."""
    page.goto(live_server.url + reverse("login"))
    submit_sign_in(page, username, PASSWORD)
    if lands_on:
        page.wait_for_url(f"**{lands_on}")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# --- accessibility (axe-core) ----------------------------------------------------
_axe: dict[str, Path] = {}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe.min.js from npm, installed once into .cache/axe (not committed)."""
    path = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"
    if not path.exists():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm not found: it installs axe-core for the browser tests")
        done = subprocess.run(
            [npm, "install", "--no-save", "--no-audit", "--no-fund"]
            + ["--prefix", str(AXE_PREFIX), AXE_PACKAGE],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0 or not path.exists():
            unavailable(f"npm install {AXE_PACKAGE} failed:\n{done.stderr[-2000:]}")
    _axe["path"] = path
    return path


@pytest.fixture(autouse=True)
def _axe_for_browser_tests(request):
    """Browser tests audit the pages they visit, so they need axe-core."""
    if {"browser", "phone"} & set(request.fixturenames):
        request.getfixturevalue("axe_script")


def _inject_axe(page) -> None:
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    if not getattr(page, "axe_routed", False):
        path = str(_axe["path"])
        page.route(
            "**" + AXE_ROUTE,
            lambda route: route.fulfill(
                path=path, content_type="text/javascript; charset=utf-8"
            ),
        )
        page.axe_routed = True
    page.add_script_tag(url=page.evaluate("location.origin") + AXE_ROUTE)


def check_accessibility(page) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical
    violation of WCAG 2.0/2.1/2.2 A and AA, naming rule, help and targets."""
    assert "path" in _axe, "the axe_script fixture has not run"
    page.wait_for_load_state()
    _inject_axe(page)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    bad = [v for v in result["violations"] if v["impact"] in AXE_FAILING_IMPACTS]
    if bad:
        lines = [f"axe-core on {page.url}:"]
        for v in bad:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"][:10]:
                lines.append(f"    {' '.join(map(str, node['target']))}")
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                if summary:
                    lines.append(f"      {summary[:300]}")
        pytest.fail("\n".join(lines), pytrace=False)


def fill_contact_date_yesterday(page, site) -> None:
    """Date the log yesterday in the site's time zone. The form starts at
    today, and a start time such as 10:30 today is still in the future (and
    refused) before 10:30 at the site: a test filing at 10:30 would fail for
    part of every day."""
    from django.utils import timezone

    yesterday = timezone.now().astimezone(site.tzinfo).date() - dt.timedelta(days=1)
    page.get_by_label("Date", exact=True).fill(yesterday.isoformat())

"""Real-browser tests: Debian's Chromium driven by Playwright (no downloaded
browsers). Without Chromium they skip locally and fail in CI (CI=true)."""

import importlib
import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop; the ORM calls in these tests are
# made between browser steps, never concurrently with it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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
        message = "Chromium not found (apt-get install chromium, or set CHROMIUM_PATH)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A phone-sized page (390 × 844) that records console errors (CSP included)."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.console_errors = []
    page.on(
        "console",
        lambda msg: (
            page.console_errors.append(msg.text) if msg.type == "error" else None
        ),
    )
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""Take the README's screenshots from a running demo (scripts/demo).

    .venv/bin/python scripts/screenshots.py [BASE_URL]   # default http://127.0.0.1:8000

Uses Debian's Chromium (CHROMIUM_PATH or `chromium` on PATH) through Playwright
and writes PNGs to docs/screenshots/."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: make tests.browser importable

from tests.browser.chromium import (  # noqa: E402
    CHROMIUM_ARGS,
    DESK,
    PHONE,
    chromium_path,
    submit_sign_in,
)

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "peerlog-demo-2026"


def sign_in(page, username: str) -> None:
    page.goto(f"{BASE}/accounts/login/")
    submit_sign_in(page, username, PASSWORD)
    page.wait_for_load_state("networkidle")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        phone = browser.new_page(viewport=PHONE, device_scale_factor=2)
        sign_in(phone, "maya.mentor")
        phone.screenshot(path=OUT / "my-week-phone.png", full_page=True)
        phone.goto(f"{BASE}/logs/new/")
        phone.screenshot(path=OUT / "new-log-phone.png")
        desk = browser.new_page(viewport=DESK)
        sign_in(desk, "sam.supervisor")
        desk.goto(f"{BASE}/logs/")
        desk.screenshot(path=OUT / "logs-supervisor-desktop.png")
        desk.locator("tr", has_text="We met").locator("a").first.click()
        desk.wait_for_load_state("networkidle")
        desk.screenshot(path=OUT / "log-detail-desktop.png", full_page=True)
        # The supervisor's weekly review, step by step.
        desk.goto(f"{BASE}/team/")
        desk.screenshot(path=OUT / "team-week-desktop.png", full_page=True)
        desk.goto(f"{BASE}/team/roles/")
        desk.screenshot(path=OUT / "role-mix-desktop.png")
        desk.goto(f"{BASE}/review/")
        desk.screenshot(path=OUT / "review-queue-desktop.png")
        desk.locator("table a").first.click()
        desk.wait_for_load_state("networkidle")
        desk.screenshot(path=OUT / "review-page-desktop.png", full_page=True)
        desk.goto(desk.url.replace("/review/", "/void/"))
        desk.screenshot(path=OUT / "void-desktop.png")
        desk.goto(f"{BASE}/review/agenda/")
        desk.screenshot(path=OUT / "agenda-desktop.png", full_page=True)
        # The mentor sees the feedback and the participant's progress.
        phone.goto(f"{BASE}/week/")
        phone.locator("#unread-h ~ ul a").first.click()
        phone.wait_for_load_state("networkidle")
        phone.locator("#thread-h").scroll_into_view_if_needed()
        phone.screenshot(path=OUT / "feedback-phone.png")
        phone.goto(f"{BASE}/week/")
        phone.locator("#people-h ~ ul a").first.click()
        phone.wait_for_load_state("networkidle")
        phone.screenshot(path=OUT / "participant-phone.png", full_page=True)
        admin = browser.new_page(viewport=DESK)
        sign_in(admin, "admin")
        admin.goto(f"{BASE}/audit/")
        admin.screenshot(path=OUT / "audit-desktop.png")
        _analysis(browser)
        browser.close()
    print(f"screenshots written to {OUT}")


def _analysis(browser) -> None:
    """Issue 15: the demo's reflection analysis, led by Rita, coded with Ari."""
    desk = browser.new_page(viewport=DESK)
    sign_in(desk, "rita.research")
    desk.goto(f"{BASE}/analysis/")
    desk.get_by_role("link", name="How mentors see their role").click()
    desk.wait_for_load_state("networkidle")
    project = desk.url.rstrip("/").rsplit("/", 1)[-1]
    desk.screenshot(path=OUT / "analysis-overview.png", full_page=True)
    for page, name in (
        ("agreement/", "analysis-agreement"),
        ("themes/", "analysis-themes"),
        ("disagreements/", "analysis-disagreements"),
        ("screen/", "analysis-screening"),
    ):
        desk.goto(f"{BASE}/analysis/{project}/{page}")
        desk.screenshot(path=OUT / f"{name}.png", full_page=True)
    phone = browser.new_page(viewport=PHONE)
    sign_in(phone, "ari.analyst")
    phone.goto(f"{BASE}/analysis/{project}/code/")  # the next text to code
    phone.wait_for_load_state("networkidle")
    phone.screenshot(path=OUT / "analysis-coding-phone.png")


if __name__ == "__main__":
    main()

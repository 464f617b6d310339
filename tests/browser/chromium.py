"""How Peerlog drives Debian's Chromium: shared by the browser tests and by
scripts/screenshots.py, so it needs neither pytest nor Django."""

import os
import shutil

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
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}
# 200 % zoom on the 390 × 844 phone as Chromium lays it out: half the CSS
# pixels at a device scale factor of 2 (what a phone browser at 200 % gives).
ZOOM_200 = {"viewport": {"width": 195, "height": 422}, "device_scale_factor": 2}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


def submit_sign_in(page, username: str, password: str) -> None:
    """Fill in and send the sign-in form the page shows, as a user would."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

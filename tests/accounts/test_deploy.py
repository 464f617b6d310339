"""CFG-1 and SES-5 under production environment values, in a fresh process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def _production_env(tmp_path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PEERLOG_", "POSTGRES_"))
        and key not in {"DATABASE_URL", "CELERY_BROKER_URL", "SQLITE_PATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="peerlog.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )
    return env


def test_cfg_1_check_deploy_passes_with_production_values(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ses_5_cookies_are_secure_httponly_samesite_in_production(tmp_path):
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SECURE, s.CSRF_COOKIE_SAMESITE, "
        "s.SESSION_ENGINE, s.SESSION_COOKIE_AGE, s.PEERLOG_SESSION_IDLE_SECONDS, "
        "s.PEERLOG_2FA_REQUIRED]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout) == [
        True,
        True,
        "Lax",
        True,
        "Lax",
        "django.contrib.sessions.backends.db",  # SES-7
        12 * 60 * 60,  # SES-2
        30 * 60,  # SES-1
        True,  # AUTH-4 is on unless someone turns it off
    ]


@pytest.mark.django_db
def test_ses_5_the_session_cookie_carries_the_flags(client, mentor, settings):
    settings.SESSION_COOKIE_SECURE = True
    client.post(reverse("login"), {"username": "mentor", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] and cookie["httponly"]
    assert cookie["samesite"] == "Lax"

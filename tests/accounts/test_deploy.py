"""CFG-1 and SES-5 under production environment values, in a fresh process;
the secrets the app refuses to serve with (issue 11 finding 10)."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from config.env import production_secret_problems
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
        PEERLOG_EXPORT_KEY=secrets.token_urlsafe(50),
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


def _run(code: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _strong() -> str:
    return secrets.token_urlsafe(50)


# (DJANGO_SECRET_KEY, PEERLOG_EXPORT_KEY) pairs the app must refuse to serve with.
REFUSED = {
    "compose default secret": ("change-me-in-.env", None),
    "compose default export key": (None, "change-me-in-.env-export-key"),
    "placeholder of full length": ("CHANGE_ME_" + "x1y2z3" * 8, None),
    "django startproject key": ("django-insecure-" + "k" * 10 + _strong(), None),
    "short secret": (secrets.token_urlsafe(30), None),
    "few distinct characters": ("abcd" * 20, None),
    "short export key": (None, secrets.token_urlsafe(16)),
    "no export key (public fallback)": (None, ""),
}


@pytest.mark.parametrize("secret,export_key", REFUSED.values(), ids=REFUSED.keys())
def test_placeholder_and_weak_secrets_are_refused(secret, export_key):
    """Issue 11 finding 10: the web app started with DJANGO_SECRET_KEY=
    change-me-in-.env from the compose file, and PEERLOG_EXPORT_KEY fell back to
    a public value; placeholders, weak keys and a missing export key are now
    refused (the rule under the web and worker entry points)."""

    class Settings:
        SECRET_KEY = _strong() if secret is None else secret
        PEERLOG_EXPORT_KEY = _strong() if export_key is None else export_key

    assert production_secret_problems(Settings)
    Settings.SECRET_KEY, Settings.PEERLOG_EXPORT_KEY = _strong(), _strong()
    assert production_secret_problems(Settings) == []


@pytest.mark.parametrize(
    "secret,export_key,message",
    [
        ("change-me-in-.env", _strong(), "DJANGO_SECRET_KEY is a placeholder"),
        ("", _strong(), "DJANGO_SECRET_KEY"),
        (_strong(), "", "Set PEERLOG_EXPORT_KEY"),
        ("same-" + "k3y" * 20, "same-" + "k3y" * 20, "must differ"),
    ],
    ids=[
        "compose-secret",
        "compose-unset-secret",
        "no-export-key",
        "export-key-is-the-secret",
    ],
)
def test_the_web_entry_point_refuses_to_serve_with_them(
    tmp_path, secret, export_key, message
):
    """Issue 11 finding 10: gunicorn and runserver import config.wsgi, which
    refuses to start without DEBUG; with real keys it starts."""
    env = _production_env(tmp_path)
    env.update(DJANGO_SECRET_KEY=secret, PEERLOG_EXPORT_KEY=export_key)
    result = _run(["-c", "import config.wsgi"], env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_with_real_keys_the_web_app_and_the_worker_start(tmp_path):
    """The other side of the refusals above: generated keys are accepted."""
    script = "import config.wsgi, config.celery as c; c._refuse_insecure_key()"
    result = _run(["-c", script], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr


def test_the_worker_refuses_to_start_with_a_placeholder(tmp_path):
    """Issue 11 finding 10: the Celery worker runs the same check at start."""
    env = _production_env(tmp_path)
    env["DJANGO_SECRET_KEY"] = "change-me-in-.env"
    script = "import config.celery as c; c._refuse_insecure_key()"
    result = _run(["-c", script], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is a placeholder" in result.stderr


def test_check_deploy_fails_on_a_placeholder_and_commands_still_run(tmp_path):
    """Issue 11 finding 10: `check --deploy` reports the same problems
    (peerlog.E001), while management commands keep working without any key."""
    env = _production_env(tmp_path)
    env.update(DJANGO_SECRET_KEY="change-me-in-.env", PEERLOG_EXPORT_KEY="")
    deploy = _run(["manage.py", "check", "--deploy"], env)
    assert deploy.returncode != 0
    assert deploy.stderr.count("peerlog.E001") == 2
    del env["DJANGO_SECRET_KEY"], env["PEERLOG_EXPORT_KEY"]
    assert _run(["manage.py", "check"], env).returncode == 0


def test_debug_still_serves_with_the_development_fallbacks(tmp_path):
    """Local development (DJANGO_DEBUG=1) needs neither key."""
    env = _production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"], env["PEERLOG_EXPORT_KEY"]
    env["DJANGO_DEBUG"] = "1"
    assert _run(["-c", "import config.wsgi"], env).returncode == 0


def test_the_compose_file_ships_no_secret_the_app_accepts():
    """Issue 11 finding 10: docker-compose.yml defaulted DJANGO_SECRET_KEY to
    change-me-in-.env; both keys now come only from the environment (empty when
    unset), and an empty key is refused like a placeholder."""
    compose = (ROOT / "docker-compose.yml").read_text()
    for name in ["DJANGO_SECRET_KEY", "PEERLOG_EXPORT_KEY"]:
        (value,) = re.findall(rf"^\s+{name}: (.+)$", compose, flags=re.M)
        assert value == f"${{{name}:-}}", value

"""Accounts pages, security headers, friendly error pages, the health check."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from logs_app import selectors
from tests.factories import PASSWORD


def test_login_with_a_wrong_password_gives_a_plain_message(client, mentor):
    response = client.post(reverse("login"), {"username": "mentor", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()
    unknown = client.post(reverse("login"), {"username": "ghost", "password": "nope"})
    # AUTH-6: the same answer for an unknown user and a wrong password.
    assert unknown.content.decode().count("did not match") == 1


def test_login_then_logout(client, mentor):
    response = client.post(
        reverse("login"), {"username": "mentor", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("my_week")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("my_week")).status_code == 302


def test_password_reset_mails_a_link_that_lets_the_user_choose_a_new_password(
    client, mentor
):
    mentor.user.email = "maya@example.org"
    mentor.user.save()
    client.post(reverse("password_reset"), {"email": "maya@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(
        1
    )
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    short = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "short", "new_password2": "short"},
    )
    assert "too short" in short.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
    )
    assert done.status_code == 302
    mentor.user.refresh_from_db()
    assert mentor.user.check_password("a much longer passphrase 42")


def test_password_reset_for_an_unknown_address_looks_the_same(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_password_change_needs_twelve_characters(as_user, mentor):
    client = as_user(mentor.user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "short1",
            "new_password2": "short1",
        },
    )
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()


def test_pages_carry_security_headers(as_user, mentor):
    """CFG-3: CSP without inline script, nosniff, Referrer-Policy, frame
    denial and no-store on signed-in pages. HSTS is enforced by check --deploy
    (security.W004) in tests/accounts/test_deploy.py."""
    response = as_user(mentor.user).get(reverse("my_week"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"] == "no-store"


def test_pages_load_no_third_party_assets(as_user, mentor):
    html = as_user(mentor.user).get(reverse("log_create")).content.decode()
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    assert "<script>" not in html  # no inline scripts (CSP)


def test_unknown_page_is_a_friendly_404(as_user, mentor):
    response = as_user(mentor.user).get("/no/such/page/")
    assert response.status_code == 404
    assert "couldn't find that page" in response.content.decode()


def test_server_error_shows_no_traceback(as_user, mentor, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "my_week_get", broken)
    client = as_user(mentor.user)
    client.raise_request_exception = False
    response = client.get(reverse("my_week"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body


def test_health_check_is_public_and_touches_the_database(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.parametrize("path", ["/admin/", "/admin/logs_app/interactionlog/"])
def test_only_admins_get_into_the_django_admin(
    as_user, mentor, supervisor, admin_user, path
):
    assert as_user(mentor.user).get(path).status_code == 302
    assert as_user(supervisor).get(path).status_code == 302
    assert as_user(admin_user).get(path).status_code == 200


def test_web_entry_point_refuses_to_serve_without_a_secret_key():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DJANGO_DEBUG="0")
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Set DJANGO_SECRET_KEY" in result.stderr

"""AUTH-4 and AZ-12: TOTP two-step sign-in, required for supervisors, research
staff and admins, optional for mentors; codes work once; the admin and a
password reset are no way around it."""

import re
import time

import pytest
from django.contrib.admin import site as admin_site
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import backup_codes_replace
from audit.models import AuditEvent
from tests.accounts.conftest import sign_in, totp_code

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_factor_on")]

SETUP = "/accounts/two-factor/setup/"
VERIFY = "/accounts/two-factor/"


def _enrol(client, user) -> list[str]:
    """Sign in and set up an authenticator; returns the backup codes."""
    sign_in(client, user.username)
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=user)
    response = client.post(reverse("two_factor_enrol"), {"code": totp_code(device)})
    assert response.status_code == 200
    return re.findall(r"<li class=\"col\">([a-z2-7]{8})</li>", response.text)


def _confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_auth_4_supervisor_enrols_end_to_end(client, supervisor):
    response = sign_in(client, "supervisor")
    assert response.status_code == 302
    # The home page (and everything else) waits for two-step set-up.
    home = client.get(response["Location"])
    assert home["Location"] == f"{SETUP}?next=/"

    page = client.get(home["Location"])
    assert page.status_code == 200
    assert "<svg" in page.text and "<title>QR code" in page.text
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    key = re.search(r'id="manual-key">([A-Z2-7 ]+)<', page.text).group(1)
    assert len(key.replace(" ", "")) == 32
    # Reloading keeps the same key (the QR already scanned stays valid).
    client.get(home["Location"])
    assert TOTPDevice.objects.get(user=supervisor).pk == device.pk

    done = client.post(home["Location"], {"code": totp_code(device), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li class=\"col\">([a-z2-7]{8})</li>", done.text)
    assert len(codes) == len(set(codes)) == 10
    assert "only time they are shown" in done.text
    assert TOTPDevice.objects.get(user=supervisor).confirmed
    assert client.get("/").status_code == 302  # home → team week
    assert client.get(reverse("team_week")).status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa.enrolled").count() == 1
    # The codes are not shown again.
    assert codes[0] not in client.get(reverse("account_security")).text


def test_auth_4_a_wrong_code_is_an_error_next_to_the_field(client, supervisor):
    sign_in(client, "supervisor")
    client.get(reverse("two_factor_enrol"))
    device = TOTPDevice.objects.get(user=supervisor)
    stale = totp_code(device, at=time.time() - 600)
    response = client.post(reverse("two_factor_enrol"), {"code": stale})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert re.search(
        r'name="code"[^>]*is-invalid|is-invalid[^>]*name="code"', response.text
    )
    assert "invalid-feedback" in response.text and "did not match" in response.text
    assert not TOTPDevice.objects.get(user=supervisor).confirmed
    assert client.get(reverse("team_week"))["Location"].startswith(SETUP)


def test_auth_4_a_code_works_once(client, supervisor):
    device = _confirmed_device(supervisor)
    code = totp_code(device)
    sign_in(client, "supervisor")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("logout"))

    sign_in(client, "supervisor")
    replay = client.post(VERIFY, {"code": code})
    assert replay.status_code == 400
    assert "did not work" in replay.text
    assert client.get(reverse("team_week"))["Location"].startswith(VERIFY)
    assert AuditEvent.objects.filter(action="auth.2fa.failed").count() == 1


def test_auth_4_a_backup_code_works_once(client, supervisor):
    _confirmed_device(supervisor)
    code = backup_codes_replace(user=supervisor)[0]
    sign_in(client, "supervisor")
    assert client.post(VERIFY, {"code": code.upper()}).status_code == 302
    assert client.get(reverse("team_week")).status_code == 200
    client.post(reverse("logout"))

    sign_in(client, "supervisor")
    assert client.post(VERIFY, {"code": code}).status_code == 400
    assert StaticToken.objects.filter(token=code).count() == 0
    assert StaticToken.objects.count() == 9


ROLE_FIXTURES = ["supervisor", "staff", "admin_user"]
PAGES = ["/", "/logs/", "/team/", "/account/mail/", "/accounts/security/", "/admin/"]


@pytest.mark.parametrize("role", ROLE_FIXTURES)
@pytest.mark.parametrize("path", PAGES)
def test_auth_4_roles_that_need_it_reach_no_page_before_the_code(
    role, path, request, client
):
    user = request.getfixturevalue(role)
    sign_in(client, user.username)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next={path}"
    # With an authenticator set up, the same pages ask for the code.
    _confirmed_device(user)
    assert client.get(path)["Location"] == f"{VERIFY}?next={path}"


@pytest.mark.parametrize("role", ROLE_FIXTURES)
def test_auth_4_posts_are_refused_before_the_code_too(role, request, client, log):
    user = request.getfixturevalue(role)
    sign_in(client, user.username)
    response = client.post(reverse("log_review", args=[log.pk]), {"action": "review"})
    assert response["Location"].startswith(SETUP)


def test_auth_4_sign_out_works_before_the_code(client, supervisor):
    sign_in(client, "supervisor")
    assert client.post(reverse("logout"))["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_auth_4_the_code_page_returns_to_where_the_user_was_going(client, supervisor):
    device = _confirmed_device(supervisor)
    sign_in(client, "supervisor", next="/review/")
    response = client.post(
        f"{VERIFY}?next=/review/", {"code": totp_code(device), "next": "/review/"}
    )
    assert response["Location"] == "/review/"
    # Never to another site.
    client.post(reverse("logout"))
    device.refresh_from_db()
    sign_in(client, "supervisor")
    evil = client.post(
        VERIFY,
        {"code": totp_code(device, at=time.time() + 30), "next": "https://x.example/"},
    )
    assert evil["Location"] == "/"


def test_auth_4_optional_for_mentors(client, mentor):
    sign_in(client, "mentor")
    assert client.get(reverse("my_week")).status_code == 200
    security = client.get(reverse("account_security"))
    assert "Turn on two-step sign-in" in security.text


def test_auth_4_a_mentor_who_turns_it_on_needs_it_from_then_on(client, mentor):
    codes = _enrol(client, mentor.user)
    assert len(codes) == 10
    assert client.get(reverse("my_week")).status_code == 200
    client.post(reverse("logout"))

    sign_in(client, "mentor")
    assert client.get(reverse("my_week"))["Location"] == f"{VERIFY}?next=/week/"
    assert client.post(VERIFY, {"code": codes[3]}).status_code == 302
    assert client.get(reverse("my_week")).status_code == 200


def test_auth_4_new_backup_codes_replace_the_old(client, mentor):
    old = _enrol(client, mentor.user)
    response = client.post(reverse("backup_codes_regenerate"))
    new = re.findall(r"<li class=\"col\">([a-z2-7]{8})</li>", response.text)
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.count() == 10


def test_az_12_the_admin_needs_the_code(client, admin_user):
    sign_in(client, "admin", next="/admin/")
    assert client.get("/admin/")["Location"] == f"{SETUP}?next=/admin/"
    # Even without the middleware, the admin site itself refuses an unverified
    # admin.
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    admin_user.is_verified = lambda: False
    assert admin_site.has_permission(request) is False

    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=False)
    client.post(SETUP, {"code": totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_az_12_the_admin_login_form_is_the_app_login(client, admin_user):
    response = client.get(reverse("admin:login") + "?next=/admin/auth/user/")
    assert response["Location"] == "/accounts/login/?next=/admin/auth/user/"


def test_auth_4_a_password_reset_does_not_skip_the_code(client, supervisor):
    _confirmed_device(supervisor)
    client.post(reverse("password_reset"), {"email": supervisor.email})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body)
    form_page = client.get(link.group(1), follow=True)
    new = "a brand new passphrase 2026"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done["Location"] == reverse("password_reset_complete")
    # Not signed in by the reset…
    assert client.get(reverse("team_week"))["Location"].startswith("/accounts/login/")
    # …and signing in with the new password still asks for the code.
    assert sign_in(client, "supervisor", new).status_code == 302
    assert client.get(reverse("team_week"))["Location"].startswith(VERIFY)

"""AUTH-5 (five failures lock a username for 15 minutes) and AUTH-6 (the same
answer for an unknown user and a wrong password), all audited."""

import re

import pytest
from django.urls import reverse

from accounts.models import LoginThrottle
from logs_app.models import AuditEvent
from tests.accounts.conftest import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

WRONG = "not-the-password"


def _alert(response) -> str:
    return re.search(r'class="alert alert-danger"[^>]*>([^<]*)<', response.text).group(
        1
    )


def test_auth_5_five_failures_lock_the_username(client, mentor, clock):
    for _ in range(4):
        assert sign_in(client, "mentor", WRONG).status_code == 200
    fifth = sign_in(client, "mentor", WRONG)
    assert fifth.status_code == 429
    assert "Too many failed sign-ins" in fifth.text

    # The right password is refused while the lock holds, without being checked.
    locked = sign_in(client, "mentor")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session

    actions = list(
        AuditEvent.objects.order_by("pk").values_list("action", "actor__username")
    )
    assert actions == [("auth.login.failed", "mentor")] * 5 + [
        ("auth.lockout", "mentor"),
        ("auth.login.locked", "mentor"),
    ]


def test_auth_5_the_lock_ends_after_fifteen_minutes(client, mentor, clock):
    for _ in range(5):
        sign_in(client, "mentor", WRONG)
    clock.advance(minutes=14, seconds=59)
    assert sign_in(client, "mentor").status_code == 429
    clock.advance(seconds=2)
    response = sign_in(client, "mentor")
    assert response.status_code == 302
    assert not LoginThrottle.objects.exists()  # success forgets the failures
    assert AuditEvent.objects.filter(action="auth.login").count() == 1


def test_auth_5_failures_further_apart_than_the_window_do_not_add_up(
    client, mentor, clock
):
    for _ in range(4):
        sign_in(client, "mentor", WRONG)
    clock.advance(minutes=16)
    for _ in range(4):
        assert sign_in(client, "mentor", WRONG).status_code == 200


def test_auth_5_a_success_resets_the_count(client, mentor, clock):
    for _ in range(4):
        sign_in(client, "mentor", WRONG)
    assert sign_in(client, "mentor").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert sign_in(client, "mentor", WRONG).status_code == 200


def test_auth_5_the_lock_is_on_the_username_not_the_address(client, mentor, clock):
    for i in range(5):
        client.post(
            reverse("login"),
            {"username": "Mentor", "password": WRONG},
            REMOTE_ADDR=f"198.51.100.{i}",
        )
    # Another address, another spelling: still locked.
    response = client.post(
        reverse("login"),
        {"username": "mentor", "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 429
    assert LoginThrottle.objects.get().last_ip == "198.51.100.4"


def test_auth_6_unknown_user_and_wrong_password_get_the_same_answer(
    client, mentor, clock
):
    wrong = sign_in(client, "mentor", WRONG)
    unknown = sign_in(client, "nobody-by-this-name", WRONG)
    assert (wrong.status_code, _alert(wrong)) == (unknown.status_code, _alert(unknown))
    # …and an unknown name locks exactly like a real one.
    for _ in range(4):
        unknown = sign_in(client, "nobody-by-this-name", WRONG)
    for _ in range(4):
        wrong = sign_in(client, "mentor", WRONG)
    assert (wrong.status_code, _alert(wrong)) == (unknown.status_code, _alert(unknown))
    assert wrong.status_code == 429
    failed = AuditEvent.objects.filter(action="auth.login.failed", actor=None)
    assert failed.count() == 5
    assert failed.first().details == {"username": "nobody-by-this-name"}


def test_auth_6_an_inactive_account_gets_the_same_answer(client, mentor, clock):
    mentor.user.is_active = False
    mentor.user.save()
    inactive = sign_in(client, "mentor")
    unknown = sign_in(client, "ghost", WRONG)
    assert _alert(inactive) == _alert(unknown)


def test_auth_5_without_a_trusted_proxy_the_forwarded_header_is_ignored(
    client, mentor, clock, settings
):
    settings.PEERLOG_TRUSTED_PROXY_COUNT = 0
    client.post(
        reverse("login"),
        {"username": "mentor", "password": WRONG},
        REMOTE_ADDR="192.0.2.10",
        HTTP_X_FORWARDED_FOR="203.0.113.99",
    )
    assert AuditEvent.objects.get().ip == "192.0.2.10"


def test_auth_5_behind_one_trusted_proxy_the_client_is_its_forwarded_address(
    client, mentor, clock, settings
):
    settings.PEERLOG_TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("login"),
        {"username": "mentor", "password": WRONG},
        REMOTE_ADDR="10.0.0.2",  # the proxy
        # The client forged the first entry; the proxy appended the real one.
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",
    )
    assert AuditEvent.objects.get().ip == "203.0.113.9"
    assert LoginThrottle.objects.get().last_ip == "203.0.113.9"


def test_successful_sign_in_and_sign_out_are_audited(client, mentor, clock):
    sign_in(client, "mentor")
    client.post(reverse("logout"))
    assert list(
        AuditEvent.objects.order_by("pk").values_list("action", "actor__username")
    ) == [("auth.login", "mentor"), ("auth.logout", "mentor")]

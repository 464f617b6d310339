"""AUTH-5 (five failures lock a username for 15 minutes), AUTH-6 (the same
answer for an unknown user and a wrong password), all audited, and AUTH-10
(look-alike spellings share the lock; see also test_lockout_parallel.py)."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.urls import reverse

from accounts.models import LoginThrottle
from audit.models import AuditEvent
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


@pytest.mark.parametrize(
    "proxies, remote_addr, forwarded_for, client_ip",
    [
        (0, "192.0.2.10", "203.0.113.99", "192.0.2.10"),
        # Behind the proxy (10.0.0.2): the client forged the first entry; the
        # proxy appended the real one.
        (1, "10.0.0.2", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
    ],
    ids=[
        "without_a_trusted_proxy_the_forwarded_header_is_ignored",
        "behind_one_trusted_proxy_the_client_is_its_forwarded_address",
    ],
)
def test_auth_5_the_client_address_trusts_only_the_configured_proxies(
    client, mentor, clock, settings, proxies, remote_addr, forwarded_for, client_ip
):
    settings.PEERLOG_TRUSTED_PROXY_COUNT = proxies
    client.post(
        reverse("login"),
        {"username": "mentor", "password": WRONG},
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )
    assert AuditEvent.objects.get().ip == client_ip
    assert LoginThrottle.objects.get().last_ip == client_ip


def test_successful_sign_in_and_sign_out_are_audited(client, mentor, clock):
    sign_in(client, "mentor")
    client.post(reverse("logout"))
    assert list(
        AuditEvent.objects.order_by("pk").values_list("action", "actor__username")
    ) == [("auth.login", "mentor"), ("auth.logout", "mentor")]


# Fullwidth look-alikes: NFKC (what Django's sign-in form applies) makes them
# "mentor", so each of these signs in as the mentor.
LOOK_ALIKES = [
    "\uff4dentor",
    "\uff4d\uff45ntor",
    "\uff4d\uff45\uff4e\uff54\uff4f\uff52",
]
# Case variants (fullwidth too) do not sign in as "mentor" but share its lock.
CASE_VARIANTS = ["\uff2dENTOR", " Mentor\u3000"]


def test_auth_10_look_alike_usernames_share_one_lock(client, mentor, clock):
    """Issue 11 finding 2 (AUTH-10): a fullwidth "ｍentor" neither gets its own
    five tries nor signs in past the lock on "mentor", nor clears it."""
    for _ in range(5):
        sign_in(client, "mentor", WRONG)
    for spelling in LOOK_ALIKES:
        assert sign_in(client, spelling, WRONG).status_code == 429
        response = sign_in(client, spelling)  # the right password
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
    for spelling in CASE_VARIANTS:
        assert sign_in(client, spelling, WRONG).status_code == 429
    assert sign_in(client, "mentor").status_code == 429
    assert LoginThrottle.objects.get().username_key == "mentor"
    # The audit names the account each look-alike would have signed in as.
    locked = AuditEvent.objects.filter(action="auth.login.locked").order_by("pk")
    assert list(locked.values_list("actor__username", flat=True)) == (
        ["mentor"] * 2 * len(LOOK_ALIKES) + [None] * len(CASE_VARIANTS) + ["mentor"]
    )


def test_auth_10_failures_under_different_spellings_add_up(client, mentor, clock):
    """Issue 11 finding 2 (AUTH-10): the count is one per account, whatever
    look-alike or case each failure was typed in."""
    for spelling in ["mentor", *LOOK_ALIKES]:
        assert sign_in(client, spelling, WRONG).status_code == 200
    assert sign_in(client, CASE_VARIANTS[0], WRONG).status_code == 429
    assert sign_in(client, "mentor").status_code == 429
    failed = AuditEvent.objects.filter(action="auth.login.failed").order_by("pk")
    assert list(failed.values_list("actor__username", flat=True)) == [
        *["mentor"] * 4,
        None,  # "ＭENTOR" is not the account's name, only its lock
    ]


def test_auth_10_a_look_alike_success_clears_the_count_of_the_account(
    client, mentor, clock
):
    """Issue 11 finding 2 (AUTH-10): success under any spelling forgets the
    account's failures (one key), and only then."""
    for _ in range(4):
        sign_in(client, "mentor", WRONG)
    assert sign_in(client, LOOK_ALIKES[0]).status_code == 302
    assert not LoginThrottle.objects.exists()


def test_auth_10_an_attempt_the_database_cannot_count_is_refused_not_a_500(
    client, mentor, clock, monkeypatch
):
    """Issue 11 finding 2 (AUTH-10): on SQLite a busy database ("database is
    locked") gave 500s and uncounted attempts; now the attempt is refused with
    503 and Retry-After, and its password is not checked."""

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(LoginThrottle.objects, "bulk_create", busy)
    checked = []
    monkeypatch.setattr(User, "check_password", lambda *a: checked.append(a))
    response = sign_in(client, "mentor")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Signing in is busy" in response.text
    assert checked == []
    assert "_auth_user_id" not in client.session

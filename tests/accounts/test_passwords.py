"""AUTH-2 and AUTH-3: how passwords are stored and which ones are refused; the
reset mail's link."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from config.settings import base


def test_auth_2_argon2_hashes_new_passwords_in_production_settings():
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS):
        encoded = make_password("a long enough passphrase")
        assert encoded.startswith("argon2$")
        assert identify_hasher(encoded).algorithm == "argon2"


@pytest.mark.parametrize(
    "password",
    [
        "Eleven-char",  # 11 characters
        "password1234",  # 12 characters but on the common list
        "123456789012345",  # all digits
    ],
)
def test_auth_3_short_common_or_numeric_passwords_are_refused(password):
    with (
        override_settings(AUTH_PASSWORD_VALIDATORS=base.AUTH_PASSWORD_VALIDATORS),
        pytest.raises(ValidationError),
    ):
        validate_password(password)


def test_auth_3_twelve_characters_that_are_not_common_are_enough():
    with override_settings(AUTH_PASSWORD_VALIDATORS=base.AUTH_PASSWORD_VALIDATORS):
        validate_password("Twelve-chars")  # no error


@pytest.mark.django_db
def test_password_reset_link_comes_from_site_url_not_the_host_header(
    client, mentor, settings
):
    """Issue 11 finding 8: the reset link was built from the request's Host
    header (`Host: 127.0.0.1:31337` gave http://127.0.0.1:31337/accounts/reset/…);
    like every other mail it now starts with PEERLOG_SITE_URL."""
    settings.PEERLOG_SITE_URL = "https://peerlog.example.org"
    # The forged host passes ALLOWED_HOSTS (ports are not part of the check).
    assert "127.0.0.1" in settings.ALLOWED_HOSTS
    response = client.post(
        reverse("password_reset"),
        {"email": mentor.user.email},
        HTTP_HOST="127.0.0.1:31337",
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links, message.body
    assert all(
        link.startswith("https://peerlog.example.org/accounts/reset/") for link in links
    ), links
    assert "31337" not in message.body + message.subject

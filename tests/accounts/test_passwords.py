"""AUTH-2 and AUTH-3: how passwords are stored and which ones are refused."""

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings

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

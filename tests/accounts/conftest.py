"""Helpers for the sign-in security tests: a clock that tests move by hand, a
real TOTP code for a device, signing in through the real login page."""

import datetime as dt
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP

from tests.conftest import NOW
from tests.factories import PASSWORD


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """timezone.now() under the test's control, starting at tests.conftest.NOW."""
    c = Clock(NOW)
    monkeypatch.setattr(timezone, "now", lambda: c.now)
    return c


@pytest.fixture
def two_factor_on(settings):
    """Production behaviour (AUTH-4); the test settings turn it off for the rest
    of the suite. No throttling between tries, so a test can type a wrong code
    and then the right one at once."""
    settings.PEERLOG_2FA_REQUIRED = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def totp_code(device, at: float | None = None) -> str:
    """The code an authenticator app would show now (or at `at`)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password, **extra}
    )

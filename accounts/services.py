"""Writes for sign-in security: the lockout counter (AUTH-5), turning on
two-step sign-in (AUTH-4) and ending a user's sessions (AUTH-9)."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginThrottle

BACKUP_CODE_COUNT = 10


def _key(username: str) -> str:
    # PostgreSQL text cannot hold NUL: a name with one must not fail the lookup.
    return username.replace("\x00", "").strip().casefold()[:150]


def login_lock_ends_at(*, username: str, now: dt.datetime) -> dt.datetime | None:
    """When the lock on `username` ends, or None when it is not locked."""
    return (
        LoginThrottle.objects.filter(username_key=_key(username), lock_ends_at__gt=now)
        .values_list("lock_ends_at", flat=True)
        .first()
    )


@transaction.atomic
def login_failure_record(*, username: str, ip: str | None, now: dt.datetime) -> bool:
    """Count one failed sign-in for `username`. Returns True when this failure
    locks it: PEERLOG_LOCKOUT_FAILURES failures inside one window of
    PEERLOG_LOCKOUT_SECONDS lock the name for PEERLOG_LOCKOUT_SECONDS."""
    window = dt.timedelta(seconds=settings.PEERLOG_LOCKOUT_SECONDS)
    row, _ = LoginThrottle.objects.select_for_update().get_or_create(
        username_key=_key(username), defaults={"window_started_at": now}
    )
    if row.lock_ends_at is not None and row.lock_ends_at > now:
        return False  # already locked; refused before the password was checked
    if row.lock_ends_at is not None or row.window_started_at <= now - window:
        row.failures, row.window_started_at, row.lock_ends_at = 0, now, None
    row.failures += 1
    row.last_failed_at, row.last_ip = now, ip
    locks = row.failures >= settings.PEERLOG_LOCKOUT_FAILURES
    if locks:
        row.lock_ends_at = now + window
    row.save()
    return locks


def login_success_record(*, username: str) -> None:
    """A successful sign-in forgets earlier failures for that name."""
    LoginThrottle.objects.filter(username_key=_key(username)).delete()


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator, made once so that reloading the
    set-up page keeps the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Authenticator app", confirmed=False
        )
    return device


@transaction.atomic
def two_factor_enable(*, user: User, device: TOTPDevice) -> list[str]:
    """Confirm `device` (its code was just verified) and issue backup codes.
    Returns the codes: the only time they exist in clear outside the database."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return backup_codes_replace(user=user)


@transaction.atomic
def backup_codes_replace(*, user: User) -> list[str]:
    """Issue BACKUP_CODE_COUNT new one-time backup codes; old ones stop working."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def user_sessions_end(*, user: User) -> int:
    """Delete every stored session of `user` (AUTH-9). Sessions live in the
    database (SES-7), so this signs the user out everywhere at once."""
    user_pk = str(user.pk)
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == user_pk
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


@transaction.atomic
def user_deactivate(*, user: User) -> int:
    """Switch the account off and end its sessions. Returns sessions ended."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user_sessions_end(user=user)

"""Writes for sign-in security: the lockout counter (AUTH-5, AUTH-10), turning on
two-step sign-in (AUTH-4) and ending a user's sessions (AUTH-9)."""

import datetime as dt
import enum
import logging
import unicodedata

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import LoginThrottle

BACKUP_CODE_COUNT = 10
# The sign-in form's limit (User.username's max_length).
USERNAME_MAX_LENGTH = 150

logger = logging.getLogger(__name__)


def login_username(typed: str) -> str | None:
    """The username exactly as Django's sign-in form hands it to authenticate()
    (AuthenticationForm's UsernameField: stripped, at most 150 characters, no
    NUL, NFKC-normalised), or None when the form would check no password.
    NFKC folds look-alikes such as the fullwidth "ａ" (U+FF41) into "a"."""
    value = typed.strip()
    if not value or len(value) > USERNAME_MAX_LENGTH or "\x00" in value:
        return None
    return unicodedata.normalize("NFKC", value)


def login_key(username: str) -> str:
    """The lockout key for a username (AUTH-10): the sign-in form's normalised
    name, case-folded, so every spelling that signs in as one account (and
    every case variant of it) shares one counter."""
    name = login_username(username)
    if name is None:  # never checked by the form; still one stable key
        name = username.replace("\x00", "").strip()[:USERNAME_MAX_LENGTH]
    return unicodedata.normalize("NFKC", name.casefold())[:USERNAME_MAX_LENGTH]


class LoginGate(enum.Enum):
    """The answer of login_attempt_claim()."""

    ALLOWED = "allowed"  # counted; check the password
    LAST = "last"  # counted and the name is now locked, unless this one succeeds
    LOCKED = "locked"  # refused: the limit is reached, the password is not checked
    BUSY = "busy"  # refused: the database could not count it (SQLite busy)


def login_attempt_claim(
    *, username: str, ip: str | None, now: dt.datetime
) -> LoginGate:
    """Count one sign-in attempt for `username` BEFORE its password is checked
    (AUTH-5, AUTH-10). PEERLOG_LOCKOUT_FAILURES attempts inside one window of
    PEERLOG_LOCKOUT_SECONDS lock the name for PEERLOG_LOCKOUT_SECONDS; a
    successful one deletes the count (login_success_record).

    The count is a conditional UPDATE (failures < limit) whose row count says
    whether this attempt got a slot, so parallel guesses can never get more
    password checks than the limit: on PostgreSQL the UPDATEs queue on the row
    lock and each re-reads the count. Every statement here writes before it
    reads, because on SQLite a transaction that reads first and then writes
    fails at once with "database is locked" when another writer is ahead,
    while one that writes first waits its turn. If it still cannot count the
    attempt, the attempt is refused (BUSY), never let through uncounted."""
    key = login_key(username)
    limit = settings.PEERLOG_LOCKOUT_FAILURES
    window = dt.timedelta(seconds=settings.PEERLOG_LOCKOUT_SECONDS)
    rows = LoginThrottle.objects.filter(username_key=key)
    try:
        with transaction.atomic():
            LoginThrottle.objects.bulk_create(
                [LoginThrottle(username_key=key, window_started_at=now)],
                ignore_conflicts=True,
            )
            # A lock that has ended, or a window that has passed, starts afresh.
            rows.filter(
                Q(lock_ends_at__lte=now)
                | Q(lock_ends_at=None, window_started_at__lte=now - window)
            ).update(failures=0, window_started_at=now, lock_ends_at=None)
            claimed = rows.filter(failures__lt=limit).update(
                failures=F("failures") + 1, last_failed_at=now, last_ip=ip
            )
            if not claimed:
                return LoginGate.LOCKED
            # Our UPDATE holds the row lock: this is our own count.
            if rows.values_list("failures", flat=True).get() < limit:
                return LoginGate.ALLOWED
            rows.update(lock_ends_at=now + window)
            return LoginGate.LAST
    except OperationalError:
        logger.warning("sign-in attempt not counted (database busy); refused")
        return LoginGate.BUSY


def login_success_record(*, username: str) -> None:
    """A successful sign-in forgets earlier attempts for that name."""
    LoginThrottle.objects.filter(username_key=login_key(username)).delete()


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

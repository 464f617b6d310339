"""Who must use two-step sign-in (AUTH-4)."""

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.roles import Role, user_roles

# Roles that see many people's records: two-step sign-in is not optional.
REQUIRED_ROLES = frozenset({Role.SUPERVISOR, Role.RESEARCH, Role.ADMIN})


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_required(user) -> bool:
    """Required for supervisors, research staff and admins; for anyone else
    (mentors) once they have turned it on."""
    if not settings.PEERLOG_2FA_REQUIRED:
        return False
    return bool(user_roles(user) & REQUIRED_ROLES) or has_authenticator(user)


def is_verified(user) -> bool:
    """True once this session has passed a code (django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())

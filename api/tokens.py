"""Creating, checking and revoking API tokens (issue 16). Every change and
every refusal is audited; the secret is shown once, at creation, and never
stored."""

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from api.models import MAX_DAYS, ApiToken
from audit.services import audit_record
from exports.rights import export_level_for, export_sites, level_allows

TOUCH_EVERY = dt.timedelta(minutes=1)  # last use is written at most this often


class TokenRefused(Exception):
    """A token that may not be created, or may not be used now; `reason` is
    a short stable code for the audit row and the API's 401."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason
        self.message = message or reason


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Created:
    token: ApiToken
    plain: str  # shown once


def token_create(
    *, user, name: str, level: str, site_ids: list[int], days: int, now=None
) -> Created:
    """A token within the user's export right and sites, for at most 90 days."""
    now = now or timezone.now()
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused("days", f"A token lasts 1 to {MAX_DAYS} days.")
    if not level_allows(export_level_for(user), level):
        raise TokenRefused("level", "This level is above your export right.")
    allowed = set(export_sites(user).values_list("pk", flat=True))
    if not site_ids or not set(site_ids) <= allowed:
        raise TokenRefused("sites", "Choose sites among your own.")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name.strip()[:80],
            prefix=prefix,
            secret_hash=_hash(secret),
            level=level,
            expires_at=now + dt.timedelta(days=days),
        )
        token.sites.set(site_ids)
        audit_record(
            actor=user,
            action="api.token.create",
            obj=token,
            details={
                "token": prefix,
                "level": level,
                "sites": sorted(site_ids),
                "days": days,
            },
        )
    return Created(token=token, plain=f"plg_{prefix}_{secret}")


def token_revoke(*, actor, token: ApiToken, now=None) -> bool:
    """Revoke one token (its owner or an admin); False if it already was."""
    now = now or timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_by=actor
    )
    if changed:
        audit_record(
            actor=actor,
            action="api.token.revoke",
            obj=token,
            details={"token": token.prefix, "owner": token.user_id},
        )
    return bool(changed)


def tokens_revoke_all(*, actor, user, now=None) -> int:
    """Revoke every live token of `user` (an admin's "revoke all")."""
    now = now or timezone.now()
    live = ApiToken.objects.filter(user=user, revoked_at__isnull=True)
    prefixes = list(live.values_list("prefix", flat=True))
    count = live.update(revoked_at=now, revoked_by=actor)
    audit_record(
        actor=actor,
        action="api.token.revoke_all",
        obj=None,
        details={"owner": user.pk, "tokens": prefixes},
    )
    return count


def token_check(plain: str, *, now=None) -> ApiToken:
    """The live token this string is, or TokenRefused with why not. The
    owner's right is read again: a token never outlives a lowered export
    right or a withdrawn site."""
    now = now or timezone.now()
    parts = plain.split("_", 2)
    if len(parts) != 3 or parts[0] != "plg" or not parts[1] or not parts[2]:
        raise TokenRefused("malformed")
    token = (
        ApiToken.objects.select_related("user")
        .prefetch_related("sites")
        .filter(prefix=parts[1])
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(parts[2])):
        raise TokenRefused("unknown")
    if token.revoked_at is not None:
        raise TokenRefused("revoked")
    if token.expires_at <= now:
        raise TokenRefused("expired")
    if not token.user.is_active:
        raise TokenRefused("inactive")
    granted = export_level_for(token.user)
    if not level_allows(granted, token.level):
        raise TokenRefused("level")
    token.owner_level = granted  # read now: the request's export check uses it
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_site_ids(token: ApiToken) -> list[int]:
    """The sites a request with this token reaches now: the token's, within
    the owner's current export sites."""
    allowed = set(export_sites(token.user).values_list("pk", flat=True))
    return sorted(site.pk for site in token.sites.all() if site.pk in allowed)

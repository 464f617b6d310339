"""Pseudonyms, not identities (EXP-4): participant and mentor codes are keyed
HMACs, stable for one secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings


def _pseudonym_key() -> bytes:
    explicit = getattr(settings, "PEERLOG_EXPORT_KEY", "")
    if explicit:
        return explicit.encode()
    # Derived from the secret key, so pseudonyms stay stable for one secret.
    return hmac.new(
        settings.SECRET_KEY.encode(), b"peerlog-export-pseudonyms", hashlib.sha256
    ).digest()


def pseudonym(kind: str, pk: int, *, key: bytes | None = None) -> str:
    """A stable keyed pseudonym: P-XXXXXXXXXXXX for participants, M-... for
    mentors. 60 bits of an HMAC-SHA-256 of the row id; not reversible without
    the key, never a plain hash of a sequential id."""
    key = key or _pseudonym_key()
    digest = hmac.digest(key, f"{kind}:{pk}".encode(), "sha256")  # the C fast path
    return f"{kind}-{base64.b32encode(digest).decode()[:12]}"


def pseudonym_map(kind: str, ids: Iterable[int]) -> dict[int, str]:
    key = _pseudonym_key()
    return {pk: pseudonym(kind, pk, key=key) for pk in ids}

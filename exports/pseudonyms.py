"""Pseudonyms, not identities (EXP-4): participant and mentor codes are keyed
HMACs, stable for one secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from functools import lru_cache

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
    return _pseudonym(key or _pseudonym_key(), kind, pk)


# Every page of the read API and every export names the same few thousand
# people again: each code is computed once per process and key (the key is
# part of the cache's key, so a changed key gives new codes at once).
@lru_cache(maxsize=65_536)
def _pseudonym(key: bytes, kind: str, pk: int) -> str:
    digest = hmac.digest(key, f"{kind}:{pk}".encode(), "sha256")  # the C fast path
    # 12 characters are 60 bits: the first 10 bytes give the same characters
    # as the whole digest, encoded in a third of the time.
    return f"{kind}-{base64.b32encode(digest[:10]).decode()[:12]}"


def pseudonym_map(kind: str, ids: Iterable[int]) -> dict[int, str]:
    key = _pseudonym_key()
    return {pk: _pseudonym(key, kind, pk) for pk in ids}

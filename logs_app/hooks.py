"""Where logs_app calls the layers above it without importing them (issue 14).

`supervision` sits above logs_app: it turns a filed log's flags into follow-up
items and counts them in the digest. logs_app cannot import it, so it calls
what the upper app registers here in its AppConfig.ready() — the same
dependency inversion as `notifications.kinds`. With nothing registered (an app
left out), filing and the digest work as before."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from logs_app.models import InteractionLog

FiledHook = Callable[..., None]


@dataclass(frozen=True)
class ItemCounts:
    """Figures and a link for the digest (DP-5): a person's open follow-up
    items, how many of them are past their due time, and where to see them."""

    open: int
    overdue: int
    url: str


DigestCountsHook = Callable[..., ItemCounts | None]

_filed: list[FiledHook] = []
_digest_counts: list[DigestCountsHook] = []


def filed_register(fn: FiledHook) -> None:
    """Call `fn(log=..., actor=..., now=...)` whenever a log is filed or a
    filed log changes (once per function, whatever the number of calls)."""
    if fn not in _filed:
        _filed.append(fn)


def filed_notify(*, log: InteractionLog, actor, now: dt.datetime) -> None:
    """Tell the registered functions that `log` was filed (submitted,
    resubmitted, or edited while filed). Called by `log_save` inside its
    transaction, so what they write commits or rolls back with the log."""
    for fn in _filed:
        fn(log=log, actor=actor, now=now)


def digest_counts_register(fn: DigestCountsHook) -> None:
    """`fn(user=..., now=...)` gives the follow-up item counts of `user`'s
    digest (None: nothing to count). One registration; a second replaces it."""
    _digest_counts[:] = [fn]


def digest_counts_get(*, user, now: dt.datetime) -> ItemCounts | None:
    """The registered counts for `user`'s digest, or None."""
    if not _digest_counts:
        return None
    return _digest_counts[0](user=user, now=now)

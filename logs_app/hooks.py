"""Where logs_app calls the layers above it without importing them (issue 14).

`supervision` sits above logs_app: it turns a filed log's flags into follow-up
items, counts them in the digest, and shows them on a log's pages. logs_app
cannot import it, so it calls what the upper app registers here in its
AppConfig.ready() — the same dependency inversion as `notifications.kinds`.
With nothing registered (an app left out), filing, the digest and the log
pages work as before.

Panels: a page of a log ("log_detail", "log_review") shows what the apps above
have to say about it (supervision: the log's follow-up items). A panel is a
function (request, log) → HTML (render_to_string's safe string; plain text is
escaped) or "" for nothing to show; it decides itself who may see what."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

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


PANEL_PAGES = ("log_detail", "log_review")

Panel = Callable[[HttpRequest, InteractionLog], str]

_panels: dict[str, list[Panel]] = {page: [] for page in PANEL_PAGES}


def panel_register(page: str, fn: Panel) -> None:
    """Show `fn`'s HTML on `page`. Registering the same function twice is a
    no-op (ready() may run twice in tests)."""
    if page not in _panels:
        raise ValueError(f"No log page called {page!r}; one of {PANEL_PAGES}")
    if fn not in _panels[page]:
        _panels[page].append(fn)


def panels_for(
    page: str, request: HttpRequest, log: InteractionLog
) -> list[SafeString]:
    """The registered panels' HTML for `log` on `page`, empty ones left out.
    Text that is not marked safe (not rendered by a template) is escaped."""
    html = (fn(request, log) for fn in _panels[page])
    return [conditional_escape(part) for part in html if part]


class LogPanels:
    """The panels of a log's pages, computed when a template asks for one page's
    (`{% for html in panels.log_review %}`), so a page pays only for its own."""

    def __init__(self, request: HttpRequest, log: InteractionLog) -> None:
        self._request = request
        self._log = log
        self._cache: dict[str, list[SafeString]] = {}

    def _get(self, page: str) -> list[SafeString]:
        if page not in self._cache:
            self._cache[page] = panels_for(page, self._request, self._log)
        return self._cache[page]

    @property
    def log_detail(self) -> list[SafeString]:
        return self._get("log_detail")

    @property
    def log_review(self) -> list[SafeString]:
        return self._get("log_review")

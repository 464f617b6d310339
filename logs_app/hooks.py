"""Hooks for the apps above logs_app (issue 14). logs_app never imports them;
they register here from their AppConfig.ready(), as notifications.kinds does.

Panels: a page of a log ("log_detail", "log_review") shows what the apps above
have to say about it (supervision: the log's follow-up items). A panel is a
function (request, log) → HTML (render_to_string's safe string; plain text is
escaped) or "" for nothing to show; it decides itself who may see what."""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from logs_app.models import InteractionLog

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

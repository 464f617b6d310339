"""The kinds of mail the outbox sends, each registered by the app it serves.

The outbox is generic: it stores rows, schedules, leases, claims and sends
them. What a kind of mail says, who is due for it and whether it is still
wanted when its turn comes depend on data of the apps above (reminders, digests
and safety alerts are about interaction logs). Those apps register a `Kind`
here in their AppConfig.ready(): a dependency inversion, so that notifications
never imports the layers above it (issue 12)."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notifications.models import Notification


class NothingToSay(Exception):
    """The mail would be empty (a reminder with nothing pending): the row is
    marked skipped and nothing is sent."""


@dataclass(frozen=True)
class Kind:
    """One kind of mail (a `Notification.Kind` value).

    - `context(notification, now)`: what the mail says, added to the base
      context of its templates; raises `NothingToSay` for an empty mail.
    - `rows_due(now)`: unsaved rows the schedule makes due by `now` (the
      dispatcher writes the new ones); none for mail written by an event.
    - `is_still_wanted(notification)`: asked again at send time (someone who
      turned the mail off since the row was written gets nothing).
    - `is_optional`: the recipient may turn it off, so its mails carry a
      one-click List-Unsubscribe header."""

    name: str
    context: Callable[[Notification, dt.datetime], dict[str, Any]] | None = None
    rows_due: Callable[[dt.datetime], list[Notification]] | None = None
    is_still_wanted: Callable[[Notification], bool] | None = None
    is_optional: bool = False

    @property
    def template_prefix(self) -> str:
        """`emails/<kind>`: its templates are `_subject.txt`, `_body.txt` and
        `_body.html` after it (STYLE.md)."""
        return f"emails/{self.name}"


_registry: dict[str, Kind] = {}


def kind_register(kind: Kind) -> None:
    """Register `kind` (from an AppConfig.ready()). A second registration of
    the same name replaces the first."""
    if kind.name not in Notification.Kind.values:
        raise ValueError(f"Not a notification kind: {kind.name!r}")
    _registry[kind.name] = kind


def kind_get(name: str) -> Kind:
    """The registered kind `name`; a row of a kind no app registered is a
    programming error (LookupError), not a mail to send without its content."""
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"No app registered the notification kind {name!r}") from None


def kind_list() -> list[Kind]:
    """Registered kinds, in the order they were registered."""
    return list(_registry.values())

"""The logs endpoints' query parameters (issue 16), read into the export's own
ExportFilters plus what only the API has: the level, `updated_since`, the
cursor and the page size. Anything wrong is a ParamError naming the
parameter (the endpoint answers 400 with its message), never a 500: an
unknown parameter too, so a typo (`sites=`) is not silently ignored.

The cursor is opaque: the last log id of the page before, bound by an HMAC
to everything that selects the rows (filters, level, updated_since), so it
cannot be edited or replayed with other filters."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import json
import re
from dataclasses import dataclass, replace

from django.http import QueryDict
from django.utils.crypto import salted_hmac

from exports.filters import EXPORTABLE_STATUSES, ExportFilters
from exports.models import ExportLevel
from logs_app.models import InteractionLog

MAX_LIMIT = 500
LEVELS = [value for value, _label in ExportLevel.choices if value != ExportLevel.NONE]
OUTCOMES = [value for value, _label in InteractionLog.Outcome.choices]
STATUSES = [value for value, _label in EXPORTABLE_STATUSES]
BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
SINGLE = ("since", "until", "include_voided", "level", "updated_since")
REPEATABLE = ("site", "cohort", "mentor", "outcome", "status")
PAGE_ONLY = ("cursor", "limit")
MAX_REPEATS = 200  # values of one repeatable parameter
_SALT = "api.logs.cursor"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_NUMBER = re.compile(r"[0-9]+").fullmatch


class ParamError(ValueError):
    """A query parameter the API cannot use; `name` is the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


@dataclass(frozen=True)
class LogsQuery:
    filters: ExportFilters
    level: str | None  # None: the token's own level
    updated_since: dt.datetime | None = None
    after: int = 0  # the cursor's last log id (0: from the start)
    limit: int = MAX_LIMIT

    def selection(self, level: str) -> dict:
        """Everything that selects the rows, as JSON (the audit's `filters`
        and what a cursor is bound to)."""
        since = self.updated_since.isoformat() if self.updated_since else None
        return {**self.filters.to_json(), "level": level, "updated_since": since}


def _one(query: QueryDict, name: str) -> str | None:
    values = query.getlist(name)
    if len(values) > 1:
        raise ParamError(name, "give it once")
    return values[0] if values else None


def _day(name: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    if _DAY(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise ParamError(name, "a date as YYYY-MM-DD")


def _ids(query: QueryDict, name: str) -> tuple[int, ...]:
    values = query.getlist(name)
    if len(values) > MAX_REPEATS:
        raise ParamError(name, f"at most {MAX_REPEATS} values")
    ids = []
    for value in values:
        if not (_NUMBER(value) and len(value) <= 18 and int(value) > 0):
            raise ParamError(name, "a positive whole number (an id)")
        ids.append(int(value))
    return tuple(sorted(set(ids)))


def _choices(query: QueryDict, name: str, allowed: list[str]) -> tuple[str, ...]:
    values = query.getlist(name)
    for value in values:
        if value not in allowed:
            raise ParamError(name, "one of " + ", ".join(allowed))
    return tuple(sorted(set(values)))


def _moment(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or "T" not in text:
        raise ParamError(
            "updated_since", "an ISO 8601 date and time, e.g. 2026-11-01T00:00:00Z"
        )
    if when.tzinfo is None or when.utcoffset() is None:
        raise ParamError("updated_since", "give the UTC offset (Z or +hh:mm)")
    try:
        return when.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ParamError("updated_since", "a date and time in range") from None


def _limit(text: str | None) -> int:
    if text is None:
        return MAX_LIMIT
    if _NUMBER(text) and len(text) <= 3 and 1 <= int(text) <= MAX_LIMIT:
        return int(text)
    raise ParamError("limit", f"a whole number from 1 to {MAX_LIMIT}")


def logs_query(query: QueryDict, *, paged: bool) -> LogsQuery:
    """The parameters of /logs (`paged`: cursor and limit allowed) or of a
    full pull (/logs.csv, /logs.ndjson). Raises ParamError."""
    known = SINGLE + REPEATABLE + (PAGE_ONLY if paged else ())
    for name in query:
        if name not in known:
            raise ParamError(name, "unknown parameter")
    include_voided = _one(query, "include_voided")
    if include_voided is not None and include_voided.lower() not in BOOLEANS:
        raise ParamError("include_voided", "true or false")
    filters = ExportFilters(
        since=_day("since", _one(query, "since")),
        until=_day("until", _one(query, "until")),
        sites=_ids(query, "site"),
        cohorts=_ids(query, "cohort"),
        mentors=_ids(query, "mentor"),
        outcomes=_choices(query, "outcome", OUTCOMES),
        statuses=_choices(query, "status", STATUSES),
        include_voided=BOOLEANS.get((include_voided or "false").lower(), False),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise ParamError("until", "on or after since")
    level = _one(query, "level")
    if level is not None and level not in LEVELS:
        raise ParamError("level", "one of " + ", ".join(LEVELS))
    updated_since = _moment(_one(query, "updated_since"))
    if updated_since is not None:
        # A nightly pull must hear of logs voided since: they come marked
        # (is_voided = 1) whatever include_voided says.
        filters = replace(filters, include_voided=True)
    parsed = LogsQuery(filters=filters, level=level, updated_since=updated_since)
    if not paged:
        return parsed
    return replace(parsed, limit=_limit(_one(query, "limit")))


def _mac(last_id: int, selection: dict) -> str:
    text = json.dumps([last_id, selection], sort_keys=True)
    return salted_hmac(_SALT, text, algorithm="sha256").hexdigest()[:32]


def cursor_make(last_id: int, selection: dict) -> str:
    raw = f"{last_id}.{_mac(last_id, selection)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_read(text: str | None, selection: dict) -> int:
    """The last log id a cursor names, if it was made for this selection."""
    if text is None:
        return 0
    refused = ParamError(
        "cursor", "not a cursor this API gave for these filters; start without one"
    )
    if not text.isascii() or len(text) > 120:
        raise refused
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        last, mac = raw.split(".", 1)
        last_id = int(last) if _NUMBER(last) and len(last) <= 18 else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    if last_id < 0 or not hmac.compare_digest(mac, _mac(last_id, selection)):
        raise refused
    return last_id

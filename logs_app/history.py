"""A log's tracked values as JSON-ready data, and the difference of two: what a
LogRevision records, and what the edit page names when someone saved first.
The tracked fields are the catalogue's (`logs_app.fields`)."""

import datetime as dt
from typing import Any

from logs_app.fields import OPTION_FIELDS, SCALAR_FIELDS, TRACKED_FIELDS
from logs_app.models import InteractionLog


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return value


def field_value(name: str, value: Any) -> Any:
    """None from a form means "empty": the field's own empty value."""
    field = InteractionLog._meta.get_field(name)
    if value is None and not field.null:
        return field.get_default()
    return value


def log_snapshot(log: InteractionLog) -> dict[str, Any]:
    """Tracked values of a saved log as JSON-ready data (option lists as codes)."""
    data = {name: _plain(getattr(log, name)) for name in SCALAR_FIELDS}
    data["status"] = log.status
    if log.pk:
        for name in OPTION_FIELDS:
            data[name] = sorted(option.code for option in getattr(log, name).all())
    else:
        data.update(dict.fromkeys(OPTION_FIELDS, []))
    return data


def values_snapshot(values: dict[str, Any], status: str) -> dict[str, Any]:
    """Form values in the shape of `log_snapshot`, to compare the two."""
    data = {name: _plain(field_value(name, values.get(name))) for name in SCALAR_FIELDS}
    data["status"] = status
    for name in OPTION_FIELDS:
        data[name] = sorted(option.code for option in values.get(name) or [])
    return data


def snapshot_diff(
    before: dict[str, Any], after: dict[str, Any]
) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), after.get(name)]
        for name in TRACKED_FIELDS
        if before.get(name) != after.get(name)
    }

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from core.timeutils import iso_week_bounds, parse_iso_week


def week_argument(value: str | None) -> tuple[dt.date, dt.date]:
    """'2026-W47' → (Monday, Sunday); without a value, last week."""
    if not value:
        return iso_week_bounds(timezone.localdate() - dt.timedelta(days=7))
    bounds = parse_iso_week(value)
    if bounds is None:
        raise CommandError(f"Not an ISO week: {value!r} (expected e.g. 2026-W47)")
    return bounds

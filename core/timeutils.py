"""Dates and ISO weeks in a site's time zone."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


def local_today(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(tz).date()


def iso_week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week containing `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


# The years a week or a date typed into a page may name. Any program's weeks lie
# inside; the pages' arithmetic around a value (the next week's link, the day
# after an end date, a dozen weeks back) stays far inside what `datetime.date`
# can hold (years 1 to 9999), so a typed "9999-W52" or "9999-12-31" cannot
# overflow it (issue 11, finding 9).
PARAM_YEARS = range(2000, 2101)
# ASCII digits only: `int()` also reads "٢٠٢٦" and " +2_026", `str.isdigit()`
# also passes "²⁰²⁶".
_ISO_WEEK = re.compile(r"([0-9]{4})-[Ww]([0-9]{2})", re.ASCII)


def parse_iso_week(value: str) -> tuple[dt.date, dt.date] | None:
    """'2026-W47' → (Monday, Sunday); None when it is not a valid ISO week of
    PARAM_YEARS (week 53 only in the years that have one). The one parser for
    weeks from pages, forms and commands."""
    match = _ISO_WEEK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) not in PARAM_YEARS:
        return None
    try:
        monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:  # week 0, or 53 in a year of 52
        return None
    return monday, monday + dt.timedelta(days=6)


def check_param_date(day: dt.date) -> None:
    """A form validator for dates typed into filters: inside PARAM_YEARS."""
    if day.year not in PARAM_YEARS:
        raise ValidationError(
            _("Enter a date from %(first)s to %(last)s."),
            code="date_range",
            params={
                "first": dt.date(PARAM_YEARS[0], 1, 1).isoformat(),
                "last": dt.date(PARAM_YEARS[-1], 12, 31).isoformat(),
            },
        )


def iso_week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_instant(day: dt.date, time: dt.time | None, tz: dt.tzinfo) -> dt.datetime:
    """The aware instant of a site-local date and (optional) time."""
    return dt.datetime.combine(day, time or dt.time(0, 0), tzinfo=tz)


def days_ago_text(days: int) -> str:
    """Plain words for a number of calendar days back: "today", "yesterday",
    "3 days ago" (never "0 days ago"; issue 13)."""
    if days <= 0:
        return gettext("today")
    if days == 1:
        return gettext("yesterday")
    return ngettext("%(n)d day ago", "%(n)d days ago", days) % {"n": days}


def ago_text(then: dt.datetime, now: dt.datetime | None = None) -> str:
    """Plain words for how long ago an instant was: "just now", "5 minutes
    ago", "2 hours ago", then days as `days_ago_text` says them (a day being
    24 hours: no time zone is needed to read it)."""
    seconds = ((now or timezone.now()) - then).total_seconds()
    minutes = int(seconds // 60)
    if minutes < 1:
        return gettext("just now")
    if minutes < 60:
        return ngettext("%(n)d minute ago", "%(n)d minutes ago", minutes) % {
            "n": minutes
        }
    hours = minutes // 60
    if hours < 24:
        return ngettext("%(n)d hour ago", "%(n)d hours ago", hours) % {"n": hours}
    return days_ago_text(hours // 24)

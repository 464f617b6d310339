"""Dates and ISO weeks in a site's time zone."""

import datetime as dt
import zoneinfo

from django.utils import timezone

from mentors.models import Mentor


def mentor_tz(mentor: Mentor) -> zoneinfo.ZoneInfo:
    """The mentor's home time zone: their first site's (by id); UTC without one.
    Expects `sites` to be prefetched when called in a loop."""
    sites = sorted(mentor.sites.all(), key=lambda site: site.pk)
    return sites[0].tzinfo if sites else zoneinfo.ZoneInfo("UTC")


def local_today(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(tz).date()


def iso_week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week containing `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def parse_iso_week(value: str) -> tuple[dt.date, dt.date] | None:
    """'2026-W47' → (Monday, Sunday); None when it is not a valid ISO week."""
    try:
        year_text, week_text = value.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year_text), int(week_text), 1)
    except (ValueError, TypeError):
        return None
    return monday, monday + dt.timedelta(days=6)


def iso_week_label(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def local_instant(day: dt.date, time: dt.time | None, tz: dt.tzinfo) -> dt.datetime:
    """The aware instant of a site-local date and (optional) time."""
    return dt.datetime.combine(day, time or dt.time(0, 0), tzinfo=tz)

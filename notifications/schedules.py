"""When scheduled mail is due. Due times come from a site's schedule in its
own time zone (zoneinfo), so DST and time zones are right; the period key (ISO
week or date) the callers put on a row makes it unique per recipient, so a
pass that runs twice writes nothing new."""

import datetime as dt

LOOKBACK = dt.timedelta(days=2)  # catch up after downtime, never send stale weeks


def last_due(now: dt.datetime, tz: dt.tzinfo, weekday: int, at: dt.time) -> dt.datetime:
    """The latest local `weekday` at `at` (in `tz`) that is not after `now`.

    Wall-clock times are kept across DST: a Friday 15:00 reminder is 15:00 local
    every week. A time that does not exist on a spring-forward day resolves to
    the same instant as the time an hour later (zoneinfo's fold=0 rule)."""
    local_today = now.astimezone(tz).date()
    back = (local_today.weekday() - weekday) % 7
    for days in (back, back + 7):
        day = local_today - dt.timedelta(days=days)
        due = dt.datetime.combine(day, at, tzinfo=tz)
        if due <= now:
            return due
    raise AssertionError("unreachable")  # back + 7 days is always in the past


def last_daily_due(now: dt.datetime, tz: dt.tzinfo, at: dt.time) -> dt.datetime:
    local_today = now.astimezone(tz).date()
    due = dt.datetime.combine(local_today, at, tzinfo=tz)
    return (
        due
        if due <= now
        else dt.datetime.combine(local_today - dt.timedelta(days=1), at, tzinfo=tz)
    )

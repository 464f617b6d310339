"""The suite's clock: every test starts at the same instant, whatever the
machine's clock says, so no result depends on the day the suite runs."""

import datetime as dt
import time

from django.utils import timezone

from tests.conftest import NOW


def test_every_test_starts_at_the_pinned_instant():
    """Issue 11, finding 1: `test_safety_alert_goes_to_supervisor_and_backup_once`
    read the real clock, so from Friday 15:00 in New York the weekly reminder was
    due too and the suite failed until the week ended. Every clock the code reads
    (Django's, the datetime and time modules') starts at NOW in every test."""
    assert abs(timezone.now() - NOW) < dt.timedelta(seconds=30)
    assert abs(dt.datetime.now(dt.UTC) - NOW) < dt.timedelta(seconds=30)
    today = dt.date.today()  # noqa: DTZ011 - the naive call is what is pinned here
    assert today in {NOW.date(), NOW.date() + dt.timedelta(days=1)}
    assert abs(time.time() - NOW.timestamp()) < 30


def test_the_pinned_clock_runs_on_so_timeouts_still_expire():
    started = timezone.now()
    time.sleep(0.05)
    assert timezone.now() > started

"""The fixed cast (STYLE.md): two sites, a mentor with an assigned participant,
another mentor, their supervisors, research staff for one site, an admin and a
user with no role."""

import datetime as dt
import os

import pytest
import time_machine
from django.test import Client

from core.roles import Role
from tests.browser.chromium import chromium_path as find_chromium
from tests.factories import (
    PASSWORD,
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
    SiteFactory,
    UserFactory,
)

# Mid-week at a New York site: Thursday 19 Nov 2026, 15:00 local (20:00 UTC).
NOW = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)


def pytest_collection_modifyitems(config, items):
    """Under Debian's faketime (.ci/run step b2, or anyone checking the suite at
    a hard instant) libfaketime shifts the monotonic clock too, so a timed wait
    in a thread never expires: tests marked `real_time`, which time a thread
    against real seconds, skip there and run everywhere else."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return
    skip = pytest.mark.skip(reason="times a thread; libfaketime shifts monotonic")
    for item in items:
        if item.get_closest_marker("real_time"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def pinned_clock():
    """Every test starts at NOW, whatever the machine's clock says (issue 11,
    finding 1: the suite failed every Friday evening in New York because one test
    read the real clock). The clock ticks from there, so timeouts and polling
    still work; a test that needs another instant travels itself
    (`time_machine.travel`, the `clock` fixture). tests/integration, which drives
    a real Celery worker on the machine's clock, overrides this fixture."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_cache():
    """Every test starts with an empty cache. Every test also starts at the
    same NOW, so the API's per-minute rate limit (its history lives in the
    cache, keyed by the token's owner and name) counted the requests of
    earlier tests as this minute's: the query-string fuzz test got a 429 once
    other tests had used a token of the same name."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def site(db):
    return SiteFactory(code="nyc", name="New York", time_zone="America/New_York")


@pytest.fixture
def other_site(db):
    return SiteFactory(code="syd", name="Sydney", time_zone="Australia/Sydney")


@pytest.fixture
def supervisor(db, site):
    return UserFactory(username="supervisor", roles=[Role.SUPERVISOR], sites=[site])


@pytest.fixture
def other_supervisor(db, other_site):
    return UserFactory(
        username="other_supervisor", roles=[Role.SUPERVISOR], sites=[other_site]
    )


@pytest.fixture
def mentor(db, site, supervisor):
    return MentorFactory(user__username="mentor", sites=[site], supervisor=supervisor)


@pytest.fixture
def other_mentor(db, other_site, other_supervisor):
    return MentorFactory(
        user__username="other_mentor", sites=[other_site], supervisor=other_supervisor
    )


@pytest.fixture
def participant(db, site, mentor):
    participant = ParticipantFactory(
        study_id="NYC-0001", site=site, preferred_name="Jay"
    )
    AssignmentFactory(
        mentor=mentor, participant=participant, start_date=dt.date(2026, 1, 5)
    )
    return participant


@pytest.fixture
def other_participant(db, other_site, other_mentor):
    participant = ParticipantFactory(study_id="SYD-0001", site=other_site)
    AssignmentFactory(
        mentor=other_mentor, participant=participant, start_date=dt.date(2026, 1, 5)
    )
    return participant


@pytest.fixture
def staff(db, site):
    return UserFactory(username="staff", roles=[Role.RESEARCH], sites=[site])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", roles=[Role.ADMIN], is_staff=True)


@pytest.fixture
def nobody(db):
    return UserFactory(username="nobody")


@pytest.fixture
def log(mentor, participant):
    return InteractionLogFactory(mentor=mentor, participant=participant)


@pytest.fixture
def other_log(other_mentor, other_participant):
    return InteractionLogFactory(mentor=other_mentor, participant=other_participant)


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def as_user():
    return client_for


@pytest.fixture
def frozen_now(monkeypatch):
    """Pin timezone.now() to NOW for code that reads the clock."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture(scope="session")
def chromium_path() -> str | None:
    return find_chromium()

"""Query counts of the list pages, pinned (STYLE: no N+1 lists). Each page is
loaded with a few rows and with many, and the count is the same; each query is
named. Session and user lookups are part of every signed-in request, so they
are counted too."""

import datetime as dt

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

ROW_COUNTS = [3, 30]  # 30 is more than a page (PEERLOG_PAGE_SIZE = 25)
PAGE_SIZE = 25

FILED = InteractionLog.Status.SUBMITTED
DRAFT = InteractionLog.Status.DRAFT
RETURNED = InteractionLog.Status.RETURNED


def _log(mentor, participant, status=FILED) -> InteractionLog:
    return InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=status,
        submitted_at=None
        if status == DRAFT
        else dt.datetime(2026, 11, 16, tzinfo=dt.UTC),
    )


def _assigned(mentor, site, **assignment):
    participant = ParticipantFactory(site=site, preferred_name="Sam")
    AssignmentFactory(mentor=mentor, participant=participant, **assignment)
    return participant


# --- My week -----------------------------------------------------------------------
@pytest.fixture
def week_rows(mentor, site):
    """n participants assigned now, each with a log dated Monday 16 Nov (this
    week: NOW is Thursday 19 Nov), the logs cycling through the three kinds My
    week lists: filed this week, drafts, returned. Plus rows it must leave out:
    an ended assignment and a voided log."""

    def make(n: int) -> None:
        for i in range(n):
            _log(mentor, _assigned(mentor, site), [FILED, DRAFT, RETURNED][i % 3])
        ended = _assigned(
            mentor,
            site,
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 2, 1),
        )
        voided = _log(mentor, ended)
        voided.is_voided, voided.void_reason = True, "Entered twice"
        voided.save()

    return make


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_my_week_queries_do_not_grow_with_rows(
    n, week_rows, mentor, client, django_assert_num_queries
):
    week_rows(n)
    client.force_login(mentor.user)

    # 1. session  2. user  3. the user's groups (user_roles, then cached)
    # 4. the mentor profile (get_mentor_for_filing)
    # 5. its sites (prefetched: the mentor's time zone)
    # 6. assigned participants with their last contact (one annotated query)
    # 7. their met contacts (the protocol's dose, issue 17; no cohort here,
    #    so no pauses are read)
    # 8. this week's filed logs + participant
    # 9. drafts + participant
    # 10. logs returned for revision + participant
    # 11. unread supervisor feedback + its log, participant and author
    with django_assert_num_queries(11):
        response = client.get(reverse("my_week"))

    assert response.status_code == 200
    week = response.context["week"]
    per_kind = n // 3
    assert len(week.participants) == n
    # Filed this week = submitted + returned; the voided log is left out.
    assert len(week.week_logs) == 2 * per_kind
    assert len(week.drafts) == per_kind
    assert len(week.returned) == per_kind


# --- The log list ------------------------------------------------------------------
@pytest.fixture
def list_rows(site, mentor, supervisor):
    """n filed logs at `site`, alternating between `mentor` and a second mentor
    with the same supervisor, each about its own participant (so that a query
    per row for mentor, user, participant or site would show)."""
    peer = MentorFactory(sites=[site], supervisor=supervisor)

    def make(n: int) -> None:
        for i in range(n):
            who = mentor if i % 2 == 0 else peer
            _log(who, _assigned(who, site))

    return make


@pytest.mark.parametrize("n", ROW_COUNTS)
@pytest.mark.parametrize(
    ("role", "rows_seen", "queries"),
    [
        ("mentor", lambda n: (n + 1) // 2, 7),  # their own half
        ("supervisor", lambda n: n, 8),  # both mentors they supervise
        ("staff", lambda n: n, 7),  # everything at their site
        ("admin_user", lambda n: n, 7),
    ],
    ids=["mentor", "supervisor", "staff", "admin"],
)
def test_log_list_queries_do_not_grow_with_rows(
    n, role, rows_seen, queries, list_rows, request, client, django_assert_num_queries
):
    list_rows(n)
    user = request.getfixturevalue(role)
    client.force_login(getattr(user, "user", user))

    # 1. session  2. user  3. the user's groups (user_roles, then cached)
    # 4. COUNT of visible logs (the paginator)
    # 5. participants for the filter's choices
    # 6. the page's keys, in order (index-only on PostgreSQL: core.paging)
    # 7. those logs + participant, site, mentor and mentor's user
    # (8. a supervisor's mentors for the mentor filter's choices, issue 14)
    with django_assert_num_queries(queries):
        response = client.get(reverse("log_list"))

    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == rows_seen(n)
    assert len(page.object_list) == min(rows_seen(n), PAGE_SIZE)


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_log_list_filtered_by_participant_adds_one_query(
    n, list_rows, supervisor, participant, mentor, client, django_assert_num_queries
):
    list_rows(n)
    _log(mentor, participant)
    client.force_login(supervisor)

    # 1. session  2. user  3. the user's groups
    # 4. the chosen participant, checked against the visible ones (filter form)
    # 5. COUNT of visible logs of that participant (the paginator)
    # 6. participants for the filter's choices
    # 7. the page's keys, in order  8. those logs + participant, site, mentor
    # 9. the supervisor's mentors for the mentor filter's choices (issue 14)
    with django_assert_num_queries(9):
        response = client.get(reverse("log_list"), {"participant": participant.pk})

    assert response.context["page"].paginator.count == 1

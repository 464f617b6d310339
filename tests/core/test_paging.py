"""The log list's two-step paging (core.paging): the page's keys in order,
then those rows. Walking every page must give each visible log exactly once,
in the list's order (newest first; ties broken by start time, then id), and
never a log the user may not read."""

import datetime as dt

import pytest
from django.urls import reverse

from core.paging import DeferredJoinPaginator
from logs_app import selectors
from logs_app.models import InteractionLog
from tests.factories import AssignmentFactory, InteractionLogFactory, ParticipantFactory

PAGE_SIZE = 25  # PEERLOG_PAGE_SIZE in test settings


@pytest.fixture
def many_logs(mentor, other_mentor, site, participant):
    """60 logs of `mentor` over a few days with clashing dates and times (so
    the tie-breakers matter), a draft, a voided log, and 5 logs of another
    supervisor's mentor."""
    second = ParticipantFactory(site=site)
    AssignmentFactory(mentor=mentor, participant=second)
    for i in range(60):
        InteractionLogFactory(
            mentor=mentor,
            participant=participant if i % 2 else second,
            contact_date=dt.date(2026, 11, 1) + dt.timedelta(days=i % 7),
            start_time=None if i % 5 == 0 else dt.time(9 + i % 3, 0),
        )
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
    )
    InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        is_voided=True,
        void_reason="Entered twice",
    )
    for _ in range(5):
        InteractionLogFactory(mentor=other_mentor)


def _walk(client, **params) -> list[int]:
    seen, number = [], 1
    while True:
        response = client.get(reverse("log_list"), {**params, "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        seen += [log.pk for log in page.object_list]
        if not page.has_next():
            return seen
        number += 1


def test_every_page_in_order_each_log_once(many_logs, supervisor, as_user):
    expected = list(selectors.log_list(user=supervisor).values_list("pk", flat=True))
    seen = _walk(as_user(supervisor))

    # The supervisor sees the 60 filed logs of their mentor: not the draft,
    # not the voided one, not another supervisor's mentor's logs.
    assert len(expected) == 60
    assert seen == expected
    assert len(set(seen)) == 60


def test_pages_keep_the_order_of_the_list(many_logs, supervisor):
    logs = selectors.log_list(user=supervisor)
    paginator = DeferredJoinPaginator(logs, PAGE_SIZE)
    ordered = list(logs)
    for number in paginator.page_range:
        page = paginator.page(number)
        start = (number - 1) * PAGE_SIZE
        assert [log.pk for log in page] == [
            log.pk for log in ordered[start : start + PAGE_SIZE]
        ]
        # The rows come with their joins: no query per row for the template.
        assert all(log.participant.site.name for log in page)


def test_orphans_and_an_out_of_range_page(many_logs, supervisor, as_user):
    paginator = DeferredJoinPaginator(
        selectors.log_list(user=supervisor), PAGE_SIZE, orphans=10
    )
    # 60 = 25 + 35: the last 10 would be orphans, so page 2 takes them.
    assert paginator.num_pages == 2
    assert len(paginator.page(2).object_list) == 35

    # A page past the end shows the last page (get_page), not an error.
    response = as_user(supervisor).get(reverse("log_list"), {"page": 999})
    assert response.status_code == 200
    assert response.context["page"].number == 3


def test_filtered_walk_stays_inside_the_filter(many_logs, mentor, participant, as_user):
    seen = _walk(as_user(mentor.user), participant=participant.pk)
    expected = selectors.log_list(user=mentor.user, participant=participant)
    logs = InteractionLog.objects.filter(pk__in=seen)
    # 30 filed logs of that participant, and the mentor's own draft of them.
    assert len(seen) == 31
    assert seen == list(expected.values_list("pk", flat=True))
    assert set(logs.values_list("participant_id", flat=True)) == {participant.pk}

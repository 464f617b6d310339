"""The log form's pages read a fixed number of rows whatever the mentor's
caseload (issue 13 kept them as they were: the participant list reads only
current assignments in the same one query)."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import AssignmentFactory, InteractionLogFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def caseload(site, mentor):
    for n in range(6):
        AssignmentFactory(
            mentor=mentor,
            participant=ParticipantFactory(study_id=f"NYC-01{n:02d}", site=site),
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 6, 30) if n % 2 else None,
        )


def test_new_log_page_queries(as_user, mentor, caseload, django_assert_num_queries):
    client = as_user(mentor.user)
    client.get(reverse("log_create"))  # the session's once-a-minute activity
    with django_assert_num_queries(QUERIES_NEW):
        assert client.get(reverse("log_create")).status_code == 200


def test_edit_log_page_queries(
    as_user, mentor, participant, caseload, django_assert_num_queries
):
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    client = as_user(mentor.user)
    client.get(reverse("log_edit", args=[log.pk]))
    with django_assert_num_queries(QUERIES_EDIT):
        assert client.get(reverse("log_edit", args=[log.pk])).status_code == 200


# session, user, the user's groups, the mentor, the mentor's sites (the site's
# time), then at render: the participants listed, techniques, topics, roles.
QUERIES_NEW = 9
# session, user, groups, the log, whether its participant was handed over
# (issue 17), its autosave, the log's techniques, topics and roles (the form's
# initial ticks), the mentor's home site (the site's time), then at render:
# participants, techniques, topics, roles.
QUERIES_EDIT = 14

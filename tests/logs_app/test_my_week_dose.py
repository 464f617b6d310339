"""Issue 17: My week flags a participant's overdue planned contact to the
mentor who mentors them now, and the supervisor's digest counts overdue and
missed planned contacts (counts only, no participant)."""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from logs_app.digest import digest_get
from participants.models import Cohort
from programs.assignments import assignment_hand_over
from tests.conftest import client_for
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

D = dt.date
# NOW (conftest): Thursday 19 Nov 2026, 15:00 in New York.
pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def weekly(site):
    """Weekly from 2 Nov, 3 days either side: due 2, 9, 16 (window 13–19),
    23 Nov…"""
    return Cohort.objects.create(
        site=site, name="Fall", start_date=D(2026, 11, 2), planned_contacts=8,
        contact_every_days=7, window_days=3, planned_minutes=30,
    )  # fmt: skip


def _enrol(site, cohort, mentor, study_id, met_on=()):
    person = ParticipantFactory(
        site=site, cohort=cohort, study_id=study_id, enrolled_on=D(2026, 11, 2)
    )
    AssignmentFactory(mentor=mentor, participant=person, start_date=D(2026, 11, 2))
    for day in met_on:
        InteractionLogFactory(mentor=mentor, participant=person, contact_date=day)
    return person


def test_my_week_flags_the_overdue_contact_with_its_last_day(site, weekly, mentor):
    """Met on the 2nd and 9th; the third was due on the 16th and can still
    be delivered until the 19th (today): overdue."""
    _enrol(site, weekly, mentor, "NYC-0500", met_on=(D(2026, 11, 2), D(2026, 11, 9)))
    _enrol(
        site,
        weekly,
        mentor,
        "NYC-0501",
        met_on=(D(2026, 11, 2), D(2026, 11, 9), D(2026, 11, 17)),
    )
    response = client_for(mentor.user).get(reverse("my_week"))
    html = response.content.decode()
    assert "1 planned contact is overdue" in html
    assert "Contact 3 was due Mon 16 Nov: meet by Thu 19 Nov" in html
    week = response.context["week"]
    flagged = {item.participant.study_id for item in week.participants if item.overdue}
    assert flagged == {"NYC-0500"}


def test_no_flag_without_a_protocol_or_once_delivered(site, mentor, participant):
    response = client_for(mentor.user).get(reverse("my_week"))
    assert response.context["week"].overdue_count == 0
    assert "overdue" not in response.content.decode()


def test_after_a_handover_only_the_new_mentor_sees_the_flag(
    site, weekly, mentor, supervisor
):
    person = _enrol(site, weekly, mentor, "NYC-0502", met_on=(D(2026, 11, 2),))
    second = MentorFactory(user__username="second", sites=[site])
    assignment_hand_over(
        actor=supervisor, participant=person, mentor=second, on=D(2026, 11, 18)
    )
    old = client_for(mentor.user).get(reverse("my_week")).context["week"]
    new = client_for(second.user).get(reverse("my_week")).context["week"]
    assert old.overdue_count == 0
    assert [item.participant.study_id for item in old.participants] == []
    assert new.overdue_count == 1
    # Delivered contacts kept across the handover: the 9th was missed, the
    # 16th is overdue.
    [item] = new.participants
    assert (item.dose.delivered, item.dose.missed) == (1, 1)


def test_my_week_queries_stay_the_same_as_participants_grow(
    site, weekly, mentor, django_assert_num_queries
):
    _enrol(site, weekly, mentor, "NYC-0600", met_on=(D(2026, 11, 2),))
    client = client_for(mentor.user)
    client.get(reverse("my_week"))
    with django_assert_num_queries(QUERIES_MY_WEEK):
        client.get(reverse("my_week"))
    for i in range(6):
        _enrol(site, weekly, mentor, f"NYC-061{i}", met_on=(D(2026, 11, 9),))
    with django_assert_num_queries(QUERIES_MY_WEEK):
        response = client.get(reverse("my_week"))
    assert response.context["week"].overdue_count == 7


# session, user, groups, the mentor, their sites; participants; planned
# contacts: met contacts, pauses; this week's logs, drafts, returned logs,
# unread feedback.
QUERIES_MY_WEEK = 12


def test_the_digest_counts_overdue_and_missed_and_names_no_one(
    site, weekly, mentor, supervisor
):
    _enrol(site, weekly, mentor, "NYC-0700", met_on=(D(2026, 11, 2),))
    _enrol(site, weekly, mentor, "NYC-0701")
    now = dt.datetime(2026, 11, 19, 20, tzinfo=dt.UTC)
    digest = digest_get(
        user=supervisor, start=D(2026, 11, 9), end=D(2026, 11, 15), now=now
    )
    # NYC-0700: 9th missed, 16th overdue; NYC-0701: 2nd and 9th missed, 16th
    # overdue.
    assert (digest.contacts_overdue, digest.contacts_missed) == (2, 3)
    text = render_to_string(
        "emails/digest_body.txt",
        {"digest": digest, "user": supervisor, "week_label": "2026-W46",
         "site_url": "https://peerlog.example", "unsubscribe_url": "https://x"},
    )  # fmt: skip
    assert "Planned contacts: 2 overdue now, 3 missed so far." in text
    assert "NYC-07" not in text

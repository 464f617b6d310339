"""The supervisor's digest counts their open and overdue follow-up items
(issue 14): figures and a link, in a constant number of queries."""

import datetime as dt

import time_machine
from django.core import mail
from django.urls import reverse

from logs_app.digest import digest_get
from notifications.tasks import dispatch_once
from supervision.models import FollowUpItem
from tests.factories import InteractionLogFactory

UTC = dt.UTC
NOW = dt.datetime(2026, 11, 23, 13, 30, tzinfo=UTC)
WEEK = (dt.date(2026, 11, 16), dt.date(2026, 11, 22))


def make_items(mentor, participant, owner, *, overdue=0, open_=0, resolved=0):
    def one(due, **state):
        log = InteractionLogFactory(
            mentor=mentor, participant=participant, safety_concern=True
        )
        FollowUpItem.objects.create(
            log=log,
            kind="safety",
            mentor=mentor,
            site=participant.site,
            owner=owner,
            opened_at=NOW - dt.timedelta(days=3),
            due_at=due,
            **state,
        )

    for _ in range(overdue):
        one(NOW - dt.timedelta(hours=1))
    for _ in range(open_):
        one(NOW + dt.timedelta(days=1), state="in_progress")
    for _ in range(resolved):
        one(
            NOW - dt.timedelta(days=1),
            state="resolved",
            resolved_at=NOW,
            resolution_note="Talked it through.",
        )


def test_the_digest_counts_open_and_overdue_items(
    supervisor, other_supervisor, mentor, participant
):
    make_items(mentor, participant, supervisor, overdue=1, open_=2, resolved=3)
    make_items(mentor, participant, other_supervisor, overdue=4)  # not theirs
    digest = digest_get(user=supervisor, start=WEEK[0], end=WEEK[1], now=NOW)
    assert (digest.items.open, digest.items.overdue) == (3, 1)
    assert digest.items.url == reverse("followup_list")


def test_no_items_no_counts(supervisor, mentor, participant):
    make_items(mentor, participant, supervisor, resolved=1)
    digest = digest_get(user=supervisor, start=WEEK[0], end=WEEK[1], now=NOW)
    assert digest.items is None


def test_the_digest_mail_says_the_counts_and_links_them(
    supervisor, mentor, participant
):
    supervisor.email = "sam@example.org"
    supervisor.save()
    make_items(mentor, participant, supervisor, overdue=2, open_=1)
    with time_machine.travel(NOW, tick=False):  # Monday: the digest is due
        dispatch_once()
    (message,) = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    assert "3 open follow-up items, 2 overdue" in message.body
    assert reverse("followup_list") in message.body
    html = message.alternatives[0][0]
    assert "3 open follow-up items" in html and "2 overdue" in html
    assert "Talked" not in message.body + html


def test_open_items_alone_make_the_digest_worth_sending(supervisor, mentor):
    # No logs in the week, no participants: only the items.
    participant = InteractionLogFactory(mentor=mentor).participant
    make_items(mentor, participant, supervisor, open_=1)
    digest = digest_get(user=supervisor, start=WEEK[0], end=WEEK[1], now=NOW)
    assert not digest.is_empty


def test_digest_queries_do_not_grow_with_items(
    supervisor, mentor, participant, django_assert_num_queries
):
    for count in (2, 20):
        make_items(mentor, participant, supervisor, overdue=count, open_=count)
        supervisor.__dict__.pop("_peerlog_roles", None)  # as for a fresh worker
        # roles; led sites; item counts; mentors + their sites; team figures
        # + assigned; engagement gaps; role-mix rows + role functions; the
        # protocol's dose: current assignments, met contacts (issue 17)
        with django_assert_num_queries(12):
            digest = digest_get(user=supervisor, start=WEEK[0], end=WEEK[1], now=NOW)
        assert digest.items.open == (4 if count == 2 else 44)

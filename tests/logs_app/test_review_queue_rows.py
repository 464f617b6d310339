"""The review queue's rows, drawn in Python since issue 14's throughput work
(`logs_app/templatetags/review_queue.py`), and its page read in one query
with the total taken from the per-mentor counts: what the rows show, that
every user-written value is escaped, and that the pages hold exactly the
queue, in its order, with and without filters."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from logs_app import selectors
from logs_app.models import InteractionLog
from mentors.models import Assignment
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

SUBMITTED = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)  # 2 days before NOW


def _filed(**kwargs) -> InteractionLog:
    kwargs.setdefault("submitted_at", SUBMITTED)
    return InteractionLogFactory(status=InteractionLog.Status.SUBMITTED, **kwargs)


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def _row_pks(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/logs/(\d+)/review/', html)]


def test_user_text_in_a_row_is_escaped(as_user, supervisor, mentor, participant):
    mentor.user.first_name = "<b>Ann</b>"
    mentor.user.save()
    participant.study_id = "NYC&<1>"
    participant.save()
    _filed(
        mentor=mentor,
        participant=participant,
        narrative='<script>alert("x")</script> & "quoted"',
    )
    html = as_user(supervisor).get(reverse("review_queue")).content.decode()
    (row,) = _rows(html)
    assert "<script>" not in row and "<b>" not in row
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted" in row
    assert "&lt;b&gt;Ann&lt;/b&gt;" in row
    assert "NYC&amp;&lt;1&gt; · " in row


def test_a_row_shows_the_contact_its_facts_badges_and_a_cut_summary(
    as_user, supervisor, mentor, participant
):
    log = _filed(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 16),
        start_time=dt.time(9, 5),
        duration_minutes=25,
        outcome="met",
        safety_concern=True,
        discuss_in_supervision=True,
        concern="They seemed low.",
        narrative="x" * 200,
    )
    (row,) = _rows(as_user(supervisor).get(reverse("review_queue")).content.decode())
    assert f'<a href="/logs/{log.pk}/review/">NYC-0001 · Mon 16 Nov, 09:05</a>' in row
    assert f"{log.get_outcome_display()} · 25 min" in row
    for badge in ("Safety", "Concern", "Discuss"):
        assert f">{badge}</span>" in row
    assert "x" * 139 + "…</td>" in row and "x" * 140 not in row
    assert f'data-label="Mentor">{mentor}</td>' in row
    assert 'data-label="Submitted">2 days ago</td>' in row
    assert "js-routine" not in row  # it needs attention: no tick box


def test_a_routine_row_has_its_tick_box_version_and_label(
    as_user, supervisor, mentor, participant
):
    log = _filed(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 16),
        narrative="x" * 140,
    )
    (row,) = _rows(as_user(supervisor).get(reverse("review_queue")).content.decode())
    assert f'name="log" value="{log.pk}" id="pick-{log.pk}"' in row
    assert f'name="v{log.pk}" value="{log.version}"' in row
    assert f'for="pick-{log.pk}">Mark NYC-0001 on 16 Nov reviewed</label>' in row
    assert "x" * 140 + "</td>" in row  # 140 characters are not cut


def test_row_links_keep_the_filters_escaped(as_user, supervisor, mentor, participant):
    log = _filed(mentor=mentor, participant=participant)
    query = {"mentor": mentor.pk, "participant": participant.pk}
    html = as_user(supervisor).get(reverse("review_queue"), query).content.decode()
    expected = f"/logs/{log.pk}/review/?mentor={mentor.pk}&amp;participant="
    assert f'href="{expected}{participant.pk}"' in html


def test_a_participant_whose_assignment_was_removed_still_shows(
    as_user, supervisor, mentor, participant, site
):
    """The rows take participants from the filter's list; one that left it
    (the assignment was deleted) is fetched by itself."""
    gone = ParticipantFactory(study_id="NYC-0999", site=site)
    assignment = AssignmentFactory(
        mentor=mentor, participant=gone, start_date=dt.date(2026, 1, 5)
    )
    log = _filed(mentor=mentor, participant=gone)
    Assignment.objects.filter(pk=assignment.pk).delete()
    response = as_user(supervisor).get(reverse("review_queue"))
    assert gone not in response.context["participants"]
    (row,) = _rows(response.content.decode())
    assert f'href="/logs/{log.pk}/review/">NYC-0999 · ' in row


@pytest.mark.parametrize("by_mentor", [False, True])
def test_the_pages_hold_the_whole_queue_in_its_order(
    as_user, supervisor, mentor, participant, site, by_mentor
):
    """The total comes from the per-mentor counts, not its own count: 60 + 15
    waiting logs make two pages (one with the mentor filter), in the queue's
    own order, with no log twice or missing; another supervisor's mentor's
    logs and reviewed logs are not counted."""
    second = MentorFactory(sites=[site], supervisor=supervisor)
    other = ParticipantFactory(site=site)
    AssignmentFactory(mentor=second, participant=other, start_date=dt.date(2026, 1, 5))
    for i in range(60):
        _filed(
            mentor=mentor,
            participant=participant,
            submitted_at=SUBMITTED - dt.timedelta(hours=i),
            safety_concern=i % 7 == 0,
            concern="Worried." if i % 5 == 0 else "",
        )
    for i in range(15):
        _filed(
            mentor=second,
            participant=other,
            submitted_at=SUBMITTED - dt.timedelta(minutes=i),
        )
    InteractionLogFactory.create_batch(
        3, mentor=mentor, participant=participant, status="reviewed"
    )
    InteractionLogFactory.create_batch(4, status="submitted")  # someone else's
    client = as_user(supervisor)
    query = {"mentor": mentor.pk} if by_mentor else {}
    expected = list(
        selectors.review_queue_list(
            user=supervisor,
            filters=selectors.QueueFilter(mentor=mentor.pk if by_mentor else None),
        ).values_list("pk", flat=True)
    )
    assert len(expected) == (60 if by_mentor else 75)
    first = client.get(reverse("review_queue"), query)
    second_page = client.get(reverse("review_queue"), {**query, "page": 2})
    assert "Page 1 of 2" in first.content.decode()
    assert "Page 2 of 2" in second_page.content.decode()
    shown = _row_pks(first.content.decode()) + _row_pks(second_page.content.decode())
    assert shown == expected
    past_end = client.get(reverse("review_queue"), {**query, "page": 9})
    assert _row_pks(past_end.content.decode()) == expected[50:]


def test_a_mentor_filter_outside_ones_own_counts_nothing(
    as_user, supervisor, other_mentor
):
    _filed(mentor=other_mentor)
    response = as_user(supervisor).get(
        reverse("review_queue"), {"mentor": other_mentor.pk}
    )
    assert response.context["page"].paginator.count == 0
    assert _row_pks(response.content.decode()) == []

"""Issue 14, the review panel: one box whose text goes with whichever button
is pressed and is never dropped; "Next" through the same filtered queue;
working the queue (filters by mentor and participant, select all routine,
team-week links); third-person labels and the participant's progress link."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logs_app.models import InteractionLog, LogComment, LogRevision
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _box(response) -> str:
    """What the page's one box holds (the review box, else the thread's)."""
    html = response.content.decode()
    boxes = re.findall(r"<textarea[^>]*>(.*?)</textarea>", html, re.S)
    assert len(boxes) == 1, boxes
    return boxes[0].strip()


def _thread(log) -> list[tuple[str, str]]:
    return list(
        LogComment.objects.filter(log=log).order_by("pk").values_list("kind", "body")
    )


# --- the finding ---------------------------------------------------------------
TEXT = "Good listening. Next time ask about their quit date."


def _conflict(kind: str, log, other_supervisor_client):
    """Make the log change under the supervisor's open page."""
    if kind == "mentor changed it":
        InteractionLog.objects.filter(pk=log.pk).update(version=2)
    else:
        other_supervisor_client.post(
            reverse("log_review", args=[log.pk]),
            {"version": "1", "action": kind, "comment": "Seen." * (kind == "return")},
        )


@pytest.mark.parametrize("action", ["review", "return", "feedback"])
@pytest.mark.parametrize("conflict", ["mentor changed it", "review", "return", "none"])
def test_feedback_can_be_lost_with_a_false_confirmation(
    as_user, supervisor, log, action, conflict
):
    """Issue 14 finding "Feedback can be lost with a false confirmation": text
    typed into the box and any button pressed, while the log may have changed
    under the page. The text is never dropped: either it is in the thread once
    and the message says the mentor can see it, or nothing was saved, the
    message says so and the text is back in the box. A message never claims
    feedback that the thread does not have."""
    client = as_user(supervisor)
    if conflict != "none":
        _conflict(conflict, log, as_user(supervisor))
    before = _thread(log)
    response = client.post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": action, "comment": TEXT},
        follow=True,
    )
    added = _thread(log)[len(before) :]
    said = " ".join(_messages(response))
    if added:
        assert [body for _, body in added] == [TEXT]
        assert re.search(
            r"feedback is with the mentor|Feedback sent|with your comm", said
        )
        assert _box(response) == ""
    else:
        assert response.status_code == 409
        assert "Nothing was saved; what you typed is still in the box." in said
        assert "feedback is with the mentor" not in said
        assert _box(response) == TEXT
    # Feedback only ever goes through the one box's buttons, so on a
    # refusal the text is nowhere but in the box.
    assert (added != []) == (conflict == "none" or action == "feedback")


def test_a_conflict_on_a_waiting_log_gives_the_text_back_with_the_new_version(
    as_user, supervisor, log
):
    """The mentor saved while the supervisor read: the page comes back with the
    log as it is now, and pressing again (having looked) works."""
    InteractionLog.objects.filter(pk=log.pk).update(version=2)
    client = as_user(supervisor)
    url = reverse("log_review", args=[log.pk])
    response = client.post(url, {"version": "1", "action": "review", "comment": TEXT})
    assert response.status_code == 409
    assert "changed this log while you were reading" in response.content.decode()
    form = response.context["form"]
    assert (form["version"].value(), form["comment"].value()) == (2, TEXT)
    assert not LogComment.objects.exists()
    client.post(url, {"version": "2", "action": "review", "comment": TEXT})
    assert _thread(log) == [("review", TEXT)]


def test_validation_refusals_keep_the_text(as_user, supervisor, log):
    """A refused post (no button, a too-long text) keeps what was typed."""
    client = as_user(supervisor)
    url = reverse("log_review", args=[log.pk])
    response = client.post(url, {"version": "1", "action": "", "comment": TEXT})
    assert response.status_code == 400
    assert _box(response) == TEXT
    response = client.post(url, {"version": "x", "action": "review", "comment": TEXT})
    assert response.status_code == 400
    assert _box(response) == TEXT
    assert not LogComment.objects.exists()


def test_feedback_only_is_named_so_and_keeps_the_log_waiting(as_user, supervisor, log):
    page = as_user(supervisor).get(reverse("log_review", args=[log.pk]))
    assert "Send feedback only</button>" in page.content.decode()
    assert (
        as_user(supervisor)
        .post(
            reverse("log_review", args=[log.pk]),
            {"version": "1", "action": "feedback", "comment": TEXT},
        )
        .status_code
        == 302
    )
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert not LogRevision.objects.filter(log=log).exists()


# --- Next ----------------------------------------------------------------------
@pytest.fixture
def two_mentors_queue(supervisor, mentor, participant, site):
    """A second supervised mentor with their own participant, and waiting logs
    of both in a known queue order."""
    peer = MentorFactory(sites=[site], supervisor=supervisor, user__username="peer")
    peers_participant = ParticipantFactory(study_id="NYC-0002", site=site)
    AssignmentFactory(
        mentor=peer, participant=peers_participant, start_date=dt.date(2026, 1, 5)
    )
    make = InteractionLogFactory
    logs = {
        "m_safety": make(
            mentor=mentor,
            participant=participant,
            submitted_at=at(16),
            safety_concern=True,
        ),
        "p_concern": make(
            mentor=peer,
            participant=peers_participant,
            submitted_at=at(15),
            reflection_concerns="Is it all right to text at night?",
        ),
        "m_old": make(mentor=mentor, participant=participant, submitted_at=at(10)),
        "p_mid": make(mentor=peer, participant=peers_participant, submitted_at=at(12)),
        "m_new": make(mentor=mentor, participant=participant, submitted_at=at(14)),
    }
    return peer, peers_participant, logs


def _queue(client, **filters) -> list[int]:
    response = client.get(reverse("review_queue"), filters)
    return [log.pk for log in response.context["page"].object_list]


def _walk(client, first_pk: int, query: str) -> list[int]:
    """Review from `first_pk` on, following the "Next" that the page shows
    after each action, until it leads back to the (empty) queue."""
    seen, pk = [], first_pk
    while pk is not None and pk not in seen:
        seen.append(pk)
        url = reverse("log_review", args=[pk]) + query
        page = client.post(url, {"version": "1", "action": "review"}, follow=True)
        assert page.redirect_chain[-1][0] == url  # back on the page, with Next
        html = page.content.decode()
        nxt = page.context["next_log"]
        if nxt is None:
            assert f'href="{reverse("review_queue")}{query}"' in html
            pk = None
        else:
            link = reverse("log_review", args=[nxt.pk]) + query
            assert f'href="{link}"' in html
            pk = nxt.pk
    return seen


def test_next_walks_the_whole_queue_in_its_order(
    as_user, supervisor, two_mentors_queue
):
    client = as_user(supervisor)
    order = _queue(client)
    assert len(order) == 5
    first = order[0]
    assert _walk(client, first, "") == order
    assert _queue(client) == []


def test_next_keeps_the_mentor_filter(as_user, supervisor, two_mentors_queue, mentor):
    _, _, logs = two_mentors_queue
    client = as_user(supervisor)
    query = f"?mentor={mentor.pk}"
    order = _queue(client, mentor=mentor.pk)
    assert order == [logs["m_safety"].pk, logs["m_old"].pk, logs["m_new"].pk]
    assert _walk(client, order[0], query) == order
    # The peer's logs are still waiting, untouched.
    assert _queue(client) == [logs["p_concern"].pk, logs["p_mid"].pk]


def test_next_keeps_the_participant_filter(as_user, supervisor, two_mentors_queue):
    peer, peers_participant, logs = two_mentors_queue
    client = as_user(supervisor)
    order = _queue(client, participant=peers_participant.pk)
    assert order == [logs["p_concern"].pk, logs["p_mid"].pk]
    assert _walk(client, order[0], f"?participant={peers_participant.pk}") == order


def test_next_from_a_later_log_wraps_round_to_those_skipped(
    as_user, supervisor, two_mentors_queue
):
    _, _, logs = two_mentors_queue
    client = as_user(supervisor)
    page = client.get(reverse("log_review", args=[logs["m_new"].pk]))
    assert page.context["next_log"] == logs["m_safety"]


def test_after_an_action_the_page_offers_next_and_the_empty_queue_says_so(
    as_user, supervisor, log
):
    client = as_user(supervisor)
    response = client.post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "review"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("log_review", args=[log.pk])
    assert response.context["next_log"] is None
    assert "No other log is waiting in your queue." in response.content.decode()
    queue = client.get(reverse("review_queue"))
    assert "the queue is empty" in queue.content.decode()


# --- filters -------------------------------------------------------------------
def test_queue_offers_only_supervised_mentors_and_their_participants(
    as_user,
    supervisor,
    two_mentors_queue,
    mentor,
    participant,
    other_participant,
    other_mentor,
):
    peer, peers_participant, _ = two_mentors_queue
    response = as_user(supervisor).get(reverse("review_queue"))
    assert {m.pk for m in response.context["mentors"]} == {mentor.pk, peer.pk}
    assert list(response.context["participants"]) == [participant, peers_participant]
    html = response.content.decode()
    assert str(other_mentor) not in html
    assert other_participant.study_id not in html


@pytest.mark.parametrize("name", ["mentor", "participant"])
@pytest.mark.parametrize("value", ["foreign", "0", "abc", "99999999999"])
def test_queue_filter_outside_ones_own_gives_an_empty_list(
    as_user, supervisor, other_log, log, name, value
):
    """A filter naming another supervisor's mentor or participant (or nothing
    sensible) shows nothing: never another supervisor's logs, never the whole
    queue as if filtered."""
    if value == "foreign":
        value = str(
            other_log.mentor_id if name == "mentor" else other_log.participant_id
        )
    client = as_user(supervisor)
    response = client.get(reverse("review_queue"), {name: value})
    assert response.status_code == 200
    assert _queue(client, **{name: value}) == []
    assert "the queue is empty for this filter" in response.content.decode()
    # Next from a log reached with such a filter leads nowhere else either.
    page = client.get(reverse("log_review", args=[log.pk]), {name: value})
    assert page.context["next_log"] is None


def test_queue_pages_keep_the_filter(as_user, supervisor, mentor, participant):
    InteractionLogFactory.create_batch(51, mentor=mentor, participant=participant)
    html = (
        as_user(supervisor)
        .get(reverse("review_queue"), {"mentor": mentor.pk})
        .content.decode()
    )
    assert f'href="?mentor={mentor.pk}&amp;page=2"' in html
    assert len(re.findall(rf'/review/\?mentor={mentor.pk}"', html)) == 50


def test_queue_query_count_stays_the_same_with_filters(
    as_user,
    supervisor,
    mentor,
    participant,
    two_mentors_queue,
    django_assert_num_queries,
):
    """Issue 14 keeps the queue at six queries, seven with a participant
    filter (which counts its own logs): the page's logs come sorted and read in
    one query, and the total comes from the per-mentor counts."""
    client = as_user(supervisor)
    for rows in (3, 40):
        InteractionLogFactory.create_batch(rows, mentor=mentor, participant=participant)
        for query, queries in (
            ({}, 6),
            ({"mentor": mentor.pk}, 6),
            ({"mentor": mentor.pk, "participant": participant.pk}, 7),
        ):
            # session, user, groups, per-mentor counts (also the mentor
            # filter's choices and the total), the participant filter's
            # choices, the page of logs with their routine flags; and the
            # participant filter's own count
            with django_assert_num_queries(queries):
                client.get(reverse("review_queue"), query)


def test_review_page_query_count_does_not_grow(
    as_user, supervisor, mentor, participant, log
):
    """ "Next" is one query (two when it wraps round), whatever the queue holds."""
    client = as_user(supervisor)
    url = reverse("log_review", args=[log.pk]) + f"?mentor={mentor.pk}"
    counts = []
    for rows in (3, 40):
        InteractionLogFactory.create_batch(rows, mentor=mentor, participant=participant)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_log_list_filters_by_supervised_mentor(
    as_user, supervisor, two_mentors_queue, mentor, other_log
):
    peer, _, logs = two_mentors_queue
    client = as_user(supervisor)
    response = client.get(reverse("log_list"), {"mentor": peer.pk})
    assert {log.pk for log in response.context["page"].object_list} == {
        logs["p_concern"].pk,
        logs["p_mid"].pk,
    }
    offered = response.context["filters"].fields["mentor"].queryset
    assert set(offered) == {mentor, peer}
    # Another supervisor's mentor or participant: an empty list, not theirs
    # and not everything.
    for name, value in (
        ("mentor", other_log.mentor_id),
        ("participant", other_log.participant_id),
        ("mentor", "abc"),
    ):
        response = client.get(reverse("log_list"), {name: value})
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []


def test_mentor_log_list_has_no_mentor_filter(as_user, mentor, log):
    response = as_user(mentor.user).get(reverse("log_list"))
    assert "mentor" not in response.context["filters"].fields
    assert 'name="mentor"' not in response.content.decode()


def test_team_week_awaiting_links_to_that_mentors_queue(
    as_user, supervisor, mentor, log
):
    html = as_user(supervisor).get(reverse("team_week")).content.decode()
    assert f'href="{reverse("review_queue")}?mentor={mentor.pk}"' in html


# --- select all routine, labels, progress link ----------------------------------
def test_select_all_routine_is_a_button_over_routine_logs_only(
    as_user, supervisor, mentor, participant
):
    routine = InteractionLogFactory(mentor=mentor, participant=participant)
    flagged = InteractionLogFactory(
        mentor=mentor, participant=participant, safety_concern=True
    )
    html = as_user(supervisor).get(reverse("review_queue")).content.decode()
    assert re.search(r'<button type="button"[^>]*js-select-routine', html)
    assert "js/review-queue.js" in html
    box = 'class="form-check-input js-routine" type="checkbox" name="log"'
    assert f'{box} value="{routine.pk}"' in html
    assert f'value="{flagged.pk}" id="pick-' not in html


def test_bulk_review_still_skips_a_flagged_log_posted_anyway(
    as_user, supervisor, mentor, participant
):
    flagged = InteractionLogFactory(
        mentor=mentor, participant=participant, safety_concern=True
    )
    as_user(supervisor).post(
        reverse("review_bulk"), {"log": [flagged.pk], f"v{flagged.pk}": "1"}
    )
    flagged.refresh_from_db()
    assert flagged.status == InteractionLog.Status.SUBMITTED


def test_review_page_speaks_of_the_mentor_and_links_to_progress(
    as_user, supervisor, mentor, participant
):
    log = InteractionLogFactory(mentor=mentor, participant=participant)
    log.techniques.set(log.techniques.model.objects.all()[:1])
    html = (
        as_user(supervisor).get(reverse("log_review", args=[log.pk])).content.decode()
    )
    assert "What the mentor did" in html
    assert "What you did" not in html
    assert f'href="{reverse("participant_detail", args=[participant.pk])}"' in html
    own = (
        as_user(mentor.user).get(reverse("log_detail", args=[log.pk])).content.decode()
    )
    assert "What you did" in own

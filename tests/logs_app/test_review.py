"""Supervisor review: the queue, review and return, locking and addenda, the
feedback thread, bulk review, the agenda, and two people acting at once."""

import datetime as dt

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog, LogComment, LogRevision
from logs_app.services import log_review
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture
def queue_logs(mentor, participant):
    """Four waiting logs, one of each kind, submitted in this order."""
    make = InteractionLogFactory
    return {
        "routine_old": make(
            mentor=mentor, participant=participant, submitted_at=at(10)
        ),
        "routine_new": make(
            mentor=mentor, participant=participant, submitted_at=at(14)
        ),
        "concern": make(
            mentor=mentor,
            participant=participant,
            submitted_at=at(15),
            reflection_concerns="Should I help with housing forms?",
        ),
        "safety": make(
            mentor=mentor,
            participant=participant,
            submitted_at=at(16),
            safety_concern=True,
        ),
    }


# --- the queue
def test_queue_puts_safety_first_then_concerns_then_oldest(
    as_user, supervisor, queue_logs, other_log
):
    response = as_user(supervisor).get(reverse("review_queue"))
    order = [log.pk for log in response.context["page"].object_list]
    q = queue_logs
    assert order == [
        q["safety"].pk,
        q["concern"].pk,
        q["routine_old"].pk,
        q["routine_new"].pk,
    ]
    assert other_log.pk not in order  # another supervisor's mentor
    # Only routine logs can be ticked for bulk review.
    assert response.context["routine"] == {q["routine_old"].pk, q["routine_new"].pk}
    counts = {
        m.user.username: (m.waiting, m.safety) for m in response.context["mentors"]
    }
    assert counts == {"mentor": (4, 1)}


def test_queue_leaves_out_drafts_reviewed_returned_and_voided(
    as_user, supervisor, mentor, participant
):
    for status in ["draft", "reviewed", "returned"]:
        InteractionLogFactory(mentor=mentor, participant=participant, status=status)
    InteractionLogFactory(
        mentor=mentor, participant=participant, is_voided=True, void_reason="Duplicate"
    )
    response = as_user(supervisor).get(reverse("review_queue"))
    assert list(response.context["page"].object_list) == []
    assert "Nothing waiting" in response.content.decode()


def test_queue_query_count_does_not_grow(
    as_user, supervisor, mentor, participant, django_assert_num_queries
):
    client = as_user(supervisor)
    for rows in (3, 30):
        InteractionLogFactory.create_batch(rows, mentor=mentor, participant=participant)
        # session, user, groups, the page of logs (+ participant, mentor), the
        # paginator's count, which of the page's logs are routine, per-mentor counts
        with django_assert_num_queries(7):
            client.get(reverse("review_queue"))


# --- review and return
def test_mark_reviewed_locks_the_log_and_keeps_the_comment(
    as_user, supervisor, mentor, log
):
    client = as_user(supervisor)
    response = client.post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "review", "comment": "Lovely listening. Well done."},
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED
    assert log.reviewed_by == supervisor
    assert log.version == 2
    assert LogRevision.objects.get(log=log).action == "reviewed"
    comment = LogComment.objects.get(log=log)
    assert (comment.kind, comment.body, comment.author) == (
        "review",
        "Lovely listening. Well done.",
        supervisor,
    )
    # Locked for the mentor, who can still add an addendum.
    mentor_client = as_user(mentor.user)
    assert mentor_client.get(reverse("log_edit", args=[log.pk])).status_code == 403
    mentor_client.post(
        reverse("log_comment_add", args=[log.pk]),
        {"body": "I forgot: they called back."},
    )
    addendum = LogComment.objects.get(log=log, author=mentor.user)
    assert addendum.kind == "addendum"
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED


def test_return_needs_a_comment_and_keeps_what_was_typed(as_user, supervisor, log):
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]), {"version": "1", "action": "return"}
    )
    assert response.status_code == 400
    assert "Say what to change" in " ".join(response.context["form"].errors["comment"])
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


def test_return_then_resubmit_goes_back_to_the_queue(as_user, supervisor, mentor, log):
    as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {
            "version": "1",
            "action": "return",
            "comment": "Great detail. Please add the length.",
        },
    )
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.RETURNED

    mentor_client = as_user(mentor.user)
    week = mentor_client.get(reverse("my_week")).context["week"]
    assert week.returned == [log]
    assert [c.body for c in week.unread] == ["Great detail. Please add the length."]

    data = {
        "idempotency_key": str(log.idempotency_key),
        "version": str(log.version),
        "participant": log.participant_id,
        "outcome": "met",
        "contact_date": "2026-11-16",
        "start_time": "10:00",
        "duration_minutes": "75",
        "mode": "in_person",
        "narrative": log.narrative,
        "action": "submit",
    }
    assert (
        mentor_client.post(reverse("log_edit", args=[log.pk]), data).status_code == 302
    )
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.duration_minutes == 75
    actions = list(log.revisions.order_by("pk").values_list("action", flat=True))
    assert actions == ["returned", "submitted"]
    queue = as_user(supervisor).get(reverse("review_queue")).context["page"].object_list
    assert [item.pk for item in queue] == [log.pk]


def test_mentor_cannot_review_their_own_log(as_user, mentor, log):
    response = as_user(mentor.user).post(
        reverse("log_review", args=[log.pk]), {"version": "1", "action": "review"}
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


def test_another_supervisor_gets_404(as_user, other_supervisor, log):
    response = as_user(other_supervisor).get(reverse("log_review", args=[log.pk]))
    assert response.status_code == 404


# --- two at once
def test_second_review_gets_a_clear_message_and_its_comment_is_kept(
    as_user, supervisor, log
):
    first, second = as_user(supervisor), as_user(supervisor)  # two tabs or devices
    url = reverse("log_review", args=[log.pk])
    first.post(url, {"version": "1", "action": "review", "comment": "Nice work."})
    response = second.post(
        url,
        {"version": "1", "action": "return", "comment": "Please add the place."},
        follow=True,
    )
    assert "already marked this log reviewed" in response.content.decode()
    assert "Your comment was kept" in response.content.decode()
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED
    assert LogRevision.objects.filter(log=log).count() == 1
    kinds = list(LogComment.objects.filter(log=log).values_list("kind", "body"))
    assert kinds == [("review", "Nice work."), ("feedback", "Please add the place.")]


def test_review_of_a_log_the_mentor_just_changed_is_refused(as_user, supervisor, log):
    InteractionLog.objects.filter(pk=log.pk).update(version=2)  # the mentor saved
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "review"},
        follow=True,
    )
    assert "changed this log while you were reading" in response.content.decode()
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


def test_service_refuses_a_stale_version(supervisor, log):
    from logs_app.services import AlreadyReviewed

    log_review(actor=supervisor, log=log, expected_version=1, approve=True)
    with pytest.raises(AlreadyReviewed):
        log_review(actor=supervisor, log=log, expected_version=1, approve=True)


# --- bulk
def test_bulk_review_marks_only_routine_current_own_logs(
    as_user, supervisor, queue_logs, other_log
):
    q = queue_logs
    InteractionLog.objects.filter(pk=q["routine_new"].pk).update(version=5)  # changed
    data = {
        "log": [q["routine_old"].pk, q["routine_new"].pk, q["safety"].pk, other_log.pk],
        f"v{q['routine_old'].pk}": "1",
        f"v{q['routine_new'].pk}": "1",
        f"v{q['safety'].pk}": "1",
        f"v{other_log.pk}": "1",
    }
    response = as_user(supervisor).post(reverse("review_bulk"), data, follow=True)
    reviewed = set(
        InteractionLog.objects.filter(status="reviewed").values_list("pk", flat=True)
    )
    assert reviewed == {q["routine_old"].pk}
    html = response.content.decode()
    assert "1 log marked reviewed" in html
    assert "3 logs were left in the queue" in html
    assert LogRevision.objects.get(log=q["routine_old"]).actor == supervisor


def test_bulk_review_with_nothing_ticked_changes_nothing(
    as_user, supervisor, queue_logs
):
    response = as_user(supervisor).post(reverse("review_bulk"), {}, follow=True)
    assert "Tick the logs" in response.content.decode()
    assert not InteractionLog.objects.filter(status="reviewed").exists()


# --- the thread
def test_feedback_reaches_my_week_until_acknowledged(as_user, supervisor, mentor, log):
    as_user(supervisor).post(
        reverse("log_comment_add", args=[log.pk]),
        {"body": "You handled that so calmly."},
    )
    comment = LogComment.objects.get()
    assert comment.kind == "feedback"
    mentor_client = as_user(mentor.user)
    assert mentor_client.get(reverse("my_week")).context["week"].unread == [comment]
    page = mentor_client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "You handled that so calmly." in page and "read this feedback" in page

    mentor_client.post(reverse("feedback_acknowledge", args=[log.pk]))
    assert mentor_client.get(reverse("my_week")).context["week"].unread == []


def test_mentor_reply_answers_the_feedback(as_user, supervisor, mentor, log):
    as_user(supervisor).post(
        reverse("log_comment_add", args=[log.pk]), {"body": "How are you?"}
    )
    as_user(mentor.user).post(
        reverse("log_comment_add", args=[log.pk]), {"body": "Better, thanks."}
    )
    reply = LogComment.objects.get(author=mentor.user)
    assert reply.kind == "reply"
    assert LogComment.objects.get(author=supervisor).acknowledged_at is not None


def test_empty_message_is_refused_next_to_the_field(as_user, mentor, log):
    response = as_user(mentor.user).post(
        reverse("log_comment_add", args=[log.pk]), {"body": "   "}
    )
    assert response.status_code == 400
    assert response.context["comment_form"].errors["body"]
    assert not LogComment.objects.exists()


def test_research_staff_do_not_see_the_thread(as_user, supervisor, staff, log):
    as_user(supervisor).post(
        reverse("log_comment_add", args=[log.pk]), {"body": "Private coaching note"}
    )
    page = as_user(staff).get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "Private coaching note" not in page


# --- the agenda
def test_agenda_lists_the_weeks_flagged_logs_with_follow_up(
    as_user, supervisor, mentor, participant, other_mentor, other_participant
):
    make = InteractionLogFactory
    safety = make(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 17),
        safety_concern=True,
    )
    talk = make(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 18),
        discuss_in_supervision=True,
    )
    make(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 18)
    )  # routine
    make(  # last week
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 15),
        discuss_in_supervision=True,
    )
    make(  # someone else's mentor
        mentor=other_mentor,
        participant=other_participant,
        contact_date=dt.date(2026, 11, 17),
        safety_concern=True,
    )
    LogComment.objects.create(
        log=safety,
        author=supervisor,
        kind="feedback",
        body="Called the clinic.",
        created_at=at(18),
    )
    response = as_user(supervisor).get(
        reverse("supervision_agenda"), {"week": "2026-W47"}
    )
    assert [log.pk for log in response.context["safety"]] == [safety.pk]
    assert [log.pk for log in response.context["others"]] == [talk.pk]
    assert "Called the clinic." in response.content.decode()


def test_agenda_with_a_bad_week_falls_back_with_a_message(as_user, supervisor):
    response = as_user(supervisor).get(reverse("supervision_agenda"), {"week": "soon"})
    assert response.status_code == 200
    assert "not understood" in response.content.decode()
    assert response.context["week_label"] == "2026-W47"


def test_supervisor_sees_only_their_own_mentors_participants_logs(
    as_user, supervisor, site
):
    stranger = MentorFactory(sites=[site])  # same site, no supervisor of ours
    person = ParticipantFactory(site=site)
    AssignmentFactory(mentor=stranger, participant=person)
    log = InteractionLogFactory(mentor=stranger, participant=person)
    assert (
        as_user(supervisor).get(reverse("log_review", args=[log.pk])).status_code == 404
    )


def test_review_page_shows_the_participants_earlier_contacts(
    as_user, supervisor, mentor, participant
):
    make = InteractionLogFactory
    older = [
        make(mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, d))
        for d in (2, 9)
    ]
    make(mentor=mentor, participant=participant, status="draft")  # not filed
    log = make(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 16)
    )
    response = as_user(supervisor).get(reverse("log_review", args=[log.pk]))
    assert [item.pk for item in response.context["recent"]] == [
        older[1].pk,
        older[0].pk,
    ]

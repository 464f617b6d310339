"""Supervisor review: the queue, review and return, locking and addenda, the
feedback thread, bulk review, the agenda, and two people acting at once."""

import datetime as dt
import re
from functools import partial

import pytest
from django.urls import reverse

from logs_app.models import InteractionLog, LogComment, LogRevision
from logs_app.review import log_review
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
        # session, user, groups, the per-mentor counts (which give the total),
        # the participant filter's list, and the page: one query sorts the
        # waiting logs and reads the page's rows
        with django_assert_num_queries(6):
            client.get(reverse("review_queue"))
        # A participant filter counts its logs itself.
        with django_assert_num_queries(7):
            client.get(reverse("review_queue"), {"participant": participant.pk})


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
    # Listed once (issue 14): under the logs to change, not as new feedback too.
    assert week.unread == []
    assert (
        "Great detail. Please add the length."
        in mentor_client.get(reverse("log_edit", args=[log.pk])).content.decode()
    )

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
    """The second tab's comment is not lost: nothing is written behind the
    supervisor's back (issue 14), it comes back in the box, and sending it
    puts it in the thread once."""
    first, second = as_user(supervisor), as_user(supervisor)  # two tabs or devices
    url = reverse("log_review", args=[log.pk])
    first.post(url, {"version": "1", "action": "review", "comment": "Nice work."})
    response = second.post(
        url,
        {"version": "1", "action": "return", "comment": "Please add the place."},
        follow=True,
    )
    assert response.status_code == 409
    assert "already marked this log reviewed" in response.content.decode()
    assert "what you typed is still in the box" in response.content.decode()
    assert response.context["comment_form"]["body"].value() == "Please add the place."
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED
    assert LogRevision.objects.filter(log=log).count() == 1
    second.post(
        reverse("log_comment_add", args=[log.pk]), {"body": "Please add the place."}
    )
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
    from logs_app.review import AlreadyReviewed

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


# --- review audit rows (issue 11, finding 12)
@pytest.mark.parametrize(
    ("approve", "action", "comment"),
    [(True, "log.review", ""), (False, "log.return", "Please add the length.")],
)
def test_review_service_writes_its_own_audit_row(
    supervisor, mentor, log, approve, action, comment
):
    """Issue 11 finding 12 (AUD-1): a review made by code, not through the page,
    is audited by the service itself, with who, the log and its new version."""
    from audit.models import AuditEvent

    log_review(
        actor=supervisor,
        log=log,
        expected_version=1,
        approve=approve,
        comment=comment,
    )
    event = AuditEvent.objects.get(action__in=["log.review", "log.return"])
    assert (event.action, event.actor, event.object_id, event.mentor_id) == (
        action,
        supervisor,
        str(log.pk),
        mentor.pk,
    )
    assert event.details == {"version": 2}
    assert "length" not in str(event.details)


def test_review_through_the_page_is_audited_once(as_user, supervisor, log):
    """Issue 11 finding 12: the page leaves the audit row to the service (one
    row, with the request's path)."""
    from audit.models import AuditEvent

    as_user(supervisor).post(
        reverse("log_review", args=[log.pk]), {"version": "1", "action": "review"}
    )
    event = AuditEvent.objects.get(action="log.review")
    assert event.path == reverse("log_review", args=[log.pk])


def test_failure_after_the_review_write_rolls_back_review_and_audit(
    supervisor, log, monkeypatch
):
    """Issue 11 finding 12: the audit row is written in the review's own
    transaction: a failure after the review (here, writing the comment) leaves
    neither the review nor its audit row."""
    from audit.models import AuditEvent
    from logs_app import review

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    return_it = partial(
        log_review,
        actor=supervisor,
        log=log,
        expected_version=1,
        approve=False,
        comment="Please add the length.",
    )
    monkeypatch.setattr(review, "_comment", broken)
    with pytest.raises(RuntimeError):
        return_it()
    log.refresh_from_db()
    assert (log.status, log.version) == (InteractionLog.Status.SUBMITTED, 1)
    assert not LogRevision.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=["log.review", "log.return"]
    ).exists()
    # The same call without the failure writes the review and its audit row
    # together (on the old code the service wrote no audit row at all).
    monkeypatch.undo()
    return_it()
    assert AuditEvent.objects.filter(action="log.return", object_id=log.pk).count() == 1


# --- one box on the review page (issue 11, finding 6)
def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_review_page_has_one_box_for_every_action(as_user, supervisor, log):
    """Issue 11 finding 6: while the log waits for review, the page has one box
    and every button (mark reviewed, return, send feedback) submits it; the
    thread's own "Message" box is not there to type into by mistake."""
    page = as_user(supervisor).get(reverse("log_review", args=[log.pk]))
    html = page.content.decode()
    assert re.findall(r"<textarea[^>]*name=\"(\w+)\"", html) == ["comment"]
    form = re.search(r"<form method=\"post\" novalidate>(.*?)</form>", html, re.S)
    buttons = re.findall(r"name=\"action\" value=\"(\w+)\"", form.group(1))
    assert buttons == ["review", "return", "feedback"]


def test_typed_text_with_mark_reviewed_lands_in_the_thread(as_user, supervisor, log):
    """Issue 11 finding 6: text typed into the box and *Mark reviewed* → the
    comment is in the thread, and the message says so."""
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "review", "comment": "  Calm and clear.  "},
        follow=True,
    )
    assert _messages(response) == ["Marked reviewed. Your feedback is with the mentor."]
    assert list(LogComment.objects.values_list("kind", "body")) == [
        ("review", "Calm and clear.")
    ]


def test_mark_reviewed_without_text_does_not_claim_feedback(as_user, supervisor, log):
    """Issue 11 finding 6: an empty box and *Mark reviewed* says only "Marked
    reviewed." (it used to add "The mentor can see your feedback.")."""
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "review", "comment": "   "},
        follow=True,
    )
    assert _messages(response) == ["Marked reviewed."]
    assert not LogComment.objects.exists()
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.REVIEWED


def test_send_feedback_from_the_box_keeps_the_log_waiting(as_user, supervisor, log):
    """Issue 11 finding 6: *Send feedback* takes the same box's text into the
    thread and leaves the log in the queue."""
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "feedback", "comment": "How did it feel?"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("log_review", args=[log.pk])
    assert _messages(response) == ["Feedback sent to the mentor."]
    assert list(LogComment.objects.values_list("kind", "body")) == [
        ("feedback", "How did it feel?")
    ]
    log.refresh_from_db()
    assert (log.status, log.version) == (InteractionLog.Status.SUBMITTED, 1)


def test_send_feedback_with_an_empty_box_is_refused_next_to_it(
    as_user, supervisor, log
):
    """Issue 11 finding 6: nothing is claimed when nothing was sent."""
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "feedback", "comment": " "},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["comment"]
    assert not LogComment.objects.exists()


@pytest.mark.parametrize("action", ["", "approve-all"])
def test_unknown_action_keeps_the_typed_text(as_user, supervisor, log, action):
    """Issue 11 finding 6: a post without a known button does nothing, says so,
    and keeps the typing in the box."""
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": action, "comment": "Kept, please."},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "press one of the buttons" in html
    assert "Kept, please.</textarea>" in html
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert not LogComment.objects.exists()


def test_return_refused_for_too_long_a_comment_keeps_the_text(as_user, supervisor, log):
    """Issue 11 finding 6: a refused return keeps what was typed."""
    text = "Please add the place. " * 300
    response = as_user(supervisor).post(
        reverse("log_review", args=[log.pk]),
        {"version": "1", "action": "return", "comment": text},
    )
    assert response.status_code == 400
    assert response.context["form"]["comment"].value() == text
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


def test_after_review_the_thread_box_takes_further_feedback(as_user, supervisor, log):
    """Issue 11 finding 6: once reviewed there is no review box; the thread's
    box is the one box."""
    client = as_user(supervisor)
    client.post(
        reverse("log_review", args=[log.pk]), {"version": "1", "action": "review"}
    )
    html = client.get(reverse("log_review", args=[log.pk])).content.decode()
    assert re.findall(r"<textarea[^>]*name=\"(\w+)\"", html) == ["body"]


def test_a_thread_post_refused_on_a_waiting_log_keeps_the_text_in_the_one_box(
    as_user, supervisor, log
):
    """Issue 11 finding 6: a post from the log page's thread box that is refused
    comes back on the review page with its text in the one box."""
    response = as_user(supervisor).post(
        reverse("log_comment_add", args=[log.pk]), {"body": "x" * 5001}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form["comment"].value() == "x" * 5001
    # One message for one problem, though both forms check the length.
    assert len(form.errors["comment"]) == 1
    assert response.context["comment_form"] is None


# --- voiding a log filed in error (issue 11, finding 17)
def test_supervisor_voids_a_log_with_a_reason_audited(as_user, supervisor, log):
    """Issue 11 finding 17 (AUD-1): a log filed in error can be voided from a
    page: a confirmation with a required reason, then the existing service
    (history row, audit row without the reason)."""
    from audit.models import AuditEvent

    client = as_user(supervisor)
    detail = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert reverse("log_void", args=[log.pk]) in detail
    confirm = client.get(reverse("log_void", args=[log.pk]))
    assert confirm.status_code == 200
    assert log.narrative not in confirm.content.decode()

    response = client.post(
        reverse("log_void", args=[log.pk]), {"reason": " Filed twice by mistake. "}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("log_detail", args=[log.pk])
    log.refresh_from_db()
    assert log.is_voided and log.void_reason == "Filed twice by mistake."
    revision = LogRevision.objects.get(log=log)
    assert (revision.action, revision.actor) == ("voided", supervisor)
    event = AuditEvent.objects.get(action="log.void")
    assert (event.actor, event.object_id) == (supervisor, str(log.pk))
    assert "twice" not in str(event.details)
    page = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "Filed twice by mistake." in page
    assert reverse("log_void", args=[log.pk]) not in page


def test_void_needs_a_reason_and_changes_nothing_without_one(as_user, supervisor, log):
    """Issue 11 finding 17: the reason is required, next to the field."""
    response = as_user(supervisor).post(
        reverse("log_void", args=[log.pk]), {"reason": "   "}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    log.refresh_from_db()
    assert not log.is_voided
    assert not LogRevision.objects.exists()


def test_voiding_twice_is_refused_once_voided(as_user, admin_user, log):
    """Issue 11 finding 17: admins void too; a second void changes nothing."""
    client = as_user(admin_user)
    client.post(reverse("log_void", args=[log.pk]), {"reason": "Wrong participant."})
    response = client.post(reverse("log_void", args=[log.pk]), {"reason": "Again."})
    assert response.status_code == 400
    assert "already voided" in response.content.decode()
    log.refresh_from_db()
    assert log.void_reason == "Wrong participant."
    assert LogRevision.objects.filter(log=log).count() == 1


def test_a_draft_is_not_voided(as_user, admin_user, mentor, participant):
    """Issue 11 finding 17: only filed logs are voided."""
    draft = InteractionLogFactory(
        mentor=mentor, participant=participant, status="draft"
    )
    response = as_user(admin_user).post(
        reverse("log_void", args=[draft.pk]), {"reason": "Not needed."}
    )
    assert response.status_code == 400
    draft.refresh_from_db()
    assert not draft.is_voided


def test_mentor_gets_403_and_other_supervisor_404_on_void(
    as_user, mentor, other_supervisor, log
):
    """Issue 11 finding 17: the author sees the log but does not void it; a
    supervisor of other mentors does not see it."""
    url = reverse("log_void", args=[log.pk])
    assert as_user(mentor.user).post(url, {"reason": "Oops."}).status_code == 403
    assert as_user(other_supervisor).get(url).status_code == 404
    detail = as_user(mentor.user).get(reverse("log_detail", args=[log.pk]))
    assert url not in detail.content.decode()
    log.refresh_from_db()
    assert not log.is_voided

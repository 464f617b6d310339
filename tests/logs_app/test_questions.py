"""Issue 14, questions are questions and concerns stay separate: the reflection
answer "Any questions for your supervisor?" is a question, badged "Question",
answered by the supervisor in the thread, after which the log is routine (bulk
reviewable); the new optional `concern` field carries the "Concern" badge and
keeps a log out of bulk review like a safety flag or a request to talk."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from exports.codebook import codebook_markdown
from exports.columns import wide_columns
from exports.models import ExportLevel
from logs_app.attention import needs_attention_q, routine_q
from logs_app.fields import FREE_TEXT_FIELDS, REFLECTION_FIELDS, SCALAR_FIELDS
from logs_app.forms import InteractionLogForm
from logs_app.models import InteractionLog
from logs_app.review import log_comment_add, log_review, logs_bulk_review
from logs_app.services import log_save
from tests.conftest import NOW
from tests.factories import InteractionLogFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

QUESTION = "Is it okay to help with housing forms?"
WORRY = "They seemed much more withdrawn than last week."


@pytest.fixture
def question(mentor, participant):
    return InteractionLogFactory(
        mentor=mentor, participant=participant, reflection_concerns=QUESTION
    )


@pytest.fixture
def concern(mentor, participant):
    return InteractionLogFactory(mentor=mentor, participant=participant, concern=WORRY)


def _badges(html: str) -> tuple[bool, bool]:
    return (">Question<" in html, ">Concern<" in html)


# --- the finding
def test_a_question_is_labelled_a_question_not_a_concern(
    as_user, supervisor, mentor, question
):
    """Finding "A mentor's question is labelled a concern": answers to "Any
    questions or concerns for your supervisor?" got a Concern badge on the
    queue, were listed as "Concern:" on the agenda and kept the log out of bulk
    review. Now: a Question badge on the queue, the review page, the agenda and
    the log list, "Question:" on the agenda, and the form asks for questions."""
    form = InteractionLogForm(mentor=mentor)
    assert form.fields["reflection_concerns"].label == (
        "Any questions for your supervisor?"
    )
    client = as_user(supervisor)
    pages = {
        "queue": client.get(reverse("review_queue")),
        "review": client.get(reverse("log_review", args=[question.pk])),
        "agenda": client.get(reverse("supervision_agenda"), {"week": "2026-W47"}),
        "list": client.get(reverse("log_list")),
    }
    for name, response in pages.items():
        html = response.content.decode()
        assert _badges(html) == (True, False), name
    agenda = pages["agenda"].content.decode()
    assert "Question:" in agenda
    assert "Concern:" not in agenda


def test_an_answered_question_can_be_bulk_reviewed(supervisor, question):
    """Finding "A mentor's question is labelled a concern": a question kept the
    log out of bulk review for good. Once the supervisor answers it in the
    thread, the log is routine."""
    logs = InteractionLog.objects.filter(pk=question.pk)
    assert not logs.filter(routine_q()).exists()
    assert logs.filter(needs_attention_q()).exists()
    assert logs_bulk_review(actor=supervisor, versions={question.pk: 1})[0] == []

    log_comment_add(actor=supervisor, log=question, body="Yes, that is fine.")
    assert logs.filter(routine_q()).exists()
    assert not logs.filter(needs_attention_q()).exists()
    marked, skipped = logs_bulk_review(actor=supervisor, versions={question.pk: 1})
    assert [log.pk for log in marked] == [question.pk]
    assert skipped == []


# --- answering
def test_supervisor_feedback_answers_the_question_once_with_audit(supervisor, question):
    comment = log_comment_add(actor=supervisor, log=question, body="Yes, go ahead.")
    question.refresh_from_db()
    assert question.question_answered_at == NOW
    assert question.version == 1  # an open queue page can still mark it
    event = AuditEvent.objects.get(action="log.question_answer")
    assert event.details == {"comment": comment.pk}
    assert event.actor == supervisor
    log_comment_add(actor=supervisor, log=question, body="And one more thing.")
    assert AuditEvent.objects.filter(action="log.question_answer").count() == 1


@pytest.mark.parametrize("approve", [True, False])
def test_a_review_or_return_comment_answers_the_question(supervisor, question, approve):
    log_review(
        actor=supervisor,
        log=question,
        expected_version=1,
        approve=approve,
        comment="Yes, within the role.",
    )
    question.refresh_from_db()
    assert question.question_answered_at == NOW


def test_a_review_without_words_does_not_answer(supervisor, question):
    log_review(actor=supervisor, log=question, expected_version=1, approve=True)
    question.refresh_from_db()
    assert question.question_answered_at is None


def test_the_mentors_own_reply_does_not_answer(mentor, question):
    log_comment_add(actor=mentor.user, log=question, body="Also: forms for rent?")
    question.refresh_from_db()
    assert question.question_answered_at is None


def test_a_log_without_a_question_records_no_answer(supervisor, log):
    log_comment_add(actor=supervisor, log=log, body="Well done.")
    log.refresh_from_db()
    assert log.question_answered_at is None
    assert not AuditEvent.objects.filter(action="log.question_answer").exists()


def test_a_changed_question_is_open_again(supervisor, mentor, question):
    log_comment_add(actor=supervisor, log=question, body="Yes.")
    question.refresh_from_db()
    values = {
        name: getattr(question, name)
        for name in SCALAR_FIELDS
        if name not in {"reflection_concerns"}
    }
    log_save(
        actor=mentor.user,
        mentor=mentor,
        values={**values, "duration_minutes": 70, "reflection_concerns": QUESTION},
        idempotency_key=question.idempotency_key,
        log=question,
        expected_version=question.version,
        submit=True,
    )
    question.refresh_from_db()
    assert question.question_answered_at == NOW  # same question: still answered
    log_save(
        actor=mentor.user,
        mentor=mentor,
        values={**values, "reflection_concerns": "And the rent forms?"},
        idempotency_key=question.idempotency_key,
        log=question,
        expected_version=question.version,
        submit=True,
    )
    question.refresh_from_db()
    assert question.question_answered_at is None


def test_only_a_question_can_be_answered(log):
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionLog.objects.filter(pk=log.pk).update(question_answered_at=NOW)


def test_the_thread_shows_which_comment_answered(as_user, supervisor, question):
    log_comment_add(actor=supervisor, log=question, body="Yes, go ahead.")
    html = as_user(supervisor).get(reverse("log_review", args=[question.pk]))
    html = html.content.decode()
    assert "Answers the question" in html
    assert ">Question answered<" in html


def test_queue_order_puts_an_answered_question_with_routine_logs(
    as_user, supervisor, mentor, participant, question
):
    older = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        submitted_at=question.submitted_at.replace(day=10),
    )
    client = as_user(supervisor)
    order = [log.pk for log in client.get(reverse("review_queue")).context["page"]]
    assert order == [question.pk, older.pk]
    log_comment_add(actor=supervisor, log=question, body="Yes.")
    response = client.get(reverse("review_queue"))
    assert [log.pk for log in response.context["page"]] == [older.pk, question.pk]
    assert response.context["routine"] == {older.pk, question.pk}


# --- concerns
def test_the_concern_badge_comes_only_from_the_concern_field(
    as_user, supervisor, concern
):
    client = as_user(supervisor)
    for url, query in (
        (reverse("review_queue"), {}),
        (reverse("log_review", args=[concern.pk]), {}),
        (reverse("supervision_agenda"), {"week": "2026-W47"}),
        (reverse("log_list"), {}),
    ):
        html = client.get(url, query).content.decode()
        assert _badges(html) == (False, True), url
    agenda = client.get(reverse("supervision_agenda"), {"week": "2026-W47"})
    assert f'Concern:</span> <span class="log-text">{WORRY}' in agenda.content.decode()


def test_a_concern_needs_attention_and_is_never_bulk_reviewed(supervisor, concern):
    logs = InteractionLog.objects.filter(pk=concern.pk)
    assert logs.filter(needs_attention_q()).exists()
    assert not logs.filter(routine_q()).exists()
    log_comment_add(actor=supervisor, log=concern, body="Let's talk Monday.")
    assert not logs.filter(routine_q()).exists()  # a reply does not close it
    assert logs_bulk_review(actor=supervisor, versions={concern.pk: 1})[0] == []


def test_the_concern_field_is_in_the_catalogue_and_the_form(mentor):
    assert "concern" in SCALAR_FIELDS
    assert "concern" in REFLECTION_FIELDS  # consent-only in exports, private
    assert "concern" in FREE_TEXT_FIELDS  # never in error reports or the admin
    field = InteractionLogForm(mentor=mentor).fields["concern"]
    assert field.label == "Anything about this contact that worries you?"
    assert field.help_text == "Your supervisor will follow it up."
    assert not field.required


def test_the_form_asks_for_the_concern_in_the_reflections(as_user, mentor):
    html = as_user(mentor.user).get(reverse("log_create")).content.decode()
    reflections = html[html.index("For you (optional)") : html.index("sticky-actions")]
    assert 'name="concern"' in reflections
    assert reflections.index("reflection_concerns") < reflections.index(
        'name="concern"'
    )


def test_the_codebook_lists_the_concern():
    text = codebook_markdown(wide_columns(ExportLevel.FULL, []), [], {}, 0)
    assert "concern" in text
    assert "has_concern" in text
    assert (
        "| `concern` | string | Reflection 3, only where the mentor consented" in text
    )
    assert "anything about this contact that worries you |" in text


def test_a_mentor_files_a_concern(as_user, mentor, participant):
    response = as_user(mentor.user).post(
        reverse("log_create"),
        {
            "idempotency_key": "6f1d4b7e-0a52-4a59-9d36-1c1b1d1e2f30",
            "participant": participant.pk,
            "outcome": "met",
            "contact_date": "2026-11-18",
            "start_time": "10:00",
            "duration_minutes": "45",
            "mode": "in_person",
            "narrative": "We walked and talked.",
            "concern": WORRY,
            "action": "submit",
        },
    )
    assert response.status_code == 302
    log = InteractionLog.objects.get(mentor=mentor)
    assert log.concern == WORRY
    assert log.revisions.get().changes["concern"][1] == WORRY  # in its history


def test_research_staff_see_no_badges_without_the_mentors_consent(
    as_user, staff, question, concern
):
    html = as_user(staff).get(reverse("log_list")).content.decode()
    assert _badges(html) == (False, False)
    question.mentor.reflections_consent_at = NOW
    question.mentor.save()
    html = as_user(staff).get(reverse("log_list")).content.decode()
    assert _badges(html) == (True, True)


def test_team_week_counts_concerns_not_questions(as_user, supervisor, question):
    response = as_user(supervisor).get(reverse("team_week"), {"week": "2026-W47"})
    rows = response.context["team"].rows
    assert [row.figures.concerns for row in rows] == [0]

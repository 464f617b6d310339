"""What needs a supervisor's attention: the one definition of it, read by the
review queue (its order and the routine logs it lets a supervisor mark in bulk),
the bulk review service, the supervision agenda and the index that serves the
queue. Plain conditions on a log's own columns: the model imports this module.

A filed log needs attention when it carries a safety flag, a concern, a request
to discuss it in supervision, or a question the supervisor has not answered yet
(issue 14: a question is not a concern; once answered in the thread the log is
routine again). A log awaiting review that needs none of that is routine."""

from django.db.models import Case, IntegerField, Q, Value, When

SUBMITTED = "submitted"  # InteractionLog.Status.SUBMITTED


def awaiting_review_q() -> Q:
    """Filed and waiting for its supervisor: submitted and not voided."""
    return Q(status=SUBMITTED, is_voided=False)


def unanswered_question_q() -> Q:
    """The mentor asked their supervisor a question not answered yet."""
    return ~Q(reflection_concerns="") & Q(question_answered_at__isnull=True)


def asks_for_supervision_q() -> Q:
    """The mentor asks for supervision time: a concern, a request to discuss, or
    a question waiting for its answer."""
    return ~Q(concern="") | Q(discuss_in_supervision=True) | unanswered_question_q()


def needs_attention_q() -> Q:
    """A safety flag, or the mentor asks for supervision time."""
    return asks_for_supervision_q() | Q(safety_concern=True)


def routine_q() -> Q:
    """Logs a supervisor may mark reviewed in bulk: awaiting review, and nothing
    needs attention (`needs_attention_q` negated, written out positively so the
    database reads it as plain column tests)."""
    return Q(
        safety_concern=False,
        discuss_in_supervision=False,
        concern="",
        status=SUBMITTED,
        is_voided=False,
    ) & (Q(reflection_concerns="") | Q(question_answered_at__isnull=False))


def attention_rank() -> Case:
    """The review queue's order after safety flags: 1 when the mentor asks for
    supervision time, else 0."""
    return Case(
        When(asks_for_supervision_q(), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )

"""Reads for pages. Each starts from `visible_to(user)` and owns its joins, so
the number of queries does not grow with the number of rows."""

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from core.timeutils import iso_week_bounds, local_today
from logs_app.attention import (
    attention_rank,
    awaiting_review_q,
    routine_q,
)
from logs_app.dose import Dose, Slot, doses_for
from logs_app.fields import OPTION_FIELDS, REFLECTION_FIELDS, TEXT_FIELDS
from logs_app.models import InteractionLog, LogComment, LogRevision
from mentors.models import Assignment, Mentor, mentor_tz
from participants.models import Participant


@dataclass(frozen=True)
class AssignedParticipant:
    participant: Participant
    last_contact: dt.date | None
    days_since: int | None
    dose: Dose | None = None  # the protocol's planned contacts (logs_app.dose)

    @property
    def overdue(self) -> Slot | None:
        """The planned contact to make now: due, undelivered, window open."""
        late = self.dose.overdue if self.dose else []
        return late[0] if late else None


@dataclass(frozen=True)
class MyWeek:
    today: dt.date
    week_start: dt.date
    week_end: dt.date
    participants: list[AssignedParticipant]
    week_logs: list[InteractionLog]
    drafts: list[InteractionLog]
    returned: list[InteractionLog]
    unread: list[LogComment]

    @property
    def overdue_count(self) -> int:
        return sum(1 for item in self.participants if item.overdue)


def my_week_get(*, mentor: Mentor, now: dt.datetime | None = None) -> MyWeek:
    """The mentor's home page: who they are assigned to and when they last met,
    this week's filed logs (site-local ISO week), drafts, logs returned by the
    supervisor, feedback not yet read, and each participant's planned contacts
    (overdue ones flagged). Eight queries whatever the numbers."""
    today = local_today(mentor_tz(mentor), now)
    week_start, week_end = iso_week_bounds(today)
    met = InteractionLog.Outcome.MET
    participants = (
        Participant.objects.filter(
            pk__in=Assignment.objects.filter(mentor=mentor)
            .active_on(today)
            .values("participant")
        )
        .annotate(
            last_contact=Max(
                "logs__contact_date",
                filter=Q(logs__mentor=mentor, logs__outcome=met, logs__is_voided=False)
                & ~Q(logs__status=InteractionLog.Status.DRAFT),
            )
        )
        .select_related("site", "cohort")
        .order_by("study_id")
    )
    participants = list(participants)
    doses = doses_for(participants, now=now)
    assigned = [
        AssignedParticipant(
            participant=p,
            last_contact=p.last_contact,
            days_since=(today - p.last_contact).days if p.last_contact else None,
            dose=doses.get(p.pk),
        )
        for p in participants
    ]
    # Longest without contact first: that is who to call next.
    assigned.sort(key=lambda a: (a.last_contact is not None, a.last_contact or today))
    own = InteractionLog.objects.filter(mentor=mentor, is_voided=False).select_related(
        "participant"
    )
    week_logs = list(
        own.filter(contact_date__range=(week_start, week_end)).exclude(
            status=InteractionLog.Status.DRAFT
        )
    )
    drafts = list(
        own.filter(status=InteractionLog.Status.DRAFT).order_by("-updated_at")
    )
    returned = list(own.filter(status=InteractionLog.Status.RETURNED))
    return MyWeek(
        today=today,
        week_start=week_start,
        week_end=week_end,
        participants=assigned,
        week_logs=week_logs,
        drafts=drafts,
        returned=returned,
        unread=unread_feedback_list(mentor=mentor),
    )


def log_list(
    *,
    user,
    participant: Participant | None = None,
    mentor: Mentor | None = None,
    week: tuple[dt.date, dt.date] | None = None,
    status: str | None = None,
) -> QuerySet[InteractionLog]:
    """Logs `user` may read, newest first, filtered; voided logs excluded."""
    logs = (
        InteractionLog.objects.visible_to(user)
        .filter(is_voided=False)
        .select_related("participant__site", "mentor__user")
        .order_by("-contact_date", "-start_time", "-pk")
    )
    if participant is not None:
        logs = logs.filter(participant=participant)
    if mentor is not None:
        logs = logs.filter(mentor=mentor)
    if week is not None:
        logs = logs.filter(contact_date__range=week)
    if status:
        logs = logs.filter(status=status)
    return logs


def log_filter_participants(*, user) -> QuerySet[Participant]:
    """Participants offered in the log list's filter: those the user may see."""
    return Participant.objects.visible_to(user).order_by("study_id")


def log_filter_mentors(*, user) -> QuerySet[Mentor]:
    """Mentors offered in a supervisor's log list filter: those they supervise."""
    return (
        Mentor.objects.visible_to(user)
        .filter(supervisor=user)
        .select_related("user")
        .order_by("user__first_name", "user__username")
    )


def log_detail_get(*, log: InteractionLog, with_reflections: bool) -> dict[str, Any]:
    """What the detail page shows besides the log: its options and history.
    Without `with_reflections`, history leaves the reflection fields out too;
    after an erasure request (programs.erasure) it leaves out every typed text,
    which the append-only revisions still hold."""
    revisions = list(
        LogRevision.objects.filter(log=log).select_related("actor").order_by("at", "pk")
    )
    hidden = () if with_reflections else REFLECTION_FIELDS
    if log.participant_id is not None and log.participant.erased_at is not None:
        hidden = TEXT_FIELDS  # the reflections among them
    for revision in revisions:
        for name in hidden:
            revision.changes.pop(name, None)
    options = {name: list(getattr(log, name).all()) for name in OPTION_FIELDS}
    return {**options, "revisions": revisions}


# --- supervision ---------------------------------------------------------------------
@dataclass(frozen=True)
class QueueFilter:
    """The review queue's filters, carried in the URL from the queue to each
    review page and back (?mentor=&participant=). A value that is not a number
    is kept as 0, which matches nothing: a bad or foreign filter gives an
    empty list, never a wider one."""

    mentor: int | None = None
    participant: int | None = None

    @classmethod
    def from_query(cls, query) -> "QueueFilter":
        def pick(name: str) -> int | None:
            raw = (query.get(name) or "").strip()
            if not raw:
                return None
            return int(raw) if raw.isdigit() and len(raw) < 10 else 0

        return cls(mentor=pick("mentor"), participant=pick("participant"))

    def __bool__(self) -> bool:
        return self.mentor is not None or self.participant is not None

    def querystring(self) -> str:
        """ "?mentor=3&participant=5" (only the set ones), or ""."""
        pairs = [(k, v) for k, v in vars(self).items() if v is not None]
        return "?" + urlencode(pairs) if pairs else ""


# The queue's order: safety flags, then what asks for supervision, then oldest.
QUEUE_ORDER = ("-safety_concern", "-needs_attention", "submitted_at", "pk")


def review_queue_list(
    *, user, filters: QueueFilter = QueueFilter()
) -> QuerySet[InteractionLog]:
    """Submitted logs of the mentors `user` supervises, waiting for review:
    safety flags first, then concerns and requests for supervision, then the
    oldest first. Each log says whether it is routine (`is_routine`: it may be
    marked reviewed in bulk). The filters narrow it to one mentor and/or one
    participant, within what `user` supervises."""
    logs = (
        InteractionLog.objects.visible_to(user)
        .filter(awaiting_review_q(), mentor__supervisor=user)
        .select_related("participant", "mentor__user")
        .annotate(
            needs_attention=attention_rank(),
            is_routine=ExpressionWrapper(routine_q(), output_field=BooleanField()),
        )
        .order_by(*QUEUE_ORDER)
    )
    if filters.mentor is not None:
        logs = logs.filter(mentor_id=filters.mentor)
    if filters.participant is not None:
        logs = logs.filter(participant_id=filters.participant)
    return logs


# What a queue row shows: the log's own columns it reads, no more (a row
# built from all 35 columns and three joined tables cost more than the sort).
QUEUE_ROW_FIELDS = (
    "mentor_id", "participant_id", "status", "version", "contact_date",
    "start_time", "duration_minutes", "outcome", "safety_concern", "concern",
    "discuss_in_supervision", "reflection_concerns", "question_answered_at",
    "is_voided", "submitted_at", "narrative",
)  # fmt: skip


def review_queue_page(
    *,
    user,
    filters: QueueFilter,
    number,
    mentors: list[Mentor],
    participants: list[Participant],
    per_page: int = 50,
) -> Page:
    """One page of `review_queue_list` in one query that sorts the waiting logs
    on the log table alone and reads the row columns of the page's 50 only
    (sorting the wide joined rows cost more than the rest of the page). Their
    mentors and participants are taken from the lists the page shows anyway
    (`review_queue_counts`, `review_queue_participants`); one more query
    fetches any participant not among them (an assignment since removed).
    Without a participant filter the count is the sum of the mentors' counts,
    which count the same logs."""
    ordered = review_queue_list(user=user, filters=filters).values_list("pk", flat=True)
    paginator = Paginator(ordered, per_page)
    if filters.participant is None:
        # The per-mentor counts already hold the total: no second count.
        paginator.count = sum(
            m.waiting for m in mentors if filters.mentor in (None, m.pk)
        )
    page = paginator.get_page(number)
    rows = (
        InteractionLog.objects.filter(pk__in=page.object_list)
        .only(*QUEUE_ROW_FIELDS)
        .annotate(
            needs_attention=attention_rank(),
            is_routine=ExpressionWrapper(routine_q(), output_field=BooleanField()),
        )
        .order_by(*QUEUE_ORDER)
    )
    page.object_list = list(rows)
    by_mentor = {m.pk: m for m in mentors}
    by_participant = {p.pk: p for p in participants}
    missing = {log.participant_id for log in page.object_list} - {None}
    missing -= by_participant.keys()
    if missing:
        by_participant |= Participant.objects.in_bulk(missing)
    for log in page.object_list:
        log.mentor = by_mentor[log.mentor_id]
        log.participant = by_participant.get(log.participant_id)
    return page


def review_queue_next(
    *, user, log: InteractionLog, filters: QueueFilter = QueueFilter()
) -> InteractionLog | None:
    """The log after `log` in the (filtered) review queue, in the queue's own
    order, from the same queryset; when `log` was the last, the first one still
    waiting (logs skipped earlier). `log` itself may have left the queue (just
    reviewed): its place is worked out from its own columns. None when nothing
    else waits. One query, two when it wraps round."""
    queue = review_queue_list(user=user, filters=filters).exclude(pk=log.pk)
    rank = Subquery(
        InteractionLog.objects.filter(pk=log.pk)
        .annotate(rank=attention_rank())
        .values("rank")[:1],
        output_field=IntegerField(),
    )
    same_safety = Q(safety_concern=log.safety_concern)
    after = Q(pk__in=[]) if not log.safety_concern else Q(safety_concern=False)
    after |= same_safety & Q(needs_attention__lt=rank)
    same_rank = same_safety & Q(needs_attention=rank)
    if log.submitted_at is not None:
        after |= same_rank & Q(submitted_at__gt=log.submitted_at)
        after |= same_rank & Q(submitted_at=log.submitted_at, pk__gt=log.pk)
    return queue.filter(after).first() or queue.first()


def review_queue_participants(*, user) -> QuerySet[Participant]:
    """Participants offered in the queue's filter: those of the mentors `user`
    supervises (within the participants `user` may see)."""
    return (
        Participant.objects.visible_to(user)
        .filter(
            pk__in=Assignment.objects.filter(mentor__supervisor=user).values(
                "participant"
            )
        )
        .order_by("study_id")
    )


def review_queue_counts(*, user) -> list[dict[str, Any]]:
    """Logs waiting per supervised mentor (mentors with none included).

    Counted in correlated subqueries over the partial index
    `log_awaiting_review` (only waiting logs are in it), not by joining every
    log the mentors ever wrote and filtering: that grew with the history."""
    awaiting = InteractionLog.objects.filter(
        awaiting_review_q(), mentor=OuterRef("pk")
    ).order_by()

    def count_of(logs) -> Subquery:
        # A bare COUNT (no GROUP BY, so 0 rather than no row): cheaper to
        # build and to plan than the grouped form.
        counted = logs.annotate(n=Func(F("pk"), function="COUNT")).values("n")
        return Subquery(counted, output_field=IntegerField())

    return list(
        Mentor.objects.visible_to(user)
        .filter(supervisor=user)
        .select_related("user")
        .annotate(
            waiting=count_of(awaiting),
            safety=count_of(awaiting.filter(safety_concern=True)),
        )
        .order_by("-waiting", "user__first_name", "user__username")
    )


def participant_recent_logs(
    *, user, log: InteractionLog, limit: int = 5
) -> list[InteractionLog]:
    """The participant's filed logs before this one, newest first, for context."""
    if log.participant_id is None:
        return []
    return list(
        InteractionLog.objects.visible_to(user)
        .filter(participant_id=log.participant_id, is_voided=False)
        .exclude(pk=log.pk)
        .exclude(status=InteractionLog.Status.DRAFT)
        .filter(contact_date__lte=log.contact_date)
        .select_related("mentor__user")
        .order_by("-contact_date", "-pk")[:limit]
    )


def revision_request_list(*, log: InteractionLog) -> list[LogComment]:
    """What the supervisor asked when they returned `log`, with any feedback
    they added since: the top of its edit form (issue 14). Empty unless the
    log is returned. One query; a log's thread is short."""
    if log.status != InteractionLog.Status.RETURNED:
        return []
    said = list(
        log.comments.filter(kind__in=LogComment.FROM_SUPERVISOR)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    returns = [i for i, c in enumerate(said) if c.kind == LogComment.Kind.RETURN]
    return said[returns[-1] :] if returns else []


def log_thread(*, log: InteractionLog) -> list[LogComment]:
    return list(log.comments.select_related("author").order_by("created_at", "pk"))


def unread_feedback_list(*, mentor: Mentor) -> list[LogComment]:
    """Supervisor feedback on the mentor's logs not yet acknowledged. A returned
    log's feedback is left out: My week lists that log once, under the logs to
    change, whose link opens the form with the request at the top (issue 14)."""
    return list(
        LogComment.objects.filter(
            log__mentor=mentor,
            kind__in=LogComment.FROM_SUPERVISOR,
            acknowledged_at__isnull=True,
        )
        .exclude(log__status=InteractionLog.Status.RETURNED)
        .select_related("log__participant", "author")
        .order_by("-created_at", "-pk")
    )

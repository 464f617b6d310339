"""Which reflections a project analyses, and the frozen texts it codes.

Eligible: filed logs (submitted or reviewed; never drafts, returned logs
under revision, or voided logs) at the project's sites, in its cohorts and
dates, about participants with research consent, by mentors who consented to
research use of their reflections, with an answer to the project's question.
`texts_add` copies what is eligible and not yet in the project as a new batch:
the answer with names masked (analysis.masking), the export's keyed
pseudonyms, and the log's attributes. Later edits of a log never move a text
already taken. The counts of each step (the flow diagram's first boxes) are
kept on the project, with how many logs consent left out."""

import datetime as dt
from dataclasses import asdict, dataclass

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from analysis.masking import NameMask
from analysis.models import Project, Text
from exports.pseudonyms import pseudonym_map
from logs_app.models import InteractionLog
from mentors.models import Mentor
from participants.models import Participant

FILED = (InteractionLog.Status.SUBMITTED, InteractionLog.Status.REVIEWED)
BATCH_SIZE = 2000


@dataclass(frozen=True)
class Flow:
    """The first steps of the flow diagram, counted at the last snapshot."""

    logs: int  # filed logs in the project's scope, consent aside
    no_consent: int  # of those, left out for want of consent
    answered: int  # of the rest, with an answer to the question
    added: int  # texts the last snapshot added


def scope_logs(project: Project) -> QuerySet[InteractionLog]:
    """Filed, not voided logs at the project's sites, cohorts and dates."""
    logs = InteractionLog.objects.filter(
        status__in=FILED,
        is_voided=False,
        participant__site__in=project.sites.all(),
    )
    cohort_ids = list(project.cohorts.values_list("pk", flat=True))
    if cohort_ids:
        logs = logs.filter(participant__cohort__in=cohort_ids)
    if project.date_from:
        logs = logs.filter(contact_date__gte=project.date_from)
    if project.date_to:
        logs = logs.filter(contact_date__lte=project.date_to)
    return logs


def consent_q() -> Q:
    return Q(
        participant__has_research_consent=True,
        mentor__reflections_consent_at__isnull=False,
    )


def eligible_logs(project: Project) -> QuerySet[InteractionLog]:
    return (
        scope_logs(project)
        .filter(consent_q())
        .exclude(**{project.field: ""})
        .order_by("contact_date", "pk")
    )


def name_mask(project: Project) -> NameMask:
    """The names of the participants and mentors of the project's sites."""
    sites = project.sites.all()
    participants = Participant.objects.filter(site__in=sites).values_list(
        "preferred_name", flat=True
    )
    mentors = Mentor.objects.filter(sites__in=sites).values_list(
        "user__first_name", "user__last_name"
    )
    return NameMask.build(
        participants=list(participants),
        mentors=[f"{first} {last}" for first, last in mentors],
    )


def texts_add(project: Project, *, now: dt.datetime | None = None) -> Flow:
    """Add every eligible reflection not yet in the project, as one new batch,
    and record the flow counts. Safe to repeat: a log already taken is skipped
    (and the unique constraint holds against a parallel run)."""
    now = now or timezone.now()
    scope = scope_logs(project)
    total = scope.count()
    consented = scope.filter(consent_q())
    answered = consented.exclude(**{project.field: ""}).count()
    taken = Text.objects.filter(project=project).values("log_id")
    new = (
        eligible_logs(project)
        .exclude(pk__in=taken)
        .select_related("participant")
        .prefetch_related("role_functions")
    )
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        batch = (locked.texts.aggregate(n=Max("batch"))["n"] or 0) + 1
        mask, keys = name_mask(project), _Keys()
        added = 0
        rows: list[Text] = []
        for log in new.iterator(chunk_size=BATCH_SIZE):
            rows.append(_text(project, log, mask, batch, keys))
            if len(rows) >= BATCH_SIZE:
                added += _insert(rows)
                rows = []
        added += _insert(rows)
        flow = Flow(
            logs=total,
            no_consent=total - consented.count(),
            answered=answered,
            added=added,
        )
        # Texts removed since for withdrawn consent (analysis.withdrawal) stay
        # counted across batches.
        withdrawn = (locked.flow or {}).get("withdrawn", 0)
        locked.flow = asdict(flow) | ({"withdrawn": withdrawn} if withdrawn else {})
        locked.snapshot_at = now
        locked.save(update_fields=["flow", "snapshot_at"])
    project.flow, project.snapshot_at = locked.flow, now
    return flow


class _Keys:
    """The export's pseudonyms, worked out once per person."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, int], str] = {}

    def __call__(self, kind: str, pk: int) -> str:
        if (kind, pk) not in self.known:
            self.known[kind, pk] = pseudonym_map(kind, [pk])[pk]
        return self.known[kind, pk]


def _text(
    project: Project, log: InteractionLog, mask: NameMask, batch: int, keys: _Keys
) -> Text:
    body, masked = mask.apply(getattr(log, project.field))
    return Text(
        project=project,
        log=log,
        field=project.field,
        body=body,
        masked=masked,
        mentor_key=keys("M", log.mentor_id),
        participant_key=keys("P", log.participant_id),
        site_id=log.participant.site_id,
        cohort_id=log.participant.cohort_id,
        contact_date=log.contact_date,
        contact_mode=log.mode,
        role_functions=sorted(rf.code for rf in log.role_functions.all()),
        batch=batch,
    )


def _insert(rows: list[Text]) -> int:
    if not rows:
        return 0
    return len(Text.objects.bulk_create(rows, ignore_conflicts=True))

"""The ORM row source: row dicts of the scoped logs in log_id order, read in
batches of ids, formatted in Python. Used wherever COPY is not (SQLite, the
workbook, option lists past 63 codes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from exports.options import OptionList
from exports.pseudonyms import pseudonym_map
from logs_app.fields import SCALAR_FIELDS
from logs_app.models import InteractionLog
from mentors.models import Mentor
from participants.models import Participant

# What the columns read: the participant's and mentor's context, the form's
# fields from the log's field catalogue (the participant as its id) and what
# Peerlog records about the log itself.
PY_FIELDS = [
    "pk",
    "participant_id",
    "mentor_id",
    "participant__site__code",
    "participant__site__time_zone",
    "participant__cohort__name",
    "participant__status",
    "participant__study_id",
    "participant__preferred_name",
    "mentor__reflections_consent_at",
    *(name for name in SCALAR_FIELDS if name != "participant"),
    "status",
    "is_voided",
    "occurred_at",
    "submitted_at",
    "reviewed_at",
    "void_reason",
]
BATCH = 2000


def _id_batches(logs: QuerySet[InteractionLog], size: int) -> Iterator[list[int]]:
    """The ids of `logs` in ascending order, `size` at a time (keyset paging)."""
    last = 0
    while True:
        ids = list(
            logs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def python_rows(
    logs: QuerySet[InteractionLog], sets: list[OptionList]
) -> Iterator[dict[str, Any]]:
    """Row dicts for `logs` in log_id order, options as sorted code lists:
    1 + 3 + 1 queries per batch of ids, whatever the number of rows."""
    participants = pseudonym_map("P", Participant.objects.values_list("pk", flat=True))
    mentors = pseudonym_map("M", Mentor.objects.values_list("pk", flat=True))
    for ids in _id_batches(logs, BATCH):
        for row in _batch_rows(ids, sets):
            row["participant_code"] = participants[row["participant_id"]]
            row["mentor_code"] = mentors[row["mentor_id"]]
            yield row


def rows_for_ids(
    ids: list[int] | QuerySet, sets: list[OptionList]
) -> list[dict[str, Any]]:
    """The row dicts `python_rows` gives for these logs (one page of the API,
    issue 16: `ids` may be a subquery), with the pseudonyms of only the people
    in them: 1 + 3 queries."""
    rows = _batch_rows(ids, sets)
    participants = pseudonym_map("P", {row["participant_id"] for row in rows})
    mentors = pseudonym_map("M", {row["mentor_id"] for row in rows})
    for row in rows:
        row["participant_code"] = participants[row["participant_id"]]
        row["mentor_code"] = mentors[row["mentor_id"]]
    return rows


def _batch_rows(
    ids: list[int] | QuerySet, sets: list[OptionList]
) -> list[dict[str, Any]]:
    """Row dicts of the logs `ids` in log_id order, without pseudonyms."""
    chosen: dict[str, dict[int, list[str]]] = {}
    for options in sets:
        code_of = {pk: code for pk, code, *_rest in options.options}
        picked: dict[int, list[str]] = {}
        for log_id, option_id in options.through.objects.filter(
            interactionlog_id__in=ids
        ).values_list("interactionlog_id", options.through_fk):
            picked.setdefault(log_id, []).append(code_of[option_id])
        chosen[options.key] = picked
    rows = list(
        InteractionLog.objects.filter(pk__in=ids).order_by("pk").values(*PY_FIELDS)
    )
    for row in rows:
        for options in sets:
            row[f"{options.key}_codes"] = sorted(chosen[options.key].get(row["pk"], ()))
    return rows

"""Disagreements, their settlement and the final code set (issue 15).

The rules, at the text level (a code applies to a text when a coder applied
it anywhere in it, to a passage or to the whole):
- A text counts once it is *finished*: included in the analysis, and every
  coding member of the project has marked it finished.
- A *disagreement* is a (finished text, code) that some coders applied and
  some did not. A code nobody applied is no disagreement.
- The *final code set* of a finished text: the codes every coder applied,
  plus the codes an adjudicator settled as "applies", minus those settled as
  "does not apply". The current (not superseded) decision wins either way.

All of it is one set of SQL definitions (`_WITH`), so a project of 100,000
texts is aggregated by the database, never in per-text loops. `final_codes`
streams the final sets for exports; `final_code_counts` counts them for the
theme summary; `disagreement_list` lists the disagreements a page at a time."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from analysis.codebook import current_version
from analysis.models import (
    Code,
    CoderText,
    Coding,
    Consensus,
    Member,
    Project,
    Text,
)
from audit.services import audit_record


def _with() -> str:
    t, ct, m = Text._meta.db_table, CoderText._meta.db_table, Member._meta.db_table
    c, s = Coding._meta.db_table, Consensus._meta.db_table
    return f"""WITH
coders AS (SELECT user_id FROM {m} WHERE project_id = %s AND codes = %s),
finished AS (
  SELECT t.id, t.site_id, t.cohort_id FROM {t} t
  JOIN {ct} ct ON ct.text_id = t.id
  WHERE t.project_id = %s AND t.screening = %s AND ct.finished_at IS NOT NULL
    AND ct.coder_id IN (SELECT user_id FROM coders)
  GROUP BY t.id, t.site_id, t.cohort_id
  HAVING COUNT(*) = (SELECT COUNT(*) FROM coders)
),
applied AS (
  SELECT c.text_id, c.code_id, COUNT(DISTINCT c.coder_id) AS n
  FROM {c} c JOIN finished f ON f.id = c.text_id
  WHERE c.coder_id IN (SELECT user_id FROM coders)
  GROUP BY c.text_id, c.code_id
),
settled AS (
  SELECT s.text_id, s.code_id, s.applies FROM {s} s
  JOIN finished f ON f.id = s.text_id
  WHERE s.superseded_at IS NULL
),
final AS (
  SELECT a.text_id, a.code_id FROM applied a
  WHERE a.n = (SELECT COUNT(*) FROM coders) AND NOT EXISTS (
    SELECT 1 FROM settled s
    WHERE s.text_id = a.text_id AND s.code_id = a.code_id AND s.applies = %s)
  UNION
  SELECT text_id, code_id FROM settled WHERE applies = %s
)
"""


def _params(project: Project) -> list:
    return [project.pk, True, project.pk, Text.Screening.INCLUDED, False, True]


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- reads ---------------------------------------------------------------------------
def finished_text_count(project: Project) -> int:
    return _rows(_with() + "SELECT COUNT(*) FROM finished", _params(project))[0][0]


def finished_ids(project: Project) -> RawSQL:
    """The finished texts' ids as a subquery, for `text_id__in=`."""
    return RawSQL(_with() + "SELECT id FROM finished", _params(project))


def text_is_finished(project: Project, text_id: int) -> bool:
    """Every coder finished this included text (so blinding no longer applies)."""
    sql = _with() + "SELECT 1 FROM finished WHERE id = %s"
    return bool(_rows(sql, [*_params(project), text_id]))


def final_codes(project: Project, chunk: int = 2000) -> Iterator[tuple[int, set[int]]]:
    """(text id, its final code ids) for every finished text, by text id,
    streamed from a server-side cursor where the database has one, so memory
    stays flat however many texts there are."""
    sql = (
        _with()
        + "SELECT f.id, fc.code_id FROM finished f"
        + " LEFT JOIN final fc ON fc.text_id = f.id ORDER BY f.id, fc.code_id"
    )
    current, codes = None, set()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, _params(project))
        while rows := cursor.fetchmany(chunk):
            for text_id, code_id in rows:
                if text_id != current:
                    if current is not None:
                        yield current, codes
                    current, codes = text_id, set()
                if code_id is not None:
                    codes.add(code_id)
    if current is not None:
        yield current, codes


def final_code_counts(project: Project) -> list[tuple[int, int, int | None, int]]:
    """(code id, site id, cohort id, texts) of the final code set: how many
    finished texts of each site and cohort have each code. One query."""
    sql = (
        _with()
        + "SELECT fc.code_id, f.site_id, f.cohort_id, COUNT(*) FROM final fc"
        + " JOIN finished f ON f.id = fc.text_id"
        + " GROUP BY fc.code_id, f.site_id, f.cohort_id"
    )
    return _rows(sql, _params(project))


@dataclass(frozen=True)
class Disagreement:
    text_id: int
    code_id: int
    applied_by: int  # how many coders applied the code
    settled: bool | None  # the current decision: applies, does not, or none


def _disagreement_where(code_id: int | None, open_only: bool) -> tuple[str, list]:
    where, params = " WHERE a.n < (SELECT COUNT(*) FROM coders)", []
    if code_id is not None:
        where += " AND a.code_id = %s"
        params.append(code_id)
    if open_only:
        where += " AND s.text_id IS NULL"
    return where, params


_DISAGREEMENTS = (
    " FROM applied a LEFT JOIN settled s"
    " ON s.text_id = a.text_id AND s.code_id = a.code_id"
)


def disagreement_count(
    project: Project, *, code_id: int | None = None, open_only: bool = False
) -> int:
    """How many disagreements (of one code; only unsettled ones): one query."""
    where, extra = _disagreement_where(code_id, open_only)
    sql = _with() + "SELECT COUNT(*)" + _DISAGREEMENTS + where
    return _rows(sql, [*_params(project), *extra])[0][0]


def disagreement_list(
    project: Project,
    *,
    code_id: int | None = None,
    open_only: bool = False,
    offset: int = 0,
    limit: int = 50,
) -> list[Disagreement]:
    """One page of disagreements, by text then code: one query."""
    where, extra = _disagreement_where(code_id, open_only)
    sql = (
        _with()
        + "SELECT a.text_id, a.code_id, a.n, s.applies"
        + _DISAGREEMENTS
        + where
        + " ORDER BY a.text_id, a.code_id LIMIT %s OFFSET %s"
    )
    rows = _rows(sql, [*_params(project), *extra, limit, offset])
    return [
        Disagreement(t, c, n, None if applies is None else bool(applies))
        for t, c, n, applies in rows
    ]


# --- writes --------------------------------------------------------------------------


def consensus_settle(
    *,
    actor,
    project: Project,
    text: Text,
    code: Code,
    applies: bool,
    note: str,
    now: dt.datetime | None = None,
) -> Consensus:
    """Decide whether `code` applies to `text`, with a note. The current
    decision (if any) is superseded and kept as history. Only for texts every
    coder finished; the text's row lock makes two adjudicators queue."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why, for the record.")})
    if text.project_id != project.pk or code.project_id != project.pk:
        raise ValidationError(_("The text and the code must be of this project."))
    now = now or timezone.now()
    with transaction.atomic():
        Text.objects.select_for_update().only("pk").get(pk=text.pk)
        if not text_is_finished(project, text.pk):
            raise ValidationError(_("Not every coder has finished this text."))
        superseded = list(
            Consensus.objects.filter(
                text=text, code=code, superseded_at__isnull=True
            ).values_list("pk", flat=True)
        )
        Consensus.objects.filter(pk__in=superseded).update(superseded_at=now)
        decision = Consensus.objects.create(
            text=text,
            code=code,
            applies=applies,
            note=note,
            decided_by=actor,
            decided_at=now,
            codebook_version=current_version(project),
        )
        audit_record(
            actor=actor,
            action="analysis.consensus.settle",
            obj=text,
            details={
                "project": project.pk,
                "code": code.pk,
                "applies": applies,
                "supersedes": superseded,
            },
        )
    return decision

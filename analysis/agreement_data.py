"""Agreement from the database: the count tables analysis.agreement needs,
aggregated in SQL so that 100,000 texts and 50 codes come back as a few rows
per code, and the passages of one code for analysis.agreement_passages.

The units are the project's included texts; a coder counts for a text once
they have finished it (a coder who has not is missing data, not "did not
apply"). A code applies to a text for a coder when they put it on any passage
or on the whole answer. With exactly two coders the tables are 2x2 (Cohen's
kappa needs to know who applied what); with more, counts by (m coders who
finished, k who applied).

With blind coding on, only texts every coder of the project has finished
count (analysis.coding.others_visible): a figure over a text another coder is
still coding would tell the others something of their codes."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection

from analysis.agreement_tables import PairTable, Table, UnitCounts
from analysis.models import Project, Text

_FINISHED = """
    SELECT ct.text_id, ct.coder_id
    FROM analysis_codertext ct
    JOIN analysis_text t ON t.id = ct.text_id
    WHERE t.project_id = %s AND t.screening = %s AND ct.finished_at IS NOT NULL
      AND (%s OR ct.text_id IN (
        SELECT done.text_id FROM analysis_codertext done
        WHERE done.finished_at IS NOT NULL AND done.coder_id IN (
            SELECT user_id FROM analysis_member WHERE project_id = %s AND codes)
        GROUP BY done.text_id
        HAVING COUNT(*) = (
            SELECT COUNT(*) FROM analysis_member WHERE project_id = %s AND codes)
      ))
"""

_PER_TEXT = f"""
    WITH fin AS ({_FINISHED})
    SELECT m, COUNT(*) FROM (SELECT text_id, COUNT(*) AS m FROM fin GROUP BY text_id) x
    GROUP BY m
"""

_CODERS = f"WITH fin AS ({_FINISHED}) SELECT DISTINCT coder_id FROM fin"

# Per code, texts by (m finishing coders, k who applied it), and for k = 1
# which coder that was (the 2x2 table's off-diagonal cells).
_APPLIED = f"""
    WITH fin AS ({_FINISHED}),
    per_text AS (SELECT text_id, COUNT(*) AS m FROM fin GROUP BY text_id),
    applied AS (
        SELECT DISTINCT c.text_id, c.code_id, c.coder_id
        FROM analysis_coding c
        JOIN fin ON fin.text_id = c.text_id AND fin.coder_id = c.coder_id
    ),
    k AS (
        SELECT text_id, code_id, COUNT(*) AS k, MIN(coder_id) AS who
        FROM applied GROUP BY text_id, code_id
    )
    SELECT k.code_id, per_text.m, k.k,
           CASE WHEN k.k = 1 THEN k.who ELSE NULL END AS who, COUNT(*)
    FROM k JOIN per_text ON per_text.text_id = k.text_id
    GROUP BY k.code_id, per_text.m, k.k, CASE WHEN k.k = 1 THEN k.who ELSE NULL END
"""

_PASSAGES = f"""
    WITH fin AS ({_FINISHED})
    SELECT c.text_id, c.coder_id, c.start, c."end"
    FROM analysis_coding c
    JOIN fin ON fin.text_id = c.text_id AND fin.coder_id = c.coder_id
    WHERE c.code_id = %s AND c.start IS NOT NULL
"""


@dataclass(frozen=True)
class AgreementData:
    """What the statistics need, read in three queries."""

    coders: list[int]
    tables: dict[int, Table]  # code id → its table
    disagreements: dict[int, int]  # code id → texts where finishing coders differ
    units: int  # texts finished by at least one coder


def _base(project: Project) -> list:
    """The parameters of `_FINISHED`."""
    return [
        project.pk,
        Text.Screening.INCLUDED,
        not project.blinded,
        project.pk,
        project.pk,
    ]


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def agreement_data(project: Project, code_ids: list[int]) -> AgreementData:
    """The count tables of `code_ids` (codes nobody applied get tables too:
    every finishing coder agreed they do not apply)."""
    base = _base(project)
    finished = dict(_rows(_PER_TEXT, base))
    coders = sorted(coder for (coder,) in _rows(_CODERS, base))
    applied: dict[int, list[tuple[int, int, int | None, int]]] = defaultdict(list)
    for code, m, k, who, n in _rows(_APPLIED, base):
        applied[code].append((m, k, who, n))
    disagreements = {
        code: sum(n for m, k, _who, n in rows if 0 < k < m)
        for code, rows in applied.items()
    }
    if len(coders) == 2:
        a, b = coders
        tables: dict[int, Table] = {
            code: _pair(applied.get(code, []), finished, a, b) for code in code_ids
        }
    else:
        tables = {
            code: UnitCounts.from_applied(
                finished=finished,
                applied=[(m, k, n) for m, k, _who, n in applied.get(code, [])],
            )
            for code in code_ids
        }
    return AgreementData(
        coders=coders,
        tables=tables,
        disagreements={code: disagreements.get(code, 0) for code in code_ids},
        units=sum(finished.values()),
    )


def _pair(rows, finished: dict[int, int], a: int, b: int) -> PairTable:
    counts = {"both": 0, "only_a": 0, "only_b": 0}
    for m, k, who, n in rows:
        if m != 2:
            continue
        if k == 2:
            counts["both"] += n
        elif who == a:
            counts["only_a"] += n
        elif who == b:
            counts["only_b"] += n
    return PairTable.from_applied(
        shared=finished.get(2, 0), unpaired=finished.get(1, 0), **counts
    )


def code_passages(
    project: Project, code_id: int
) -> tuple[dict[int, dict[int, list[tuple[int, int]]]], dict[int, set[int]]]:
    """One code's passages by text and coder, and who finished each text."""
    base = _base(project)
    finished: dict[int, set[int]] = defaultdict(set)
    for text, coder in _rows(_FINISHED, base):
        finished[text].add(coder)
    passages: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for text, coder, start, end in _rows(_PASSAGES, [*base, code_id]):
        passages[text][coder].append((start, end))
    return passages, finished

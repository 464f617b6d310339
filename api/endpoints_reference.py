"""The read API's reference endpoints (issue 16): the form's option lists, the
export's codebook at the token's level, participants' measures over time by
pseudonym, and the final code set of a reflection analysis project.

Every one reads only what the token reaches (its sites within its owner's
current export sites, api.tokens.token_site_ids) under the export's rules
(exports.filters: consent, no drafts, voided logs left out), and writes one
audit row per request (api.audit). Query parameters are read as text and
checked here, so a bad value is a 400 naming the parameter, never a 500."""

import datetime as dt
from contextlib import closing
from typing import Any

from django.db.models import Q
from ninja import Schema
from ninja.errors import HttpError

from analysis.consensus import final_codes
from analysis.models import Code, Text
from analysis.permissions import projects_visible_to
from api.audit import api_audit
from api.tokens import token_site_ids
from api.v1 import api
from exports.codebook import allowed_text, datapackage_descriptor
from exports.columns import wide_columns
from exports.filters import ExportFilters, exported_logs
from exports.options import option_sets
from exports.pseudonyms import pseudonym
from logs_app.models import InteractionLog

MAX_LIMIT = 500
DEFAULT_LIMIT = 100
MEASURES = ("co_ppm", "cigarettes_per_day", "stage_of_change", "quit_date")


# --- parameters --------------------------------------------------------------------
def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise HttpError(400, f"limit: a whole number from 1 to {MAX_LIMIT}.")
    return int(value)


def _cursor(value: str | None) -> int:
    """The `next` link's cursor: the last row's id (0 before the first page)."""
    if value is None:
        return 0
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise HttpError(400, "cursor: use the `next` link of the previous page.")
    return int(value)


def _day(name: str, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        # fromisoformat also takes 20261119 and 2026-W47-4: only YYYY-MM-DD here.
        if len(value) == 10 and value[4] == "-":
            return dt.date.fromisoformat(value)
    except ValueError:
        pass
    raise HttpError(400, f"{name}: a date as YYYY-MM-DD.")


def _next_url(request, last: int) -> str:
    query = request.GET.copy()
    query["cursor"] = str(last)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


# --- option lists and codebook -----------------------------------------------------
class OptionOut(Schema):
    code: str
    label: str
    position: int
    active: bool


class OptionListOut(Schema):
    list: str
    field: str
    question: str
    options: list[OptionOut]


@api.get("/options", response=list[OptionListOut], tags=["reference"])
def options(request):
    """The form's option lists (techniques, topics, role functions), retired
    options included (`active` false): the codes the logs' option columns use."""
    rows = [
        {
            "list": options.key,
            "field": options.field,
            "question": str(options.question),
            "options": [
                {"code": code, "label": label, "position": position, "active": active}
                for _pk, code, label, position, active in options.options
            ],
        }
        for options in option_sets()
    ]
    api_audit(request, rows=sum(len(r["options"]) for r in rows))
    return rows


class ColumnOut(Schema):
    name: str
    type: str
    level: str
    meaning: str
    source: str
    allowed: str


class CodebookOut(Schema):
    level: str
    columns: list[ColumnOut]
    datapackage: dict[str, Any]


@api.get("/codebook", response=CodebookOut, tags=["reference"])
def codebook(request):
    """The export's codebook at this token's level: every column of a log row
    (its name, type, the level that unlocks it, meaning, form question and
    allowed values) and the Frictionless data package descriptor."""
    level = request.auth.level
    sets = option_sets()
    columns = wide_columns(level, sets)
    body = {
        "level": level,
        "columns": [
            {
                "name": column.name,
                "type": column.type,
                "level": column.level,
                "meaning": str(column.meaning),
                "source": str(column.source),
                "allowed": allowed_text(column),
            }
            for column in columns
        ],
        "datapackage": datapackage_descriptor(columns, sets),
    }
    api_audit(request, rows=len(columns), filters={"level": level})
    return body


# --- participants' measures --------------------------------------------------------
class MeasureOut(Schema):
    log_id: int
    participant_code: str
    site_code: str
    contact_date: dt.date
    co_ppm: int | None
    cigarettes_per_day: int | None
    stage_of_change: str | None
    quit_date: dt.date | None


class MeasuresPage(Schema):
    data: list[MeasureOut]
    next: str | None
    count: int


HAS_A_MEASURE = (
    Q(co_ppm__isnull=False)
    | Q(cigarettes_per_day__isnull=False)
    | ~Q(stage_of_change="")
    | Q(quit_date__isnull=False)
)


@api.get("/participants/measures", response=MeasuresPage, tags=["participants"])
def participant_measures(
    request,
    since: str | None = None,
    until: str | None = None,
    cursor: str | None = None,
    limit: str | None = None,
):
    """Participants' measures over time by pseudonym: one row per exported log
    with at least one of CO (ppm), cigarettes per day, stage of change and quit
    date, in log_id order (join to /logs on log_id). Cursor-paginated: follow
    `next` until it is null; `limit` 1–500 (100 by default); `since`/`until`
    bound the contact date (YYYY-MM-DD, inclusive)."""
    first, last = _day("since", since), _day("until", until)
    if first and last and first > last:
        raise HttpError(400, "since: must not be after until.")
    size, after = _limit(limit), _cursor(cursor)
    site_ids = token_site_ids(request.auth)
    filters = ExportFilters(since=first, until=last, sites=tuple(site_ids))
    # No sites left means nothing: an empty filter would mean "every site".
    logs = (
        exported_logs(request.auth.user, filters)
        if site_ids
        else InteractionLog.objects.none()
    )
    rows = list(
        logs.filter(HAS_A_MEASURE, pk__gt=after)
        .order_by("pk")
        .values(
            "pk", "participant_id", "participant__site__code", "contact_date", *MEASURES
        )[: size + 1]
    )
    more = len(rows) > size
    data = [
        {
            "log_id": row["pk"],
            "participant_code": pseudonym("P", row["participant_id"]),
            "site_code": row["participant__site__code"],
            "contact_date": row["contact_date"],
            "co_ppm": row["co_ppm"],
            "cigarettes_per_day": row["cigarettes_per_day"],
            "stage_of_change": row["stage_of_change"] or None,
            "quit_date": row["quit_date"],
        }
        for row in rows[:size]
    ]
    asked = {"since": since, "until": until, "cursor": cursor, "limit": size}
    api_audit(request, rows=len(data), filters={**filters.to_json(), **asked})
    return {
        "data": data,
        "next": _next_url(request, data[-1]["log_id"]) if more else None,
        "count": len(data),
    }


# --- final codes of a reflection analysis ------------------------------------------
class FinalTextOut(Schema):
    text_guid: str
    mentor_key: str
    participant_key: str
    site_code: str
    contact_date: dt.date
    codes: list[str]


class CodeOut(Schema):
    guid: str
    name: str
    active: bool


class FinalCodesPage(Schema):
    project: str
    codes: list[CodeOut]
    data: list[FinalTextOut]
    next: str | None
    count: int


def _project_for(token, project_id: int, site_ids: list[int]):
    """The project when the token's owner sees it and every one of its sites
    is among the token's; else 404 (a project's existence is not revealed)."""
    project = projects_visible_to(token.user).filter(pk=project_id).first()
    if project is None or not set(project.sites.values_list("pk", flat=True)) <= set(
        site_ids
    ):
        raise HttpError(404, "Not found.")
    return project


def _final_page(project, after: int, size: int) -> list[tuple[int, set[int]]]:
    """Up to `size + 1` finished texts after text id `after`, from the
    project's one final-code query (closed as soon as the page is full)."""
    page = []
    with closing(final_codes(project)) as stream:
        for text_id, code_ids in stream:
            if text_id <= after:
                continue
            page.append((text_id, code_ids))
            if len(page) > size:
                break
    return page


@api.get(
    "/analysis/{project_id}/final-codes", response=FinalCodesPage, tags=["analysis"]
)
def analysis_final_codes(
    request, project_id: int, cursor: str | None = None, limit: str | None = None
):
    """The final code set of a reflection analysis project: per finished text,
    its GUID, the mentor's and participant's pseudonyms (the export's), its
    site and contact date, and the names of its final codes. Only projects the
    token's owner works on, at sites all within the token's; texts whose
    participant's research consent or mentor's reflection consent has since
    been withdrawn are left out. Cursor-paginated like /logs (a page may hold
    fewer than `limit` texts; follow `next` until it is null)."""
    size, after = _limit(limit), _cursor(cursor)
    site_ids = token_site_ids(request.auth)
    project = _project_for(request.auth, project_id, site_ids)
    codes = list(
        Code.objects.filter(project=project).values("pk", "guid", "name", "active")
    )
    name_of = {code["pk"]: code["name"] for code in codes}
    page = _final_page(project, after, size)
    more = len(page) > size
    page = page[:size]
    texts = {
        text["pk"]: text
        for text in Text.objects.filter(
            pk__in=[text_id for text_id, _codes in page], site__in=site_ids
        )
        .exclude(
            Q(log__participant__has_research_consent=False)
            | Q(log__isnull=False, log__mentor__reflections_consent_at__isnull=True)
        )
        .values(
            "pk",
            "guid",
            "mentor_key",
            "participant_key",
            "contact_date",
            "site__code",
        )
    }
    data = [
        {
            "text_guid": str(texts[text_id]["guid"]),
            "mentor_key": texts[text_id]["mentor_key"],
            "participant_key": texts[text_id]["participant_key"],
            "site_code": texts[text_id]["site__code"],
            "contact_date": texts[text_id]["contact_date"],
            "codes": sorted(name_of[pk] for pk in code_ids),
        }
        for text_id, code_ids in page
        if text_id in texts
    ]
    api_audit(
        request,
        rows=len(data),
        filters={"project": project.pk, "cursor": cursor, "limit": size},
    )
    return {
        "project": str(project.guid),
        "codes": [
            {"guid": str(c["guid"]), "name": c["name"], "active": c["active"]}
            for c in codes
        ],
        "data": data,
        "next": _next_url(request, page[-1][0]) if more else None,
        "count": len(data),
    }

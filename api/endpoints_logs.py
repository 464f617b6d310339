"""The logs (issue 16): one JSON page at a time with a cursor, or the whole
filtered set streamed as CSV or NDJSON. The rows are the export's rows for
the same filters and level: the export's filters (exports.filters), scope
check (exports.rights), columns, row sources and pseudonyms; consent
filtering, reflections only with the mentor's consent, drafts never.

Formula neutralising (a leading ' on text a spreadsheet could run) is for
spreadsheet formats only: the CSV has it, byte for byte as the export's CSV;
JSON and NDJSON give the text as typed. In JSON an empty cell is null,
booleans are true/false, dates, times and date-times are ISO 8601 strings.

Every request is audited (api.audit): refusals with their reason, a page with
its row count, a full pull with the rows and SHA-256 of what was sent, written
when the stream ends, also when the client goes away mid-stream."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from ninja import Field, Query, Schema
from ninja.errors import HttpError

from api.audit import api_audit
from api.params import LogsQuery, ParamError, cursor_make, cursor_read, logs_query
from api.tokens import token_site_ids
from api.v1 import api
from audit.services import audit_record
from exports.filters import exported_logs
from exports.options import option_sets
from exports.rights import ExportRefused, export_check, level_allows
from exports.rows_json import json_objects, read_page
from exports.rows_orm import python_rows
from exports.writers.base import Counter
from exports.writers.tabular import wide_csv_blocks
from logs_app.models import InteractionLog
from participants.models import Cohort


# --- what the endpoints take and give (for the OpenAPI schema) ---------------------
class LogsFilters(Schema):
    since: str | None = Field(None, description="Contact date from (YYYY-MM-DD).")
    until: str | None = Field(None, description="Contact date until (YYYY-MM-DD).")
    site: list[str] = Field(
        [], description="Site id, repeatable; within the token's sites (default: all)."
    )
    cohort: list[str] = Field([], description="Cohort id, repeatable.")
    mentor: list[str] = Field([], description="Mentor id, repeatable.")
    outcome: list[str] = Field(
        [], description="met, no_answer, cancelled or no_show; repeatable."
    )
    status: list[str] = Field(
        [], description="submitted, returned or reviewed; repeatable."
    )
    include_voided: str | None = Field(
        None, description="true: voided logs too (marked is_voided = 1)."
    )
    level: str | None = Field(
        None, description="coded, text or full; at most the token's (its default)."
    )
    updated_since: str | None = Field(
        None,
        description="ISO 8601 date-time with offset: only logs changed since, "
        "voided ones included and marked.",
    )


class LogsPageParams(LogsFilters):
    cursor: str | None = Field(None, description="The `next` link's cursor.")
    limit: str | None = Field(None, description="Rows per page, 1 to 500 (500).")


class LogsPage(Schema):
    data: list[dict[str, Any]] = Field(
        description="The export's rows: one object per log, the export's columns."
    )
    next: str | None = Field(description="The next page's URL; null on the last.")
    count: int = Field(description="Rows in this page.")


class Refusal(Schema):
    detail: str


REFUSALS = {400: Refusal, 401: Refusal, 403: Refusal}


# --- scope -------------------------------------------------------------------------
@dataclass(frozen=True)
class Pull:
    query: LogsQuery
    level: str
    logs: QuerySet[InteractionLog]

    @property
    def selection(self) -> dict:
        return self.query.selection(self.level)


def _refuse(request, status: int, message: str, details: dict) -> NoReturn:
    """Audit a refused request, then answer it with `status` and `message`."""
    token = request.auth
    audit_record(
        request=request,
        actor=token.user,
        action="api.request",
        outcome=str(status),
        obj=token,
        details={
            "token": token.prefix,
            "token_name": token.name,
            "endpoint": request.path,
            "rows": 0,
            "reason": message,
            **details,
        },
    )
    raise HttpError(status, message)


def _pull(request, *, paged: bool) -> Pull:
    """The request's parameters, checked against the token's level and sites
    and the owner's export right as they are now (AZ-13): a 400 or a 403,
    audited, or the logs to send."""
    token = request.auth
    try:
        query = logs_query(request.GET, paged=paged)
    except ParamError as error:
        _refuse(request, 400, str(error), {"parameter": error.name})
    level = query.level or token.level
    asked = query.selection(level)
    if not level_allows(token.level, level):
        _refuse(request, 403, f"level: above this token's ({token.level})", asked)
    reach = token_site_ids(token)
    if not reach:
        _refuse(request, 403, "site: this token reaches no site now", asked)
    outside = sorted(set(query.filters.sites) - set(reach))
    if outside:
        _refuse(request, 403, f"site: {outside[0]} is outside this token", asked)
    filters = replace(query.filters, sites=query.filters.sites or tuple(reach))
    query = replace(query, filters=filters)
    if filters.cohorts and Cohort.objects.filter(
        pk__in=filters.cohorts, site__in=reach
    ).count() != len(filters.cohorts):
        _refuse(request, 403, "cohort: outside this token's sites", asked)
    try:
        export_check(
            user=token.user, level=level, filters=filters, granted=token.owner_level
        )
    except ExportRefused as refused:
        # Every refusal names its parameter ("name: why"), these too: a
        # mentor id of someone the owner cannot see said only "a mentor
        # outside the user's scope" (found by the query fuzz on PostgreSQL).
        text = str(refused)
        named = next(
            (n for n in ("level", "mentor", "cohort", "site") if n in text), "level"
        )
        _refuse(request, 403, f"{named}: {text}", asked)
    logs = exported_logs(token.user, filters)
    if query.updated_since is not None:
        logs = logs.filter(updated_at__gte=query.updated_since)
    return Pull(query=query, level=level, logs=logs)


# --- the endpoints -----------------------------------------------------------------
@api.get(
    "/logs",
    response={200: LogsPage, **REFUSALS},
    tags=["logs"],
    url_name="logs",
)
def logs(request, params: Query[LogsPageParams]):
    """One page of logs in log_id order: the export's rows for the same
    filters and level. Follow `next` until it is null."""
    pull = _pull(request, paged=True)
    try:
        after = cursor_read(request.GET.get("cursor"), pull.selection)
    except ParamError as error:
        _refuse(request, 400, str(error), {"parameter": error.name})
    texts, last = read_page(
        pull.logs,
        after=after,
        limit=pull.query.limit,
        level=pull.level,
        sets=option_sets(),
    )
    following = None
    if last is not None:
        query = request.GET.copy()
        query["cursor"] = cursor_make(last, pull.selection)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    api_audit(request, rows=len(texts), filters=pull.selection)
    # The objects are JSON already (PostgreSQL builds them): joined, not parsed.
    body = (
        f'{{"data":[{",".join(texts)}],'
        f'"next":{json.dumps(following)},"count":{len(texts)}}}'
    )
    return HttpResponse(body.encode(), content_type="application/json")


FULL_PULL = {
    200: {
        "description": "The whole filtered set, streamed.",
        "content": {"text/csv": {}, "application/x-ndjson": {}},
    }
}


@api.get(
    "/logs.csv",
    response={200: None, **REFUSALS},
    tags=["logs"],
    url_name="logs_csv",
    openapi_extra={"responses": FULL_PULL},
)
def logs_csv(request, params: Query[LogsFilters]):
    """Every log of the filtered set as the export's CSV (the same bytes as
    the export with these filters and level), streamed."""
    pull = _pull(request, paged=False)
    counter = Counter(None)
    blocks = wide_csv_blocks(
        logs=pull.logs,
        level=pull.level,
        sets=option_sets(),
        counter=counter,
        participants=set(),
    )
    return _stream(request, pull, blocks, "text/csv; charset=utf-8", "csv")


@api.get(
    "/logs.ndjson",
    response={200: None, **REFUSALS},
    tags=["logs"],
    url_name="logs_ndjson",
    openapi_extra={"responses": FULL_PULL},
)
def logs_ndjson(request, params: Query[LogsFilters]):
    """Every log of the filtered set, one JSON object a line (the JSON page's
    rows), streamed."""
    pull = _pull(request, paged=False)
    sets = option_sets()
    objects = json_objects(python_rows(pull.logs, sets), pull.level, sets)
    return _stream(request, pull, _lines(objects), "application/x-ndjson", "ndjson")


def _lines(objects: Iterator[dict[str, Any]]) -> Iterator[tuple[bytes, int]]:
    """NDJSON in blocks of about 64 KB, with the rows in each."""
    block: list[str] = []
    size = 0
    for item in objects:
        line = json.dumps(item, ensure_ascii=False) + "\n"
        block.append(line)
        size += len(line)
        if size > 65_536:
            yield "".join(block).encode(), len(block)
            block.clear()
            size = 0
    if block:
        yield "".join(block).encode(), len(block)


def _stream(request, pull: Pull, blocks, content_type: str, extension: str):
    def finished(rows: int, sha256: str, size: int, complete: bool) -> None:
        if complete:
            api_audit(request, rows=rows, filters=pull.selection, sha256=sha256)
            return
        token = request.auth
        audit_record(
            request=request,
            actor=token.user,
            action="api.request",
            outcome="aborted",
            obj=token,
            details={
                "token": token.prefix,
                "token_name": token.name,
                "endpoint": request.path,
                "filters": pull.selection,
                "rows": rows,
                "sha256": sha256,
                "bytes": size,
            },
        )

    response = StreamingHttpResponse(
        audited_stream(blocks, finished), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="peerlog-logs.{extension}"'
    return response


def audited_stream(
    blocks: Iterator[tuple[bytes, int]],
    finished: Callable[[int, str, int, bool], None],
) -> Iterator[bytes]:
    """Pass `blocks` on, counting rows and hashing bytes as the server takes
    them (a block counts once the server asks for the next, i.e. has written
    it), and call `finished(rows, sha256, bytes, complete)` when the stream
    ends: complete, or cut short (the client went away and the server closed
    the stream, or reading failed), with what was sent until then."""
    sha = hashlib.sha256()
    rows = size = 0
    complete = False
    try:
        for block, count in blocks:
            yield block
            sha.update(block)
            rows += count
            size += len(block)
        complete = True
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()  # ends a COPY in progress before the audit row is written
        finished(rows, sha.hexdigest(), size, complete)

"""The research export engine: who may export what, which logs, which columns,
and the writers for every format (CSV, long CSV, XLSX, data package).

Two row sources produce the same bytes:
- on PostgreSQL, the database builds the CSV itself (`COPY (SELECT ...) TO
  STDOUT`, options aggregated in SQL, formula neutralisation in SQL) and Python
  only passes the rows through, turning each row's LF into CRLF (RFC 4180);
- anywhere else (SQLite, the embedded default), an ORM path reads the same
  fields in batches of ids and formats them in Python.
Both start from `InteractionLog.objects.visible_to(user)`: one definition of scope.

Rules every format follows (the codebook says them too):
- pseudonyms, not identities: participant and mentor codes are keyed HMACs
  (EXP-4), stable for one secret; study IDs and preferred names only at "full";
- text cells starting with = + - @ tab, CR, NUL or ' get one leading ' so
  spreadsheets never run them as formulas (EXP-5); remove it to get the text;
- times in the site's clock, ISO 8601 with the UTC offset;
- rows ordered by log_id, no timestamp inside the file: the same request on the
  same data gives the same bytes (and the same SHA-256).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import zipfile
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.formulas import DANGEROUS_FIRST, neutralise
from core.roles import Role, user_roles
from logs_app.models import InteractionLog, RoleFunction, Technique, Topic
from logs_app.models_export import LEVEL_RANK, ExportJob, ExportLevel, ExportRight
from mentors.models import Mentor
from participants.models import Cohort, Participant, Site

Format = ExportJob.Format

# --- rights (EXP-1) -------------------------------------------------------------------
EXPORT_ROLES = frozenset({Role.RESEARCH, Role.ADMIN})


def export_level_for(user) -> str:
    """The highest level `user` may export at now. Research staff: their
    ExportRight (none without one). Program admins: full. "Full" is honoured
    for admins only; anyone else is capped at "text"."""
    roles = user_roles(user)
    if not roles & EXPORT_ROLES:
        return ExportLevel.NONE
    if Role.ADMIN in roles:
        # Admins grant export rights, themselves included: a default below
        # "full" would protect nothing.
        return ExportLevel.FULL
    right = ExportRight.objects.filter(user=user).only("level").first()
    level = right.level if right else ExportLevel.NONE
    if level == ExportLevel.FULL:
        return ExportLevel.TEXT
    return level


def level_allows(granted: str, wanted: str) -> bool:
    return (
        wanted != ExportLevel.NONE
        and LEVEL_RANK[ExportLevel(wanted)] <= LEVEL_RANK[ExportLevel(granted)]
    )


def levels_up_to(granted: str) -> list[tuple[str, str]]:
    return [
        (value, label)
        for value, label in ExportLevel.choices
        if value != ExportLevel.NONE and level_allows(granted, value)
    ]


# --- pseudonyms (EXP-4) ---------------------------------------------------------------
def _pseudonym_key() -> bytes:
    explicit = getattr(settings, "PEERLOG_EXPORT_KEY", "")
    if explicit:
        return explicit.encode()
    # Derived from the secret key, so pseudonyms stay stable for one secret.
    return hmac.new(
        settings.SECRET_KEY.encode(), b"peerlog-export-pseudonyms", hashlib.sha256
    ).digest()


def pseudonym(kind: str, pk: int, *, key: bytes | None = None) -> str:
    """A stable keyed pseudonym: P-XXXXXXXXXXXX for participants, M-... for
    mentors. 60 bits of an HMAC-SHA-256 of the row id; not reversible without
    the key, never a plain hash of a sequential id."""
    key = key or _pseudonym_key()
    digest = hmac.digest(key, f"{kind}:{pk}".encode(), "sha256")  # the C fast path
    return f"{kind}-{base64.b32encode(digest).decode()[:12]}"


def pseudonym_map(kind: str, ids: Iterable[int]) -> dict[int, str]:
    key = _pseudonym_key()
    return {pk: pseudonym(kind, pk, key=key) for pk in ids}


# --- filters --------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportFilters:
    """What the page (or the command line) asks for. Ids, not objects: stored
    as JSON on the job and checked again against the user's scope when it runs."""

    since: dt.date | None = None
    until: dt.date | None = None
    sites: tuple[int, ...] = ()
    cohorts: tuple[int, ...] = ()
    mentors: tuple[int, ...] = ()
    outcomes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    include_voided: bool = False

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("since", "until"):
            data[name] = data[name].isoformat() if data[name] else None
        for name in ("sites", "cohorts", "mentors", "outcomes", "statuses"):
            data[name] = sorted(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportFilters:
        def day(value: str | None) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        return cls(
            since=day(data.get("since")),
            until=day(data.get("until")),
            sites=tuple(int(v) for v in data.get("sites") or ()),
            cohorts=tuple(int(v) for v in data.get("cohorts") or ()),
            mentors=tuple(int(v) for v in data.get("mentors") or ()),
            outcomes=tuple(str(v) for v in data.get("outcomes") or ()),
            statuses=tuple(str(v) for v in data.get("statuses") or ()),
            include_voided=bool(data.get("include_voided")),
        )


EXPORTABLE_STATUSES = [
    (value, label)
    for value, label in InteractionLog.Status.choices
    if value != InteractionLog.Status.DRAFT
]


def export_sites(user) -> QuerySet[Site]:
    """Sites `user` may filter on: all for admins, granted sites for staff."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return Site.objects.all()
    if Role.RESEARCH in roles:
        return Site.objects.filter(access_grants__user=user).distinct()
    return Site.objects.none()


def scoped_logs(
    user, filters: ExportFilters, *, before_consent: bool = False
) -> QuerySet[InteractionLog]:
    """Every filed log `user` may read that matches `filters`, before voiding is
    applied (so that what is left out can be counted). Research staff read only
    logs of participants whose consent covers research use (AZ-14); with
    `before_consent`, the logs that rule hides are kept too, so the preview can
    say how many consent leaves out (never used to write a file)."""
    manager = InteractionLog.objects
    logs = (
        manager.reach_before_consent(user)
        if before_consent
        else manager.visible_to(user)
    )
    logs = logs.exclude(status=InteractionLog.Status.DRAFT).filter(
        participant__isnull=False
    )
    if filters.since:
        logs = logs.filter(contact_date__gte=filters.since)
    if filters.until:
        logs = logs.filter(contact_date__lte=filters.until)
    if filters.sites:
        logs = logs.filter(participant__site__in=filters.sites)
    if filters.cohorts:
        logs = logs.filter(participant__cohort__in=filters.cohorts)
    if filters.mentors:
        logs = logs.filter(mentor__in=filters.mentors)
    if filters.outcomes:
        logs = logs.filter(outcome__in=filters.outcomes)
    if filters.statuses:
        logs = logs.filter(status__in=filters.statuses)
    return logs


def exported_logs(user, filters: ExportFilters) -> QuerySet[InteractionLog]:
    """The logs that go into the file: readable by `user`, consent covers
    research use (for every role, admins included), not voided unless asked for."""
    logs = scoped_logs(user, filters).filter(participant__has_research_consent=True)
    if not filters.include_voided:
        logs = logs.filter(is_voided=False)
    return logs


def export_site_ids(user, filters: ExportFilters) -> list[int]:
    """The sites whose logs the export of `filters` would hold under `user`'s
    scope as it is now. A job reads them before writing and keeps them (AZ-13):
    the scope can narrow while the file is written; the participants the file
    holds come from the writers (`ExportResult.participants`)."""
    return sorted(
        exported_logs(user, filters)
        .order_by()
        .values_list("participant__site_id", flat=True)
        .distinct()
    )


EXCLUSION_REASONS = {
    "no_participant_consent": _(
        "the participant's consent does not cover research use (whole log left out)"
    ),
    "voided": _("voided by an admin (include voided logs to export them)"),
    "reflections_withheld": _(
        "reflections left empty: the mentor has not consented to research use of "
        "their reflections (the log itself is exported)"
    ),
}


@dataclass(frozen=True)
class Preview:
    rows: int
    excluded: dict[str, int]
    columns: list[str]


def export_preview(*, user, filters: ExportFilters, level: str) -> Preview:
    """How many logs the export will hold, how many are left out and why, and
    its columns. One query."""
    no_consent = Q(participant__has_research_consent=False)
    voided = Q(is_voided=True) & ~no_consent
    exported = ~no_consent & (Q() if filters.include_voided else Q(is_voided=False))
    reflective = ~Q(reflection_feelings="") | ~Q(reflection_concerns="")
    counts = scoped_logs(user, filters, before_consent=True).aggregate(
        total=Count("pk"),
        no_consent=Count("pk", filter=no_consent),
        voided=Count("pk", filter=voided),
        rows=Count("pk", filter=exported),
        withheld=Count(
            "pk",
            filter=exported
            & reflective
            & Q(mentor__reflections_consent_at__isnull=True),
        ),
    )
    excluded = {"no_participant_consent": counts["no_consent"]}
    if not filters.include_voided:
        excluded["voided"] = counts["voided"]
    if level_allows(level, ExportLevel.TEXT):
        excluded["reflections_withheld"] = counts["withheld"]
    return Preview(
        rows=counts["rows"],
        excluded=excluded,
        columns=[c.name for c in wide_columns(level, option_sets())],
    )


# --- options --------------------------------------------------------------------------
@dataclass(frozen=True)
class OptionList:
    """One multi-select of the form, as exported."""

    key: str  # option_list value in the long file
    field: str  # InteractionLog m2m field
    prefix: str  # one-hot column prefix
    model: type
    question: Any  # the form's label
    options: tuple[tuple[int, str, str, int, bool], ...]  # id, code, label, pos, active

    @property
    def through(self):
        return getattr(InteractionLog, self.field).through

    @property
    def through_fk(self) -> str:
        return f"{self.model._meta.model_name}_id"

    def codes(self) -> list[str]:
        return sorted(code for _pk, code, *_rest in self.options)

    def bit_of(self) -> dict[int, int]:
        """Option id → bit number, in code order (the one-hot column order)."""
        order = {code: i for i, code in enumerate(self.codes())}
        return {pk: order[code] for pk, code, *_rest in self.options}


def option_sets() -> list[OptionList]:
    """The three option lists with every option, retired ones included (old logs
    keep them), so the columns only change when an option is added. 3 queries."""
    specs = [
        ("technique", "techniques", "tech_", Technique, _("What you did together")),
        ("topic", "topics", "topic_", Topic, _("What you talked about")),
        (
            "role_function",
            "role_functions",
            "role_",
            RoleFunction,
            _("What this contact was mostly about for you as a mentor"),
        ),
    ]
    return [
        OptionList(
            key=key,
            field=name,
            prefix=prefix,
            model=model,
            question=question,
            options=tuple(
                model.objects.order_by("code").values_list(
                    "pk", "code", "label", "position", "is_active"
                )
            ),
        )
        for key, name, prefix, model, question in specs
    ]


def one_hot_name(prefix: str, code: str) -> str:
    # Variable names R, Stata and SPSS accept: letters, digits, underscores.
    return prefix + re.sub(r"[^0-9A-Za-z_]", "_", code)


# --- columns --------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of the wide file: its name, Table Schema type, the level that
    unlocks it, what it means, where it comes from, how PostgreSQL computes it
    (`sql`) and how Python reads it from a row dict (`value`)."""

    name: str
    type: str  # integer | string | date | time | datetime | boolean
    level: str
    meaning: Any
    source: Any
    sql: str
    value: Callable[[dict[str, Any]], Any]
    enum: tuple[tuple[str, Any], ...] = ()
    constraints: dict[str, Any] = field(default_factory=dict)
    free_text: bool = False  # user-typed: neutralised (EXP-5)
    pattern: str = ""


def _nz(expr: str) -> str:
    """SQL: neutralised text, empty as NULL (both read as an empty cell)."""
    return (
        f"NULLIF(CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r', "
        f"'''') THEN '''' || {expr} ELSE {expr} END, '')"
    )


def _iso_sql(name: str) -> str:
    """SQL: a timestamp as ISO 8601 in the site's clock with its UTC offset (NULL
    stays NULL). The base subquery converts each timestamp once to local and to
    UTC wall-clock time; the offset is their difference."""
    local, utc = f"l.{name}_local", f"l.{name}_utc"
    minutes = f"(date_part('epoch', {local} - {utc})::int / 60)"
    return (
        f"to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        f"CASE WHEN {minutes} < 0 THEN '-' ELSE '+' END || "
        f"lpad((abs({minutes}) / 60)::text, 2, '0') || ':' || "
        f"lpad(mod(abs({minutes}), 60)::text, 2, '0')"
    )


TIMESTAMPS = ("occurred_at", "submitted_at", "reviewed_at")


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def _iso(value: dt.datetime | None, tz_name: str) -> str | None:
    if value is None:
        return None
    return value.astimezone(_zone(tz_name)).replace(microsecond=0).isoformat()


def _week(day: dt.date | None) -> str | None:
    if day is None:
        return None
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def _consented(row: dict[str, Any]) -> bool:
    return row["mentor__reflections_consent_at"] is not None


def _choices(choices) -> tuple[tuple[str, Any], ...]:
    return tuple((value, label) for value, label in choices if value)


def _field_label(name: str) -> Any:
    return InteractionLog._meta.get_field(name).verbose_name


def _scalar(name: str, type_: str, meaning: Any, **extra: Any) -> Column:
    """A column read straight from the log's field of the same name."""
    sql = {
        "integer": f"l.{name}",
        "boolean": f"l.{name}::int",
        "date": f"to_char(l.{name}, 'YYYY-MM-DD')",
        "time": f"l.{name}::text",
        "string": f"NULLIF(l.{name}, '')",
    }[type_]
    if extra.get("free_text"):
        sql = _nz(f"l.{name}")
    return Column(
        name=name,
        type=type_,
        level=extra.pop("level", ExportLevel.CODED),
        meaning=meaning,
        source=extra.pop("source", _field_label(name)),
        sql=extra.pop("sql", sql),
        value=extra.pop("value", lambda row, name=name: row[name]),
        **extra,
    )


SYSTEM = _("recorded by Peerlog")
CODED, TEXT, FULL = ExportLevel.CODED, ExportLevel.TEXT, ExportLevel.FULL


def _base_columns() -> list[Column]:
    log = InteractionLog
    return [
        Column(
            "log_id",
            "integer",
            CODED,
            _("Number of the log in Peerlog (unique)."),
            SYSTEM,
            "l.id",
            lambda row: row["pk"],
            constraints={"required": True, "unique": True, "minimum": 1},
        ),
        Column(
            "participant_code",
            "string",
            CODED,
            _("Pseudonymous participant code (keyed HMAC; stable across exports)."),
            _("Participant"),
            "p.pcode",
            lambda row: row["participant_code"],
            constraints={"required": True},
            pattern=r"^P-[A-Z2-7]{12}$",
        ),
        Column(
            "mentor_code",
            "string",
            CODED,
            _("Pseudonymous mentor code (keyed HMAC; stable across exports)."),
            SYSTEM,
            "m.mcode",
            lambda row: row["mentor_code"],
            constraints={"required": True},
            pattern=r"^M-[A-Z2-7]{12}$",
        ),
        Column(
            "site_code",
            "string",
            CODED,
            _("Code of the participant's site."),
            SYSTEM,
            _nz("p.site_code"),
            lambda row: row["participant__site__code"],
            constraints={"required": True},
            free_text=True,
        ),
        Column(
            "site_time_zone",
            "string",
            CODED,
            _("The site's time zone (IANA name); all dates and times are local."),
            SYSTEM,
            _nz("p.time_zone"),
            lambda row: row["participant__site__time_zone"],
            constraints={"required": True},
            free_text=True,
        ),
        Column(
            "cohort",
            "string",
            CODED,
            _("Name of the participant's cohort at the site."),
            SYSTEM,
            _nz("p.cohort_name"),
            lambda row: row["participant__cohort__name"],
            free_text=True,
        ),
        Column(
            "participant_status",
            "string",
            CODED,
            _("The participant's status in the program now (not at the contact)."),
            SYSTEM,
            "p.status",
            lambda row: row["participant__status"],
            enum=_choices(Participant.Status.choices),
            constraints={"required": True},
        ),
        _scalar(
            "status",
            "string",
            _("Where the log is in review."),
            source=SYSTEM,
            enum=tuple(EXPORTABLE_STATUSES),
            constraints={"required": True},
        ),
        _scalar(
            "is_voided",
            "boolean",
            _("1 if an admin voided the log (left out unless asked for)."),
            source=SYSTEM,
            constraints={"required": True},
        ),
        _scalar(
            "contact_date",
            "date",
            _("Date of the contact, in the site's clock."),
            constraints={"required": True},
        ),
        _scalar("start_time", "time", _("Start time of the contact, site clock.")),
        Column(
            "occurred_at",
            "datetime",
            CODED,
            _("Date and start time as ISO 8601 with the site's UTC offset."),
            _("date and start time"),
            _iso_sql("occurred_at"),
            lambda row: _iso(row["occurred_at"], row["participant__site__time_zone"]),
        ),
        Column(
            "iso_week",
            "string",
            CODED,
            _("ISO week of the contact date (site clock), e.g. 2026-W47."),
            _("Date"),
            "to_char(l.contact_date, 'IYYY-\"W\"IW')",
            lambda row: _week(row["contact_date"]),
            constraints={"required": True},
            pattern=r"^\d{4}-W\d{2}$",
        ),
        _scalar(
            "duration_minutes",
            "integer",
            _("Length of the contact in minutes."),
            constraints={"minimum": 1, "maximum": 600},
        ),
        _scalar(
            "mode",
            "string",
            _("How the contact happened."),
            enum=_choices(log.Mode.choices),
            constraints={"required": True},
        ),
        _scalar(
            "outcome",
            "string",
            _("What happened: a meeting or an attempt."),
            enum=_choices(log.Outcome.choices),
            constraints={"required": True},
        ),
    ]


def _codes_sql(options: OptionList) -> str:
    """SQL: the chosen codes of one list, `;`-separated in code order, built
    from the list's bit mask (concat_ws skips the NULLs of unchosen codes): no
    join, no sort. Codes are bound as parameters."""
    mask = f"opt.{options.key}_mask"
    pieces = ", ".join(
        f"CASE WHEN {mask} & {1 << bit} <> 0 THEN %({options.key}_c{bit})s END"
        for bit in range(len(options.options))
    )
    codes = f"NULLIF(concat_ws(';', {pieces}), '')"
    if any(code[:1] in DANGEROUS_FIRST for code in options.codes()):
        return _nz(codes)
    return codes


def _option_columns(sets: list[OptionList]) -> tuple[list[Column], list[Column]]:
    lists, hots = [], []
    for options in sets:
        lists.append(
            Column(
                options.field,
                "string",
                CODED,
                _("Codes chosen, separated by ';' in code order (see options)."),
                options.question,
                _codes_sql(options),
                lambda row, key=options.key: ";".join(row[f"{key}_codes"]) or None,
                free_text=True,
            )
        )
        bits = {code: i for i, code in enumerate(options.codes())}
        labels = {code: label for _pk, code, label, *_rest in options.options}
        for code in options.codes():
            bit = bits[code]
            hots.append(
                Column(
                    one_hot_name(options.prefix, code),
                    "boolean",
                    CODED,
                    _("1 if “%(label)s” (%(code)s) was chosen, else 0.")
                    % {"label": labels[code], "code": code},
                    options.question,
                    f"((coalesce(opt.{options.key}_mask, 0) >> {bit}) & 1)",
                    lambda row, key=options.key, code=code: code in row[f"{key}_codes"],
                    constraints={"required": True},
                )
            )
    return lists, hots


def _measure_columns() -> list[Column]:
    log = InteractionLog
    return [
        _scalar(
            "co_ppm",
            "integer",
            _("Carbon monoxide breath reading (ppm)."),
            constraints={"minimum": 0, "maximum": 150},
        ),
        _scalar(
            "cigarettes_per_day",
            "integer",
            _("Cigarettes per day, as reported."),
            constraints={"minimum": 0, "maximum": 120},
        ),
        _scalar(
            "stage_of_change",
            "string",
            _("Stage of change."),
            enum=_choices(log.Stage.choices),
        ),
        _scalar("quit_date", "date", _("Quit date set, if any.")),
        _scalar(
            "nrt_in_use",
            "string",
            _("Using nicotine replacement therapy."),
            enum=_choices(log.YesNo.choices),
        ),
        _scalar(
            "last_goal_outcome",
            "string",
            _("How last week's goal went."),
            enum=_choices(log.GoalOutcome.choices),
        ),
        Column(
            "has_weekly_goal",
            "boolean",
            CODED,
            _("1 if a goal for the week was written down (text at 'with text')."),
            _field_label("weekly_goal"),
            "(l.weekly_goal <> '')::int",
            lambda row: row["weekly_goal"] != "",
            constraints={"required": True},
        ),
        _scalar(
            "discuss_in_supervision",
            "boolean",
            _("1 if the mentor asked to discuss this in supervision."),
            constraints={"required": True},
        ),
        _scalar(
            "safety_concern",
            "boolean",
            _("1 if the mentor raised a safety concern."),
            constraints={"required": True},
        ),
        Column(
            "reflections_consent",
            "boolean",
            CODED,
            _("1 if the mentor consented to research use of their reflections."),
            SYSTEM,
            "(m.reflections_consent_at IS NOT NULL)::int",
            _consented,
            constraints={"required": True},
        ),
        Column(
            "has_reflection_feelings",
            "boolean",
            CODED,
            _("1 if reflection 1 was answered; empty without the mentor's consent."),
            _field_label("reflection_feelings"),
            "CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
            "ELSE (l.reflection_feelings <> '')::int END",
            lambda row: (row["reflection_feelings"] != "") if _consented(row) else None,
        ),
        Column(
            "has_reflection_concerns",
            "boolean",
            CODED,
            _("1 if reflection 2 was answered; empty without the mentor's consent."),
            _field_label("reflection_concerns"),
            "CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
            "ELSE (l.reflection_concerns <> '')::int END",
            lambda row: (row["reflection_concerns"] != "") if _consented(row) else None,
        ),
        Column(
            "submitted_at",
            "datetime",
            CODED,
            _("When the log was first submitted (site clock, with offset)."),
            SYSTEM,
            _iso_sql("submitted_at"),
            lambda row: _iso(row["submitted_at"], row["participant__site__time_zone"]),
        ),
        Column(
            "reviewed_at",
            "datetime",
            CODED,
            _("When the supervisor marked it reviewed (site clock, with offset)."),
            SYSTEM,
            _iso_sql("reviewed_at"),
            lambda row: _iso(row["reviewed_at"], row["participant__site__time_zone"]),
        ),
    ]


def _reflection(name: str, meaning: Any) -> Column:
    return _scalar(
        name,
        "string",
        meaning,
        level=TEXT,
        free_text=True,
        sql=f"CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
        f"ELSE {_nz('l.' + name)} END",
        value=lambda row: row[name] if _consented(row) else None,
    )


def _text_columns() -> list[Column]:
    return [
        _scalar(
            "place",
            "string",
            _("Where the contact happened."),
            level=TEXT,
            free_text=True,
        ),
        _scalar(
            "weekly_goal",
            "string",
            _("The goal agreed for the week."),
            level=TEXT,
            free_text=True,
        ),
        _scalar(
            "narrative",
            "string",
            _("The mentor's summary of the contact."),
            level=TEXT,
            free_text=True,
        ),
        _reflection(
            "reflection_feelings",
            _("Reflection 1, only where the mentor consented to research use."),
        ),
        _reflection(
            "reflection_concerns",
            _("Reflection 2, only where the mentor consented to research use."),
        ),
        _scalar(
            "void_reason",
            "string",
            _("Why an admin voided the log."),
            level=TEXT,
            free_text=True,
            source=SYSTEM,
        ),
        Column(
            "participant_study_id",
            "string",
            FULL,
            _("The participant's study ID (full level only)."),
            _("Participant"),
            _nz("p.study_id"),
            lambda row: row["participant__study_id"],
            free_text=True,
        ),
        Column(
            "participant_preferred_name",
            "string",
            FULL,
            _("The participant's preferred name (full level only)."),
            _("Participant"),
            _nz("p.preferred_name"),
            lambda row: row["participant__preferred_name"],
            free_text=True,
        ),
    ]


def wide_columns(level: str, sets: list[OptionList]) -> list[Column]:
    """The columns of the one-row-per-log file at `level`, in file order:
    coded columns first (so every level's file starts the same way)."""
    lists, hots = _option_columns(sets)
    every = _base_columns() + lists + _measure_columns() + hots + _text_columns()
    return [column for column in every if level_allows(level, column.level)]


LONG_COLUMNS = [
    "log_id",
    "participant_code",
    "mentor_code",
    "site_code",
    "contact_date",
    "iso_week",
    "option_list",
    "option_code",
]
OPTION_COLUMNS = ["option_list", "option_code", "label", "position", "is_active"]


# --- row sources ----------------------------------------------------------------------
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
    "status",
    "is_voided",
    "contact_date",
    "start_time",
    "occurred_at",
    "duration_minutes",
    "mode",
    "outcome",
    "co_ppm",
    "cigarettes_per_day",
    "stage_of_change",
    "quit_date",
    "nrt_in_use",
    "last_goal_outcome",
    "weekly_goal",
    "discuss_in_supervision",
    "safety_concern",
    "reflection_feelings",
    "reflection_concerns",
    "submitted_at",
    "reviewed_at",
    "place",
    "narrative",
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
    1 + 1 + 3 queries per batch of ids, whatever the number of rows."""
    participants = pseudonym_map("P", Participant.objects.values_list("pk", flat=True))
    mentors = pseudonym_map("M", Mentor.objects.values_list("pk", flat=True))
    code_of = {
        options.key: {pk: code for pk, code, *_rest in options.options}
        for options in sets
    }
    for ids in _id_batches(logs, BATCH):
        chosen: dict[str, dict[int, list[str]]] = {}
        for options in sets:
            picked: dict[int, list[str]] = {}
            for log_id, option_id in options.through.objects.filter(
                interactionlog_id__in=ids
            ).values_list("interactionlog_id", options.through_fk):
                picked.setdefault(log_id, []).append(code_of[options.key][option_id])
            chosen[options.key] = picked
        rows = (
            InteractionLog.objects.filter(pk__in=ids).order_by("pk").values(*PY_FIELDS)
        )
        for row in rows:
            row["participant_code"] = participants[row["participant_id"]]
            row["mentor_code"] = mentors[row["mentor_id"]]
            for options in sets:
                row[f"{options.key}_codes"] = sorted(
                    chosen[options.key].get(row["pk"], ())
                )
            yield row


def _cell(value: Any, column_type: str, free_text: bool) -> str:
    """A typed value as CSV text, the way PostgreSQL writes it in the COPY path."""
    if value is None:
        return ""
    if column_type == "boolean":
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value) if free_text else value
    return str(value)


class _CsvSink:
    """CSV text into a binary file: UTF-8, CRLF line ends (RFC 4180), written in
    blocks of about 64 KB."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\r\n")

    def row(self, values: list[Any]) -> None:
        self.writer.writerow(values)
        if self.buffer.tell() > 65_536:
            self.flush()

    def flush(self) -> None:
        self.out.write(self.buffer.getvalue().encode())
        self.buffer.seek(0)
        self.buffer.truncate()

    close = flush


def _header(names: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(names)
    return buffer.getvalue().encode()


def use_copy(sets: list[OptionList]) -> bool:
    """PostgreSQL builds the rows, unless an option list outgrows the 63 bits
    of the one-hot mask (then the Python path does it)."""
    return connection.vendor == "postgresql" and all(
        len(options.options) <= 63 for options in sets
    )


# --- PostgreSQL: the database writes the CSV ------------------------------------------
def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _pseudonym_arrays() -> tuple[list[int], list[str], list[int], list[str]]:
    """Every participant's and mentor's pseudonym. All of them, even for a
    small export: limited to the people in the logs, a log whose participant
    was corrected between that query and the COPY would silently drop out of
    the file (the COPY joins on these arrays)."""
    participants = pseudonym_map("P", Participant.objects.values_list("pk", flat=True))
    mentors = pseudonym_map("M", Mentor.objects.values_list("pk", flat=True))
    return (
        list(participants),
        list(participants.values()),
        list(mentors),
        list(mentors.values()),
    )


def _only_ids(column: str, ids: bool) -> str:
    """With `ids` (a small export), the condition that keeps `column` to the
    statement's exact log ids, %(ids)s; nothing otherwise."""
    return f" AND {column} = ANY(%(ids)s::bigint[])" if ids else ""


def _from_sql(
    sets: list[OptionList], *, scope: str, wide: bool, ids: bool = False
) -> str:
    """FROM clause of the wide and long queries. Few relations at the top, so
    the planner searches every join order (no GEQO): the scoped logs (`l`, with
    each timestamp converted once to local and UTC time), participants with
    site, cohort and pseudonym (`p`), mentors with pseudonym (`m`), and for the
    wide file one aggregate of option masks over all three lists (`opt`) with
    the code lists looked up by mask. Placeholders: %(lo)s, %(hi)s and ours;
    with `ids`, also %(ids)s: the statement's exact log ids (a small export),
    so the logs and their option links are looked up by id instead of reading
    every link in the id range."""
    times = "".join(
        f", l.{name} AT TIME ZONE s.time_zone AS {name}_local,"
        f" l.{name} AT TIME ZONE 'UTC' AS {name}_utc"
        for name in TIMESTAMPS
    )
    parts = [
        f"FROM (SELECT l.*{times if wide else ''}"
        f" FROM {_q(InteractionLog._meta.db_table)} l"
        f" JOIN {_q(Participant._meta.db_table)} p ON p.id = l.participant_id"
        f" JOIN {_q(Site._meta.db_table)} s ON s.id = p.site_id"
        f" WHERE l.id >= %(lo)s AND l.id < %(hi)s AND l.id IN ({scope})"
        + _only_ids("l.id", ids)
        + " OFFSET 0) l",
        "JOIN (SELECT p.id, p.status, p.study_id, p.preferred_name,"
        " s.code AS site_code, s.time_zone, c.name AS cohort_name, pp.code AS pcode"
        f" FROM {_q(Participant._meta.db_table)} p"
        f" JOIN {_q(Site._meta.db_table)} s ON s.id = p.site_id"
        f" LEFT JOIN {_q(Cohort._meta.db_table)} c ON c.id = p.cohort_id"
        " JOIN unnest(%(p_ids)s::bigint[], %(p_codes)s::text[]) AS pp(id, code)"
        " ON pp.id = p.id) p ON p.id = l.participant_id",
        "JOIN (SELECT m.id, m.reflections_consent_at, mp.code AS mcode"
        f" FROM {_q(Mentor._meta.db_table)} m"
        " JOIN unnest(%(m_ids)s::bigint[], %(m_codes)s::text[]) AS mp(id, code)"
        " ON mp.id = m.id) m ON m.id = l.mentor_id",
    ]
    if not wide:
        return " ".join(parts)
    chosen = " UNION ALL ".join(
        f"SELECT x.interactionlog_id AS log_id, {k} AS k, (1::bigint << b.bit) AS bit"
        f" FROM {_q(o.through._meta.db_table)} x"
        f" JOIN unnest(%({o.key}_ids)s::bigint[], %({o.key}_bits)s::int[])"
        f" AS b(id, bit) ON b.id = x.{o.through_fk}"
        " WHERE x.interactionlog_id >= %(lo)s AND x.interactionlog_id < %(hi)s"
        + _only_ids("x.interactionlog_id", ids)
        for k, o in enumerate(sets)
    )
    masks = ", ".join(
        f"bit_or(u.bit) FILTER (WHERE u.k = {k}) AS {o.key}_mask"
        for k, o in enumerate(sets)
    )
    parts.append(
        f"LEFT JOIN (SELECT u.log_id, {masks} FROM ({chosen}) u GROUP BY u.log_id)"
        " opt ON opt.log_id = l.id"
    )
    return " ".join(parts)


def _scope_sql(logs: QuerySet[InteractionLog]) -> tuple[str, tuple]:
    """The scoped queryset's ids as SQL, so visible_to stays the one definition."""
    return logs.order_by().values("pk").query.sql_with_params()


def _named(sql: str, params: tuple) -> tuple[str, dict[str, Any]]:
    """Positional %s params of Django's SQL as named ones, to mix with ours."""
    names = {}
    for index, value in enumerate(params):
        names[f"s{index}"] = value
    counter = iter(range(len(params)))
    sql = sql.replace("%%", "\0")
    sql = re.sub(r"%s", lambda _m: f"%(s{next(counter)})s", sql)
    return sql.replace("\0", "%%"), names


def copy_statement(
    *,
    logs: QuerySet[InteractionLog],
    columns: list[Column],
    sets: list[OptionList],
    lo: int,
    hi: int,
    arrays: tuple | None = None,
    ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """`COPY (SELECT ...) TO STDOUT` for the wide file, logs with lo <= id < hi
    (and, given `ids`, only those)."""
    scope, params = _named(*_scope_sql(logs.filter(pk__gte=lo, pk__lt=hi)))
    select = ", ".join(f"{c.sql} AS {_q(c.name)}" for c in columns)
    from_sql = _from_sql(sets, scope=scope, wide=True, ids=ids is not None)
    sql = f"COPY (SELECT {select} {from_sql} ORDER BY l.id) TO STDOUT WITH (FORMAT csv)"
    params.update(_common_params(sets, lo, hi, arrays, ids))
    return sql, params


def _common_params(sets, lo, hi, arrays, ids=None) -> dict[str, Any]:
    p_ids, p_codes, m_ids, m_codes = arrays or _pseudonym_arrays()
    params: dict[str, Any] = {
        "lo": lo,
        "hi": hi,
        "ids": ids,
        "p_ids": p_ids,
        "p_codes": p_codes,
        "m_ids": m_ids,
        "m_codes": m_codes,
    }
    for options in sets:
        bits = options.bit_of()
        params[f"{options.key}_ids"] = list(bits)
        params[f"{options.key}_bits"] = list(bits.values())
        for bit, code in enumerate(options.codes()):
            params[f"{options.key}_c{bit}"] = code
    return params


def long_copy_statement(
    *,
    logs: QuerySet[InteractionLog],
    sets: list[OptionList],
    lo: int,
    hi: int,
    arrays: tuple | None = None,
    ids: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    scope, params = _named(*_scope_sql(logs.filter(pk__gte=lo, pk__lt=hi)))
    by_ids = ids is not None
    unions = " UNION ALL ".join(
        f"SELECT x.interactionlog_id AS log_id, '{options.key}' AS list, o.code AS code"
        f" FROM {_q(options.through._meta.db_table)} x"
        f" JOIN {_q(options.model._meta.db_table)} o ON o.id = x.{options.through_fk}"
        f" WHERE x.interactionlog_id >= %(lo)s AND x.interactionlog_id < %(hi)s"
        + _only_ids("x.interactionlog_id", by_ids)
        for options in sets
    )
    sql = (
        "COPY (SELECT l.id, p.pcode, m.mcode, "
        f"{_nz('p.site_code')}, to_char(l.contact_date, 'YYYY-MM-DD'),"
        " to_char(l.contact_date, 'IYYY-\"W\"IW'), ch.list, "
        f"{_nz('ch.code')} {_from_sql(sets, scope=scope, wide=False, ids=by_ids)}"
        f" JOIN ({unions}) ch ON ch.log_id = l.id"
        ' ORDER BY l.id, ch.list, ch.code COLLATE "C") TO STDOUT WITH (FORMAT csv)'
    )
    params.update(_common_params(sets, lo, hi, arrays, ids))
    return sql, params


COPY_CHUNK_IDS = 200_000


# Up to this many logs, an export is one statement over its exact ids.
SMALL_EXPORT = 20_000


def _chunks(
    logs: QuerySet[InteractionLog], step: int
) -> Iterator[tuple[int, int, list[int] | None]]:
    """The statements of a COPY export as (lo, hi, ids). A small set (a week,
    a cohort) is one statement naming its ids: its logs and option links are
    found by id, wherever they sit in the table (in id ranges a one-week
    export at 1,000,000 logs read every option link of the table: 2 s for
    300 rows). A large set is cut into ranges of `step` ids between its own
    lowest and highest id, so a job can report progress between statements;
    each statement still applies the scope."""
    ids = list(logs.order_by("pk").values_list("pk", flat=True)[: SMALL_EXPORT + 1])
    if len(ids) <= SMALL_EXPORT:
        if ids:
            yield ids[0], ids[-1] + 1, ids
        return
    bounds = logs.order_by().aggregate(hi=Max("pk"))
    lo = ids[0]
    while lo <= bounds["hi"]:
        yield lo, min(lo + step, bounds["hi"] + 1), None
        lo += step


def copy_rows(statements: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[bytes]:
    """The raw CSV rows PostgreSQL sends, one per message, each ending in LF."""
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3: COPY binds these client-side
        for sql, params in statements:
            with raw.copy(sql, params) as copy:
                yield from copy


# --- writing --------------------------------------------------------------------------
Progress = Callable[[int], None]
PROGRESS_EVERY = 20_000  # rows between progress reports (Python path)


@dataclass
class WriteResult:
    rows: int
    columns: list[str]
    # Every participant with a row in the file, as the writer emitted them: what
    # a job's download re-checks (AZ-13). Read from the rows themselves, so a
    # scope narrowed while the file is written cannot hide one.
    participants: set[int] = field(default_factory=set)


def _emitted_participants(codes: set[bytes], arrays: tuple) -> set[int]:
    """The ids behind the participant codes a COPY wrote (from the pseudonym
    arrays the statements joined on)."""
    p_ids, p_codes, _m_ids, _m_codes = arrays
    by_code = dict(zip(p_codes, p_ids, strict=True))
    return {by_code[code.decode()] for code in codes}


class _Counter:
    """Counts rows and calls `progress(rows)` every `every` rows. During a COPY
    the connection is busy, so the COPY path counts quietly and reports between
    statements (`report`)."""

    def __init__(self, progress: Progress | None) -> None:
        every = PROGRESS_EVERY
        self.progress, self.every, self.rows, self.next = progress, every, 0, every

    def add(self, n: int = 1, *, quiet: bool = False) -> None:
        self.rows += n
        if not quiet and self.progress and self.rows >= self.next:
            self.report()

    def report(self) -> None:
        if self.progress:
            self.progress(self.rows)
            self.next = self.rows + self.every


def write_wide_csv(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """The one-row-per-log CSV of `logs` at `level` into `out`."""
    sets = sets if sets is not None else option_sets()
    columns = wide_columns(level, sets)
    names = [c.name for c in columns]
    out.write(_header(names))
    counter = _Counter(progress)
    participants: set[int] = set()
    if use_copy(sets):
        arrays = _pseudonym_arrays()
        codes: set[bytes] = set()
        for lo, hi, ids in _chunks(logs, COPY_CHUNK_IDS):
            statement = copy_statement(
                logs=logs,
                columns=columns,
                sets=sets,
                lo=lo,
                hi=hi,
                arrays=arrays,
                ids=ids,
            )
            _pass_through(out, copy_rows([statement]), counter, codes)
            counter.report()  # between statements: the connection is free
        participants = _emitted_participants(codes, arrays)
    else:
        sink = _CsvSink(out)
        spec = [(c.value, c.type, c.free_text) for c in columns]
        for row in python_rows(logs, sets):
            sink.row([_cell(get(row), t, f) for get, t, f in spec])
            participants.add(row["participant_id"])
            counter.add()
        sink.close()
    return WriteResult(rows=counter.rows, columns=names, participants=participants)


_PARTICIPANT_CODE = re.compile(rb"[0-9]+,([^,]+),").match


def _pass_through(
    out: BinaryIO, rows: Iterator[bytes], counter: _Counter, codes: set[bytes]
) -> None:
    """PostgreSQL ends each row with LF; RFC 4180 wants CRLF. Each COPY message is
    exactly one row, so its last byte is the row's end (line breaks inside
    quoted text are kept as typed). Written in blocks of about 256 KB.
    Adds each row's participant code to `codes`: both files start with log_id
    (an integer) and participant_code (never quoted), so it is the text
    between the first two commas (a regex, as psycopg hands over memoryviews:
    about 0.35 s per million rows)."""
    block: list[bytes] = []
    size = 0
    add_code = codes.add
    for row in rows:
        add_code(_PARTICIPANT_CODE(row)[1])
        block.append(row[:-1])
        block.append(b"\r\n")
        size += len(row)
        counter.add(quiet=True)
        if size > 262_144:
            out.write(b"".join(block))
            block.clear()
            size = 0
    if block:
        out.write(b"".join(block))


def write_long_csv(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """One row per log and chosen option (techniques, topics, role functions)."""
    sets = sets if sets is not None else option_sets()
    out.write(_header(LONG_COLUMNS))
    counter = _Counter(progress)
    participants: set[int] = set()
    if use_copy(sets):
        arrays = _pseudonym_arrays()
        codes: set[bytes] = set()
        for lo, hi, ids in _chunks(logs, COPY_CHUNK_IDS):
            statement = long_copy_statement(
                logs=logs, sets=sets, lo=lo, hi=hi, arrays=arrays, ids=ids
            )
            _pass_through(out, copy_rows([statement]), counter, codes)
            counter.report()
        participants = _emitted_participants(codes, arrays)
    else:
        sink = _CsvSink(out)
        for row in python_rows(logs, sets):
            base = [
                str(row["pk"]),
                row["participant_code"],
                row["mentor_code"],
                neutralise(row["participant__site__code"]),
                row["contact_date"].isoformat(),
                _week(row["contact_date"]),
            ]
            for options in sorted(sets, key=lambda o: o.key):
                for code in row[f"{options.key}_codes"]:
                    sink.row([*base, options.key, neutralise(code)])
                    participants.add(row["participant_id"])
                    counter.add()
        sink.close()
    return WriteResult(
        rows=counter.rows, columns=list(LONG_COLUMNS), participants=participants
    )


def write_options_csv(out: BinaryIO, *, sets: list[OptionList]) -> WriteResult:
    sink = _CsvSink(out)
    sink.row(OPTION_COLUMNS)
    rows = 0
    for options in sorted(sets, key=lambda o: o.key):
        for _pk, code, label, position, active in sorted(
            options.options, key=lambda o: o[1]
        ):
            sink.row(
                [
                    options.key,
                    neutralise(code),
                    neutralise(label),
                    position,
                    int(active),
                ]
            )
            rows += 1
    sink.close()
    return WriteResult(rows=rows, columns=list(OPTION_COLUMNS))


# --- XLSX -----------------------------------------------------------------------------
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header


def _xlsx_value(value: Any, column: Column) -> Any:
    if value is None:
        return None
    if column.type == "boolean":
        return 1 if value else 0
    if isinstance(value, str):
        if column.free_text:
            value = neutralise(value)
        # XML reads every CR as LF, so line breaks are LF in a workbook; control
        # characters XML cannot hold become U+FFFD (both said in the codebook).
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def write_xlsx(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    info: dict[str, Any],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """The wide table as a workbook: real dates and times, one sheet of logs, a
    codebook sheet and a sheet saying what the export holds and leaves out."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    sets = sets if sets is not None else option_sets()
    columns = wide_columns(level, sets)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("logs")
    sheet.freeze_panes = "B2"
    sheet.append([c.name for c in columns])
    formats = {"date": "yyyy-mm-dd", "time": "hh:mm:ss"}
    counter = _Counter(progress)
    participants: set[int] = set()
    for row in python_rows(logs, sets):
        participants.add(row["participant_id"])
        cells = []
        for column in columns:
            value = _xlsx_value(column.value(row), column)
            if column.type in formats and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = formats[column.type]
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        counter.add()
    codebook = book.create_sheet("codebook")
    codebook.append(["column", "type", "meaning", "allowed values", "source question"])
    for column in columns:
        codebook.append(
            [
                column.name,
                column.type,
                str(column.meaning),
                _allowed_text(column),
                str(column.source),
            ]
        )
    about = book.create_sheet("about")
    for key, value in _about_lines(info, counter.rows):
        about.append([key, value])
    _save_workbook(book, out)
    return WriteResult(
        rows=counter.rows,
        columns=[c.name for c in columns],
        participants=participants,
    )


# The workbook's document times: fixed, so the same export gives the same bytes
# (no export timestamp in the file; openpyxl would write "now").
_XLSX_TIME = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # written as UTC ("Z")


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed: the same export gives the same bytes


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose every entry carries _ZIP_TIME. openpyxl adds parts by name
    (`writestr`) and the write-only sheets from temporary files (`write`); both
    would stamp the current time or the file's mtime on the entry."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = _fixed_zip_info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = _fixed_zip_info(arcname or os.path.basename(filename))
        info.file_size = os.path.getsize(filename)  # decides ZIP64 up front
        with open(filename, "rb") as source, self.open(info, "w") as member:
            shutil.copyfileobj(source, member, 1024 * 1024)


def _fixed_zip_info(name: str) -> zipfile.ZipInfo:
    """A zip entry with the fixed time, deflated, mode 644 (the workbook's parts
    and the package's files alike)."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _save_workbook(book, out: BinaryIO) -> None:
    """`book.save(out)` without the clock: fixed document times in
    docProps/core.xml and on every zip entry (openpyxl's own save stamps both)."""
    from openpyxl.writer.excel import ExcelWriter

    book.properties.created = book.properties.modified = _XLSX_TIME
    archive = _FixedTimeZip(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(book, archive).save()  # writes every part, then closes the zip


# --- codebook and data package --------------------------------------------------------
def _allowed_text(column: Column) -> str:
    if column.enum:
        return "; ".join(f"{code} = {label}" for code, label in column.enum)
    if column.type == "boolean":
        return "1 = yes; 0 = no"
    limits = []
    if "minimum" in column.constraints:
        limits.append(f"≥ {column.constraints['minimum']}")
    if "maximum" in column.constraints:
        limits.append(f"≤ {column.constraints['maximum']}")
    return " and ".join(limits)


NEUTRALISATION_NOTE = _(
    "Text that begins with = + - @, a tab, a carriage return or ' is written with "
    "one extra ' in front, so spreadsheets never run it as a formula. Remove that "
    "first ' to get the text exactly as typed."
)


XLSX_TEXT_NOTE = _(
    "In the Excel workbook, line breaks inside text are LF (XML turns CR into LF) "
    "and control characters other than tab and line breaks become U+FFFD. The CSV "
    "files keep the text byte for byte."
)


def _about_lines(info: dict[str, Any], rows: int) -> list[tuple[str, str]]:
    lines = [
        ("level", str(info.get("level", ""))),
        ("rows", str(rows)),
        ("filters", json.dumps(info.get("filters", {}), sort_keys=True)),
    ]
    for reason, count in sorted(info.get("excluded", {}).items()):
        lines.append((f"left out: {reason}", f"{count} — {EXCLUSION_REASONS[reason]}"))
    lines.append(("text cells", str(NEUTRALISATION_NOTE)))
    lines.append(("workbook text", str(XLSX_TEXT_NOTE)))
    lines.append(
        (
            "pseudonyms",
            str(
                _(
                    "participant_code and mentor_code are keyed HMAC pseudonyms, "
                    "the same in every export made with the same key."
                )
            ),
        )
    )
    return lines


def _field_schema(column: Column) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "description": str(column.meaning),
    }
    constraints = dict(column.constraints)
    if column.enum:
        constraints["enum"] = [code for code, _label in column.enum]
    if column.pattern:
        constraints["pattern"] = column.pattern
    if column.type == "boolean":
        spec["trueValues"], spec["falseValues"] = ["1"], ["0"]
    if column.type == "datetime":
        spec["format"] = "%Y-%m-%dT%H:%M:%S%z"
    if constraints:
        spec["constraints"] = constraints
    return spec


def datapackage_descriptor(columns: list[Column], sets: list[OptionList]) -> dict:
    """Frictionless Data Package (tabular): three tables, their types, constraints,
    enum values, primary keys and foreign keys."""
    dialect = {"delimiter": ",", "lineTerminator": "\r\n", "header": True}
    option_keys = [o.key for o in sets]
    return {
        "profile": "tabular-data-package",
        "name": "peerlog-interaction-logs",
        "title": "Peerlog interaction logs (research export)",
        "resources": [
            {
                "name": "logs",
                "path": "logs.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": dialect,
                "schema": {
                    "fields": [_field_schema(c) for c in columns],
                    "primaryKey": ["log_id"],
                    "missingValues": [""],
                },
            },
            {
                "name": "log_options",
                "path": "log_options.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": dialect,
                "schema": {
                    "fields": [
                        {
                            "name": "log_id",
                            "type": "integer",
                            "constraints": {"required": True},
                        },
                        {"name": "participant_code", "type": "string"},
                        {"name": "mentor_code", "type": "string"},
                        {"name": "site_code", "type": "string"},
                        {"name": "contact_date", "type": "date"},
                        {"name": "iso_week", "type": "string"},
                        {
                            "name": "option_list",
                            "type": "string",
                            "constraints": {"required": True, "enum": option_keys},
                        },
                        {
                            "name": "option_code",
                            "type": "string",
                            "constraints": {"required": True},
                        },
                    ],
                    "primaryKey": ["log_id", "option_list", "option_code"],
                    "foreignKeys": [
                        {
                            "fields": ["log_id"],
                            "reference": {"resource": "logs", "fields": ["log_id"]},
                        },
                        {
                            "fields": ["option_list", "option_code"],
                            "reference": {
                                "resource": "options",
                                "fields": ["option_list", "option_code"],
                            },
                        },
                    ],
                    "missingValues": [""],
                },
            },
            {
                "name": "options",
                "path": "options.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": dialect,
                "schema": {
                    "fields": [
                        {
                            "name": "option_list",
                            "type": "string",
                            "constraints": {"required": True, "enum": option_keys},
                        },
                        {
                            "name": "option_code",
                            "type": "string",
                            "constraints": {"required": True},
                        },
                        {"name": "label", "type": "string"},
                        {"name": "position", "type": "integer"},
                        {
                            "name": "is_active",
                            "type": "boolean",
                            "trueValues": ["1"],
                            "falseValues": ["0"],
                        },
                    ],
                    "primaryKey": ["option_list", "option_code"],
                    "missingValues": [""],
                },
            },
        ],
    }


def codebook_markdown(
    columns: list[Column], sets: list[OptionList], info: dict[str, Any], rows: int
) -> str:
    """The human codebook: every column's meaning, type, allowed values and
    labels, and the form question it comes from; then what was left out."""
    out = [
        "# Peerlog research export — codebook",
        "",
        "Files: `logs.csv` (one row per log), `log_options.csv` (one row per log and "
        "chosen option), `options.csv` (every option code and its label), "
        "`datapackage.json` (the machine-readable schema).",
        "",
        "CSV files are UTF-8 without a byte-order mark, comma-separated, with CRLF "
        "line ends and double quotes around cells that need them (RFC 4180). An "
        "empty cell means no value.",
        "",
        f"- {NEUTRALISATION_NOTE}",
        "- Dates and times are in each site's own clock; `occurred_at`, "
        "`submitted_at` and `reviewed_at` are ISO 8601 with the UTC offset.",
        "",
        "## This export",
        "",
    ]
    for key, value in _about_lines(info, rows):
        out.append(f"- **{key}**: {value}")
    out += ["", "## Columns of logs.csv", ""]
    out += ["| column | type | meaning | allowed values | form question |"]
    out += ["|---|---|---|---|---|"]
    for column in columns:
        cells = [
            f"`{column.name}`",
            column.type,
            str(column.meaning),
            _allowed_text(column),
            str(column.source),
        ]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "## Options", ""]
    for options in sets:
        out += [f"### {options.key} — “{options.question}”", ""]
        for _pk, code, label, _position, active in sorted(
            options.options, key=lambda o: o[1]
        ):
            retired = "" if active else " (retired)"
            out.append(f"- `{code}`: {label}{retired}")
        out.append("")
    return "\n".join(out) + "\n"


def _zip_member(archive: zipfile.ZipFile, name: str):
    return archive.open(_fixed_zip_info(name), "w", force_zip64=True)


def write_package(
    out: BinaryIO,
    *,
    logs: QuerySet[InteractionLog],
    level: str,
    info: dict[str, Any],
    sets: list[OptionList] | None = None,
    progress: Progress | None = None,
) -> WriteResult:
    """A zip: logs.csv, log_options.csv, options.csv, datapackage.json and
    codebook.md. The row count is that of logs.csv."""
    sets = sets if sets is not None else option_sets()
    columns = wide_columns(level, sets)
    with zipfile.ZipFile(out, "w") as archive:
        with _zip_member(archive, "logs.csv") as member:
            result = write_wide_csv(
                member, logs=logs, level=level, sets=sets, progress=progress
            )
        with _zip_member(archive, "log_options.csv") as member:
            # Its own statements: a log filed meanwhile may be only in this file.
            result.participants |= write_long_csv(
                member, logs=logs, sets=sets
            ).participants
        with _zip_member(archive, "options.csv") as member:
            write_options_csv(member, sets=sets)
        with _zip_member(archive, "datapackage.json") as member:
            descriptor = datapackage_descriptor(columns, sets)
            member.write(json.dumps(descriptor, indent=2, ensure_ascii=False).encode())
        with _zip_member(archive, "codebook.md") as member:
            member.write(codebook_markdown(columns, sets, info, result.rows).encode())
    return result


# --- one export, any format -----------------------------------------------------------
class HashingWriter:
    """Counts and hashes what passes through to `out` (SHA-256 of the file)."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.size


@dataclass
class ExportResult:
    rows: int
    columns: list[str]
    sha256: str
    size: int
    excluded: dict[str, int]
    participants: set[int] = field(default_factory=set)  # see WriteResult


CONTENT_TYPES = {
    Format.CSV: "text/csv; charset=utf-8",
    Format.LONG: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    Format.PACKAGE: "application/zip",
}
EXTENSIONS = {
    Format.CSV: "csv",
    Format.LONG: "long.csv",
    Format.XLSX: "xlsx",
    Format.PACKAGE: "zip",
}


def export_write(
    out: BinaryIO,
    *,
    user,
    filters: ExportFilters,
    level: str,
    fmt: str,
    progress: Progress | None = None,
) -> ExportResult:
    """Write one export file into `out`. Assumes the caller checked the level
    (export_jobs.export_check); reads only what `user` may read."""
    logs = exported_logs(user, filters)
    preview = export_preview(user=user, filters=filters, level=level)
    info = {"level": level, "filters": filters.to_json(), "excluded": preview.excluded}
    sink = HashingWriter(out)
    if fmt == Format.CSV:
        result = write_wide_csv(sink, logs=logs, level=level, progress=progress)
    elif fmt == Format.LONG:
        result = write_long_csv(sink, logs=logs, progress=progress)
    elif fmt == Format.XLSX:
        result = write_xlsx(sink, logs=logs, level=level, info=info, progress=progress)
    elif fmt == Format.PACKAGE:
        result = write_package(
            sink, logs=logs, level=level, info=info, progress=progress
        )
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    sink.flush()
    return ExportResult(
        rows=result.rows,
        columns=result.columns,
        sha256=sink.sha.hexdigest(),
        size=sink.size,
        excluded=preview.excluded,
        participants=result.participants,
    )

"""What one column of the wide file is (Column) and the helpers that build
columns: SQL expressions for the COPY path, Python formatters for the ORM path,
and the one-hot and code-list columns of the option lists. The list of columns
itself is exports.columns."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.utils.translation import gettext_lazy as _

from core.formulas import DANGEROUS_FIRST
from exports.models import ExportLevel
from exports.options import OptionList, one_hot_name
from logs_app.fields import BOUNDS, TEXT_FIELDS
from logs_app.models import InteractionLog


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
    # Free text only: the value as typed, empty as NULL (the JSON of the read
    # API, exports.rows_json); `sql` is the same, neutralised for a spreadsheet.
    typed_sql: str = ""

    def __post_init__(self) -> None:
        if self.free_text and not self.typed_sql:
            raise ValueError(f"{self.name}: free text needs its typed_sql")


def text_sql(expr: str) -> dict[str, str]:
    """A free-text column's two SQL forms: `sql` neutralised (nz_sql),
    `typed_sql` as typed; both give NULL for empty text."""
    return {"sql": nz_sql(expr), "typed_sql": f"NULLIF({expr}, '')"}


def nz_sql(expr: str) -> str:
    """SQL: neutralised text, empty as NULL (both read as an empty cell)."""
    return (
        f"NULLIF(CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', E'\\t', E'\\r', "
        f"'''') THEN '''' || {expr} ELSE {expr} END, '')"
    )


def iso_sql(name: str) -> str:
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


def iso_local(value: dt.datetime | None, tz_name: str) -> str | None:
    if value is None:
        return None
    return value.astimezone(_zone(tz_name)).replace(microsecond=0).isoformat()


def iso_week_of(day: dt.date | None) -> str | None:
    if day is None:
        return None
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def consented(row: dict[str, Any]) -> bool:
    return row["mentor__reflections_consent_at"] is not None


def choices_of(choices) -> tuple[tuple[str, Any], ...]:
    return tuple((value, label) for value, label in choices if value)


def field_label(name: str) -> Any:
    return InteractionLog._meta.get_field(name).verbose_name


def bound_limits(name: str) -> dict[str, int]:
    """The Table Schema limits of a log's number: its bounds in the catalogue."""
    bound = BOUNDS.get(name)
    return {"minimum": bound.minimum, "maximum": bound.maximum} if bound else {}


def scalar(name: str, type_: str, meaning: Any, **extra: Any) -> Column:
    """A column read straight from the log's field of the same name. The field
    catalogue (logs_app.fields) gives its limits (BOUNDS) and says whether it is
    typed text (TEXT_FIELDS: the "with text" level, neutralised)."""
    if name in TEXT_FIELDS:
        extra.setdefault("level", ExportLevel.TEXT)
        extra["free_text"] = True
    sql = {
        "integer": f"l.{name}",
        "boolean": f"l.{name}::int",
        "date": f"to_char(l.{name}, 'YYYY-MM-DD')",
        "time": f"l.{name}::text",
        "string": f"NULLIF(l.{name}, '')",
    }[type_]
    if extra.get("free_text"):
        forms = text_sql(f"l.{name}")
        sql = forms["sql"]
        extra.setdefault("typed_sql", forms["typed_sql"])
    return Column(
        name=name,
        type=type_,
        level=extra.pop("level", ExportLevel.CODED),
        meaning=meaning,
        source=extra.pop("source", field_label(name)),
        sql=extra.pop("sql", sql),
        value=extra.pop("value", lambda row, name=name: row[name]),
        constraints={**bound_limits(name), **extra.pop("constraints", {})},
        **extra,
    )


def _typed_codes_sql(options: OptionList) -> str:
    """SQL: the chosen codes of one list, `;`-separated in code order, built
    from the list's bit mask (concat_ws skips the NULLs of unchosen codes): no
    join, no sort. Codes are bound as parameters."""
    if not options.options:
        return "NULL::text"  # a list with no options yet: concat_ws needs one
    mask = f"opt.{options.key}_mask"
    pieces = ", ".join(
        f"CASE WHEN {mask} & {1 << bit} <> 0 THEN %({options.key}_c{bit})s END"
        for bit in range(len(options.options))
    )
    return f"NULLIF(concat_ws(';', {pieces}), '')"


def _codes_sql(options: OptionList) -> str:
    """_typed_codes_sql for the file: neutralised only where a code could
    start a formula (none of today's do, and the neutraliser costs a COPY
    export three evaluations of the list)."""
    codes = _typed_codes_sql(options)
    if any(code[:1] in DANGEROUS_FIRST for code in options.codes()):
        return nz_sql(codes)
    return codes


def option_columns(sets: list[OptionList]) -> tuple[list[Column], list[Column]]:
    lists, hots = [], []
    for options in sets:
        lists.append(
            Column(
                options.field,
                "string",
                ExportLevel.CODED,
                _("Codes chosen, separated by ';' in code order (see options)."),
                options.question,
                _codes_sql(options),
                lambda row, key=options.key: ";".join(row[f"{key}_codes"]) or None,
                free_text=True,
                typed_sql=_typed_codes_sql(options),
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
                    ExportLevel.CODED,
                    _("1 if “%(label)s” (%(code)s) was chosen, else 0.")
                    % {"label": labels[code], "code": code},
                    options.question,
                    f"((coalesce(opt.{options.key}_mask, 0) >> {bit}) & 1)",
                    lambda row, key=options.key, code=code: code in row[f"{key}_codes"],
                    constraints={"required": True},
                )
            )
    return lists, hots

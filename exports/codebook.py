"""The codebook (Markdown, and the workbook's codebook sheet) and the
Frictionless data package descriptor: every column's meaning, type, allowed
values and source question, and what the export left out."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext_lazy as _

from exports.column_types import Column
from exports.options import OptionList
from exports.preview import EXCLUSION_REASONS


def allowed_text(column: Column) -> str:
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


def about_lines(info: dict[str, Any], rows: int) -> list[tuple[str, str]]:
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


def _resource(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One CSV table of the package, `name`.csv."""
    return {
        "name": name,
        "path": f"{name}.csv",
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
        "schema": schema,
    }


def _long_schema(option_keys: list[str]) -> dict[str, Any]:
    return {
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
    }


def _options_schema(option_keys: list[str]) -> dict[str, Any]:
    return {
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
    }


def datapackage_descriptor(columns: list[Column], sets: list[OptionList]) -> dict:
    """Frictionless Data Package (tabular): three tables, their types, constraints,
    enum values, primary keys and foreign keys."""
    option_keys = [o.key for o in sets]
    logs = {
        "fields": [_field_schema(c) for c in columns],
        "primaryKey": ["log_id"],
        "missingValues": [""],
    }
    return {
        "profile": "tabular-data-package",
        "name": "peerlog-interaction-logs",
        "title": "Peerlog interaction logs (research export)",
        "resources": [
            _resource("logs", logs),
            _resource("log_options", _long_schema(option_keys)),
            _resource("options", _options_schema(option_keys)),
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
    for key, value in about_lines(info, rows):
        out.append(f"- **{key}**: {value}")
    out += ["", "## Columns of logs.csv", ""]
    out += ["| column | type | meaning | allowed values | form question |"]
    out += ["|---|---|---|---|---|"]
    for column in columns:
        cells = [
            f"`{column.name}`",
            column.type,
            str(column.meaning),
            allowed_text(column),
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

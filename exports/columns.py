"""The export's columns: which of the log's fields the research files hold, in
which order, at which level, with their meaning, type and bounds.

The order and the meanings (the codebook's words) are the export's own. What a
field is comes from the log's field catalogue (logs_app.fields): the bounds
(BOUNDS, applied by `scalar`), the typed text the "with text" level adds
(TEXT_FIELDS), the reflections that need the mentor's consent
(REFLECTION_FIELDS) and the option lists (OPTION_LISTS, exports.options).
tests/exports/test_export_catalogue.py holds the two together."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from exports.column_types import (
    Column,
    choices_of,
    consented,
    field_label,
    iso_local,
    iso_sql,
    iso_week_of,
    nz_sql,
    option_columns,
    scalar,
    text_sql,
)
from exports.filters import EXPORTABLE_STATUSES
from exports.models import ExportLevel
from exports.options import OptionList
from exports.rights import level_allows
from logs_app.fields import REFLECTION_FIELDS, TEXT_FIELDS
from logs_app.models import InteractionLog
from participants.models import Participant

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
            **text_sql("p.site_code"),
            value=lambda row: row["participant__site__code"],
            constraints={"required": True},
            free_text=True,
        ),
        Column(
            "site_time_zone",
            "string",
            CODED,
            _("The site's time zone (IANA name); all dates and times are local."),
            SYSTEM,
            **text_sql("p.time_zone"),
            value=lambda row: row["participant__site__time_zone"],
            constraints={"required": True},
            free_text=True,
        ),
        Column(
            "cohort",
            "string",
            CODED,
            _("Name of the participant's cohort at the site."),
            SYSTEM,
            **text_sql("p.cohort_name"),
            value=lambda row: row["participant__cohort__name"],
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
            enum=choices_of(Participant.Status.choices),
            constraints={"required": True},
        ),
        scalar(
            "status",
            "string",
            _("Where the log is in review."),
            source=SYSTEM,
            enum=tuple(EXPORTABLE_STATUSES),
            constraints={"required": True},
        ),
        scalar(
            "is_voided",
            "boolean",
            _("1 if an admin voided the log (left out unless asked for)."),
            source=SYSTEM,
            constraints={"required": True},
        ),
        scalar(
            "contact_date",
            "date",
            _("Date of the contact, in the site's clock."),
            constraints={"required": True},
        ),
        scalar("start_time", "time", _("Start time of the contact, site clock.")),
        Column(
            "occurred_at",
            "datetime",
            CODED,
            _("Date and start time as ISO 8601 with the site's UTC offset."),
            _("date and start time"),
            iso_sql("occurred_at"),
            lambda row: iso_local(
                row["occurred_at"], row["participant__site__time_zone"]
            ),
        ),
        Column(
            "iso_week",
            "string",
            CODED,
            _("ISO week of the contact date (site clock), e.g. 2026-W47."),
            _("Date"),
            "to_char(l.contact_date, 'IYYY-\"W\"IW')",
            lambda row: iso_week_of(row["contact_date"]),
            constraints={"required": True},
            pattern=r"^\d{4}-W\d{2}$",
        ),
        scalar(
            "duration_minutes",
            "integer",
            _("Length of the contact in minutes."),
        ),
        scalar(
            "mode",
            "string",
            _("How the contact happened."),
            enum=choices_of(log.Mode.choices),
            constraints={"required": True},
        ),
        scalar(
            "outcome",
            "string",
            _("What happened: a meeting or an attempt."),
            enum=choices_of(log.Outcome.choices),
            constraints={"required": True},
        ),
    ]


def _reflections() -> list[tuple[int, str]]:
    """The reflections, numbered as the codebook names them (1, 2, ...)."""
    return list(enumerate(REFLECTION_FIELDS, start=1))


def _answered(number: int, name: str) -> Column:
    """1 if reflection `number` was answered; NULL without the mentor's consent."""
    return Column(
        f"has_{name}",
        "boolean",
        CODED,
        _(
            "1 if reflection %(number)d was answered; empty without the mentor's "
            "consent."
        )
        % {"number": number},
        field_label(name),
        "CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
        f"ELSE (l.{name} <> '')::int END",
        lambda row: (row[name] != "") if consented(row) else None,
    )


def _measure_columns() -> list[Column]:
    log = InteractionLog
    return [
        scalar("co_ppm", "integer", _("Carbon monoxide breath reading (ppm).")),
        scalar("cigarettes_per_day", "integer", _("Cigarettes per day, as reported.")),
        scalar(
            "stage_of_change",
            "string",
            _("Stage of change."),
            enum=choices_of(log.Stage.choices),
        ),
        scalar("quit_date", "date", _("Quit date set, if any.")),
        scalar(
            "nrt_in_use",
            "string",
            _("Using nicotine replacement therapy."),
            enum=choices_of(log.YesNo.choices),
        ),
        scalar(
            "last_goal_outcome",
            "string",
            _("How last week's goal went."),
            enum=choices_of(log.GoalOutcome.choices),
        ),
        Column(
            "has_weekly_goal",
            "boolean",
            CODED,
            _("1 if a goal for the week was written down (text at 'with text')."),
            field_label("weekly_goal"),
            "(l.weekly_goal <> '')::int",
            lambda row: row["weekly_goal"] != "",
            constraints={"required": True},
        ),
        scalar(
            "discuss_in_supervision",
            "boolean",
            _("1 if the mentor asked to discuss this in supervision."),
            constraints={"required": True},
        ),
        scalar(
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
            consented,
            constraints={"required": True},
        ),
        *(_answered(number, name) for number, name in _reflections()),
        Column(
            "submitted_at",
            "datetime",
            CODED,
            _("When the log was first submitted (site clock, with offset)."),
            SYSTEM,
            iso_sql("submitted_at"),
            lambda row: iso_local(
                row["submitted_at"], row["participant__site__time_zone"]
            ),
        ),
        Column(
            "reviewed_at",
            "datetime",
            CODED,
            _("When the supervisor marked it reviewed (site clock, with offset)."),
            SYSTEM,
            iso_sql("reviewed_at"),
            lambda row: iso_local(
                row["reviewed_at"], row["participant__site__time_zone"]
            ),
        ),
    ]


# What each typed text column means (the codebook's words). Which columns
# there are is TEXT_FIELDS; reflections are numbered instead (_reflections).
TEXT_MEANINGS = {
    "place": _("Where the contact happened."),
    "weekly_goal": _("The goal agreed for the week."),
    "narrative": _("The mentor's summary of the contact."),
}


def _reflection(number: int, name: str) -> Column:
    return scalar(
        name,
        "string",
        _("Reflection %(number)d, only where the mentor consented to research use.")
        % {"number": number},
        sql=f"CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
        f"ELSE {nz_sql('l.' + name)} END",
        typed_sql=f"CASE WHEN m.reflections_consent_at IS NULL THEN NULL "
        f"ELSE NULLIF(l.{name}, '') END",
        value=lambda row: row[name] if consented(row) else None,
    )


def _text_columns() -> list[Column]:
    number = {name: number for number, name in _reflections()}
    return [
        *(
            _reflection(number[name], name)
            if name in number
            else scalar(name, "string", TEXT_MEANINGS[name])
            for name in TEXT_FIELDS
        ),
        scalar(
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
            **text_sql("p.study_id"),
            value=lambda row: row["participant__study_id"],
            free_text=True,
        ),
        Column(
            "participant_preferred_name",
            "string",
            FULL,
            _("The participant's preferred name (full level only)."),
            _("Participant"),
            **text_sql("p.preferred_name"),
            value=lambda row: row["participant__preferred_name"],
            free_text=True,
        ),
    ]


def wide_columns(level: str, sets: list[OptionList]) -> list[Column]:
    """The columns of the one-row-per-log file at `level`, in file order:
    coded columns first (so every level's file starts the same way)."""
    lists, hots = option_columns(sets)
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

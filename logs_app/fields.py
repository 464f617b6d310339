"""The interaction log's field catalogue: which fields a log records, which only
make sense when the meeting happened, which are free text, and the bounds of
the numbers. One list, read by every place that needs it:

- the model's check constraints (`bound_constraints`),
- the form (its field rules, widgets' min/max and help texts),
- the history (`logs_app.history`: what a revision tracks),
- the autosave and error reports (free text never reaches them),
- the log and review pages (reflections are shown only to their readers),
- the admin (free text is not shown), the demo data, and the export schema
  (`exports.columns`: which columns are text, reflections, bounded; the option
  lists' names in the files).

Plain data: the model imports this module, so it imports no model."""

from dataclasses import dataclass

from django.db.models import CheckConstraint, Q
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

# Fields copied from a validated form onto the log, and tracked in history, in
# the order the history lists them.
SCALAR_FIELDS = (
    "participant",
    "contact_date",
    "start_time",
    "duration_minutes",
    "mode",
    "place",
    "outcome",
    "co_ppm",
    "cigarettes_per_day",
    "stage_of_change",
    "quit_date",
    "nrt_in_use",
    "weekly_goal",
    "last_goal_outcome",
    "narrative",
    "reflection_feelings",
    "reflection_concerns",
    "concern",
    "discuss_in_supervision",
    "safety_concern",
)


@dataclass(frozen=True)
class OptionField:
    """An admin-editable option list a log links to (many-to-many): the form's
    question, and its names in the research export."""

    name: str  # the log's many-to-many field
    question: str  # the form's label, and the export's "form question"
    export_key: str  # its option_list value in the export's long file
    export_prefix: str  # its one-hot column prefix in the export's wide file


# In form order, which is the export's order too.
OPTION_LISTS = (
    OptionField("techniques", _("What you did together"), "technique", "tech_"),
    OptionField("topics", _("What you talked about"), "topic", "topic_"),
    OptionField(
        "role_functions",
        _("What this contact was mostly about for you as a mentor"),
        "role_function",
        "role_",
    ),
)
OPTION_FIELDS = tuple(option.name for option in OPTION_LISTS)
# What a LogRevision records.
TRACKED_FIELDS = SCALAR_FIELDS + OPTION_FIELDS + ("status",)

# Fields that only make sense when the meeting happened; an attempt (no answer,
# cancelled, no-show) drops them. The form's "data-meeting-only" sections hold
# exactly these.
MEETING_ONLY_FIELDS = (
    *OPTION_FIELDS,
    "co_ppm",
    "cigarettes_per_day",
    "stage_of_change",
    "quit_date",
    "nrt_in_use",
    "weekly_goal",
    "last_goal_outcome",
)

# What a log needs before it can be submitted (a draft needs none of it), each
# with its own message: an empty submit names every problem once, in words
# that say what to do (issue 13). The form marks these fields as required.
SUBMIT_REQUIRED = {
    "participant": _("Choose who the contact was with."),
    "contact_date": _("Enter the date of the contact."),
    "mode": _("Choose how you connected."),
}
# Needed too when the meeting happened; an attempt (no answer, cancelled,
# no-show) is filed without them.
MEETING_REQUIRED = {
    "start_time": _("Enter the time the contact started."),
    "duration_minutes": _("Enter how long the contact lasted, in minutes."),
    "narrative": _("Write a few sentences about the contact."),
}

# The mentor's reflections: theirs, their supervisor's and admins' to read
# (research staff's with consent); left out of the history shown to others.
# The concern (issue 14) is one: free text in the mentor's words about the
# contact, read like the others and exported only with consent.
REFLECTION_FIELDS = ("reflection_feelings", "reflection_concerns", "concern")
# What a mentor types in their own words (may name people and health details):
# never in error reports (AUD-5), the admin, audit rows or mail.
FREE_TEXT_FIELDS = ("narrative", *REFLECTION_FIELDS, "weekly_goal")
# Typed text that is short and not in the mentor's own words: shown in the
# admin and the history like any other field.
SHORT_TEXT_FIELDS = ("place",)
# Everything the mentor types, in form (SCALAR_FIELDS) order: the export's
# "with text" level adds exactly these, neutralised against formulas.
TEXT_FIELDS = tuple(
    name for name in SCALAR_FIELDS if name in {*FREE_TEXT_FIELDS, *SHORT_TEXT_FIELDS}
)


@dataclass(frozen=True)
class Bound:
    """The range of a number on a log; None stays allowed (not asked)."""

    minimum: int
    maximum: int
    constraint: str  # the check constraint's name in the database
    message: str  # the form's error, with %(minimum)d and %(maximum)d
    help_text: str = ""  # the form's hint, with the same placeholders

    def contains(self, value: int) -> bool:
        return self.minimum <= value <= self.maximum

    @property
    def error(self) -> str:
        return _filled(self.message, self.minimum, self.maximum)

    @property
    def hint(self) -> str:
        """Lazy: the form's class reads it at import, before any language."""
        return _filled(self.help_text, self.minimum, self.maximum)


def _fill(text: str, minimum: int, maximum: int) -> str:
    return str(text) % {"minimum": minimum, "maximum": maximum}


_filled = lazy(_fill, str)


BOUNDS = {
    "duration_minutes": Bound(
        1,
        600,
        "log_duration_1_600",
        _("Enter a length between %(minimum)d and %(maximum)d minutes."),
    ),
    "co_ppm": Bound(
        0,
        150,
        "log_co_0_150",
        _("A CO reading is between %(minimum)d and %(maximum)d ppm."),
        _("Breath test reading, %(minimum)d–%(maximum)d."),
    ),
    "cigarettes_per_day": Bound(
        0,
        120,
        "log_cigarettes_0_120",
        _("Enter a number between %(minimum)d and %(maximum)d."),
        _("What they told you, %(minimum)d–%(maximum)d."),
    ),
}


def bound_constraints() -> list[CheckConstraint]:
    """The bounds as database checks. A minimum of 0 needs no check of its own:
    the columns are positive integers."""
    checks = []
    for name, bound in BOUNDS.items():
        in_range = {f"{name}__lte": bound.maximum}
        if bound.minimum > 0:
            in_range[f"{name}__gte"] = bound.minimum
        checks.append(
            CheckConstraint(
                condition=Q(**{f"{name}__isnull": True}) | Q(**in_range),
                name=bound.constraint,
            )
        )
    return checks

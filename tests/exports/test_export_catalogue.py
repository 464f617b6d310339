"""The export's columns follow the log's field catalogue (logs_app.fields): a
field the catalogue adds, or calls free text, a reflection or a bounded
number, fails here until the export writes it that way (issue 12)."""

import pytest

from exports.column_types import Column, nz_sql
from exports.columns import TEXT_MEANINGS, wide_columns
from exports.models import ExportLevel
from exports.options import option_sets
from logs_app.fields import (
    BOUNDS,
    FREE_TEXT_FIELDS,
    OPTION_LISTS,
    REFLECTION_FIELDS,
    SCALAR_FIELDS,
    TEXT_FIELDS,
)

CODED, TEXT, FULL = ExportLevel.CODED, ExportLevel.TEXT, ExportLevel.FULL


def _columns(level: str) -> dict:
    return {column.name: column for column in wide_columns(level, [])}


def test_every_field_of_the_catalogue_is_exported():
    """As itself, or (the participant) as its pseudonym."""
    full = _columns(FULL)
    missing = [
        name
        for name in SCALAR_FIELDS
        if name not in full and f"{name}_code" not in full
    ]
    assert missing == []


def test_text_level_adds_exactly_the_catalogues_typed_text():
    coded, text = _columns(CODED), _columns(TEXT)
    added = {name for name in text if name not in coded}
    # void_reason: typed by an admin, not on the log form.
    assert added == {*TEXT_FIELDS, "void_reason"}
    assert set(FREE_TEXT_FIELDS) <= added
    assert all(text[name].free_text for name in added)  # neutralised (EXP-5)
    assert set(TEXT_MEANINGS) == set(TEXT_FIELDS) - set(REFLECTION_FIELDS)


def test_coded_level_holds_no_free_text():
    assert not set(_columns(CODED)) & set(TEXT_FIELDS)


@pytest.mark.parametrize("name", REFLECTION_FIELDS)
def test_reflections_need_the_mentors_consent(name):
    withheld = {name: "I felt it too.", "mentor__reflections_consent_at": None}
    given = {**withheld, "mentor__reflections_consent_at": "2026-01-01"}
    for column in (_columns(TEXT)[name], _columns(CODED)[f"has_{name}"]):
        assert "m.reflections_consent_at IS NULL THEN NULL" in column.sql
        # The read API's JSON (typed_sql) withholds it the same way.
        typed = column.typed_sql or column.sql
        assert "m.reflections_consent_at IS NULL THEN NULL" in typed
        assert column.value(withheld) is None
        assert column.value(given) in ("I felt it too.", True)


def test_only_the_catalogues_reflections_have_answered_flags():
    # The other free text's flag (the weekly goal's) is not a reflection.
    flags = {name for name in _columns(CODED) if name.startswith("has_")}
    assert flags - {"has_weekly_goal"} == {f"has_{name}" for name in REFLECTION_FIELDS}
    assert "has_concern" in flags  # issue 14: the concern is exported like them


def test_bounded_numbers_carry_the_catalogue_bounds():
    full = _columns(FULL)
    bounded = {name for name, c in full.items() if "maximum" in c.constraints}
    assert bounded == set(BOUNDS)
    for name, bound in BOUNDS.items():
        assert full[name].constraints["minimum"] == bound.minimum
        assert full[name].constraints["maximum"] == bound.maximum


@pytest.mark.django_db
def test_option_lists_are_the_catalogues():
    exported = [(o.field, o.key, o.prefix, o.question) for o in option_sets()]
    assert exported == [
        (o.name, o.export_key, o.export_prefix, o.question) for o in OPTION_LISTS
    ]


def test_every_free_text_column_has_its_text_as_typed_too(db):
    """The read API's JSON gives free text as typed (issue 16): each column
    the file neutralises also says how to read it without the neutraliser,
    and a column that forgets cannot be built."""
    neutraliser = nz_sql("x").split("x")[0]
    for column in wide_columns(FULL, option_sets()):
        if column.free_text:
            assert column.typed_sql, column.name
            assert neutraliser not in column.typed_sql, column.name
    with pytest.raises(ValueError, match="typed_sql"):
        Column("x", "string", CODED, "", "", "l.x", lambda row: None, free_text=True)

"""The frozen records of a REFI-QDA project export, which analysis/refi.py writes
as a ``.qdpx``.

A pure module: no models, no database. The lead's export service maps the
analysis models onto these records:

- `Project`: name, description (the research question), when it was created and
  by whom, when it was exported and by whom, and everything below.
- `User`: a GUID and a display name (a pseudonymous coder label or a username).
- `Codebook` / `Code`: a tree of codes; a category is a code with children
  (``is_codable=False``); each code's definition, when to use, when not to use
  and example are kept apart in its Description (see refi_codebook).
- `TextSource`: one text (a reflection), its plain text, who brought it in and
  when; its `Selection` s (start and end positions, who, when), each with its
  `Coding` s (a code GUID and the coder). A `Coding` straight on the source
  codes the whole text; some desktop tools import only codings on selections,
  so a whole-answer code may travel better as a selection from 0 to
  ``len(text)``.
- `Note`: a memo (name, text, who, when); ``about`` lists the GUIDs of the
  sources, selections, codings or codes it is about, which the file records as
  a NoteRef inside each of them.
- `Case`: a pseudonym and a description, with the GUIDs of its texts and its
  `VariableValue` s; `Variable`: a name and a `VariableType`. A source can carry
  values too (a log's date and contact type belong to the text, a mentor's
  site and cohort to the case; the lead chooses).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from analysis.refi_codebook import Codebook

VariableValueData = str | bool | int | float | Decimal | dt.date | dt.datetime


class VariableType(StrEnum):
    """The typeOfVariable values of Project.xsd."""

    TEXT = "Text"
    BOOLEAN = "Boolean"
    INTEGER = "Integer"
    FLOAT = "Float"
    DATE = "Date"
    DATETIME = "DateTime"


@dataclass(frozen=True)
class User:
    guid: str
    name: str


@dataclass(frozen=True)
class Coding:
    """One coder's code on a selection (or on a whole source)."""

    guid: str
    code_guid: str
    user_guid: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Selection:
    """A passage: code points ``start`` (inclusive) to ``end`` (exclusive)."""

    guid: str
    start: int
    end: int
    user_guid: str | None = None
    created_at: dt.datetime | None = None
    codings: tuple[Coding, ...] = ()


@dataclass(frozen=True)
class Variable:
    guid: str
    name: str
    type: VariableType
    description: str = ""


@dataclass(frozen=True)
class VariableValue:
    """A value of a variable; a missing value is left out, not written empty."""

    variable_guid: str
    value: VariableValueData


@dataclass(frozen=True)
class TextSource:
    guid: str
    name: str
    text: str
    user_guid: str | None = None
    created_at: dt.datetime | None = None
    selections: tuple[Selection, ...] = ()
    codings: tuple[Coding, ...] = ()
    values: tuple[VariableValue, ...] = ()


@dataclass(frozen=True)
class Note:
    guid: str
    name: str
    text: str
    user_guid: str | None = None
    created_at: dt.datetime | None = None
    about: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    guid: str
    name: str
    description: str = ""
    source_guids: tuple[str, ...] = ()
    values: tuple[VariableValue, ...] = ()


@dataclass(frozen=True)
class Project:
    name: str
    description: str = ""
    created_at: dt.datetime | None = None
    created_by: str | None = None
    exported_at: dt.datetime | None = None
    exported_by: str | None = None
    users: tuple[User, ...] = ()
    codebook: Codebook = field(default_factory=Codebook)
    variables: tuple[Variable, ...] = ()
    cases: tuple[Case, ...] = ()
    sources: tuple[TextSource, ...] = ()
    notes: tuple[Note, ...] = ()

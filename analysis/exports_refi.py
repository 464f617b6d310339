"""A project as REFI-QDA files (issue 15): the whole project as a `.qdpx`
for NVivo, ATLAS.ti, MAXQDA or QualCoder, and its codebook as a `.qdc`.

Mapping (analysis.refi_records):
- sources: the included texts, masked, named "T<id> · <participant pseudonym>
  · <date>", with the log's contact date, contact type and role functions as
  values; each coder's codings as selections (a whole-answer code as a
  selection of the whole text, which desktop tools import most reliably);
- cases: the participants and mentors by their keyed pseudonyms, with the site
  and cohort, each pointing at its texts;
- users: the coders by username, with GUIDs made for the file;
- the codebook: categories as codes that hold codes (not codable);
- notes: the memos, on their text or code, or on the project.
With blind coding on, codings and memos on a text leave only once every
coder has finished it (the texts themselves always do).
Positions are code points of the text (Python string indexes). Each export is
audited with the file's SHA-256."""

import datetime as dt
import hashlib
import uuid
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from analysis.consensus import finished_ids
from analysis.models import Category, Code, Coding, Memo, Project, Text
from analysis.refi import write_qdpx
from analysis.refi_codebook import Code as RefiCode
from analysis.refi_codebook import Codebook, write_qdc
from analysis.refi_records import (
    Case,
    Note,
    Selection,
    TextSource,
    User,
    Variable,
    VariableType,
    VariableValue,
)
from analysis.refi_records import Coding as RefiCoding
from analysis.refi_records import Project as RefiProject
from audit.services import audit_record

VARIABLES = {
    name: Variable(guid=str(uuid.uuid4()), name=name, type=kind)
    for name, kind in (
        ("Contact date", VariableType.DATE),
        ("Contact type", VariableType.TEXT),
        ("Role functions", VariableType.TEXT),
        ("Person", VariableType.TEXT),
        ("Site", VariableType.TEXT),
        ("Cohort", VariableType.TEXT),
    )
}


def codebook_of(project: Project) -> Codebook:
    """The project's codes, grouped under their categories."""
    codes = list(Code.objects.filter(project=project).order_by("position", "pk"))
    by_category: dict[int | None, list[Code]] = defaultdict(list)
    for code in codes:
        by_category[code.category_id].append(code)
    tree = [
        RefiCode(
            guid=str(category.guid),
            name=category.name,
            is_codable=False,
            definition=category.description,
            children=tuple(_refi_code(code) for code in by_category[category.pk]),
        )
        for category in Category.objects.filter(project=project)
        if by_category[category.pk]
    ]
    tree += [_refi_code(code) for code in by_category[None]]
    return Codebook(codes=tuple(tree))


def _refi_code(code: Code) -> RefiCode:
    return RefiCode(
        guid=str(code.guid),
        name=code.name,
        color=code.color,
        definition=code.definition,
        when_to_use=code.when_to_use,
        when_not_to_use=code.when_not_to_use,
        example=code.example,
    )


def _value(name: str, value) -> tuple[VariableValue, ...]:
    if value in ("", None):
        return ()
    return (VariableValue(variable_guid=VARIABLES[name].guid, value=value),)


def project_record(project: Project, *, exporter) -> RefiProject:
    texts = list(
        Text.objects.filter(project=project, screening=Text.Screening.INCLUDED)
        .select_related("site", "cohort")
        .order_by("pk")
    )
    codings = defaultdict(list)
    coder_ids = set()
    for coding in (
        _open_to_all(project, Coding.objects.filter(text__in=[t.pk for t in texts]))
        .select_related("code")
        .order_by("text_id", "pk")
    ):
        codings[coding.text_id].append(coding)
        coder_ids.add(coding.coder_id)
    users = {
        user.pk: User(guid=str(uuid.uuid4()), name=user.get_username())
        for user in get_user_model().objects.filter(pk__in=coder_ids | {exporter.pk})
    }
    sources = [_source(text, codings[text.pk], users) for text in texts]
    return RefiProject(
        name=project.name,
        description=project.question,
        created_at=project.created_at,
        exported_at=timezone.now(),
        exported_by=users[exporter.pk].guid,
        users=tuple(users.values()),
        codebook=codebook_of(project),
        variables=tuple(VARIABLES.values()),
        cases=tuple(_cases(texts)),
        sources=tuple(sources),
        notes=tuple(_notes(project, users, exporter)),
    )


def _source(text: Text, codings: list[Coding], users: dict) -> TextSource:
    selections = []
    for coding in codings:
        start, end = (
            (coding.start, coding.end)
            if coding.start is not None
            else (0, len(text.body))
        )
        if start >= end:
            continue  # an empty answer has nothing to select
        user = users[coding.coder_id].guid
        selections.append(
            Selection(
                guid=str(coding.guid),
                start=start,
                end=end,
                user_guid=user,
                created_at=coding.created_at,
                codings=(
                    RefiCoding(
                        guid=str(uuid.uuid4()),
                        code_guid=str(coding.code.guid),
                        user_guid=user,
                        created_at=coding.created_at,
                    ),
                ),
            )
        )
    return TextSource(
        guid=str(text.guid),
        name=f"T{text.pk} · {text.participant_key} · {text.contact_date.isoformat()}",
        text=text.body,
        created_at=text.added_at,
        selections=tuple(selections),
        values=(
            *_value("Contact date", text.contact_date),
            *_value("Contact type", text.contact_mode),
            *_value("Role functions", "; ".join(text.role_functions)),
        ),
    )


def _cases(texts: list[Text]) -> list[Case]:
    people: dict[str, dict] = {}
    for text in texts:
        for key, kind in (
            (text.participant_key, "participant"),
            (text.mentor_key, "mentor"),
        ):
            person = people.setdefault(
                key, {"kind": kind, "site": text.site.code, "cohort": "", "texts": []}
            )
            if kind == "participant" and text.cohort:
                person["cohort"] = text.cohort.name
            person["texts"].append(str(text.guid))
    return [
        Case(
            guid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"peerlog-case:{key}")),
            name=key,
            source_guids=tuple(person["texts"]),
            values=(
                *_value("Person", person["kind"]),
                *_value("Site", person["site"]),
                *_value("Cohort", person["cohort"]),
            ),
        )
        for key, person in people.items()
    ]


def _open_to_all(project: Project, rows):
    """With blind coding, only what is on texts every coder has finished: the
    file goes to any member, and must not show a coder the codes or memos of
    another on a text they are both still coding (analysis.coding)."""
    if not project.blinded:
        return rows
    return rows.filter(Q(text__isnull=True) | Q(text_id__in=finished_ids(project)))


def _notes(project: Project, users: dict, exporter) -> list[Note]:
    notes = []
    memos = _open_to_all(project, Memo.objects.filter(project=project)).select_related(
        "text", "code"
    )
    for memo in memos:
        if memo.text_id and memo.text.screening != Text.Screening.INCLUDED:
            continue  # its text is not in the file
        about = (
            (str(memo.text.guid),)
            if memo.text_id
            else (str(memo.code.guid),)
            if memo.code_id
            else ()
        )
        author = users.get(memo.author_id) or users[exporter.pk]
        notes.append(
            Note(
                guid=str(memo.guid),
                name=f"Memo {memo.pk}",
                text=memo.body,
                user_guid=author.guid,
                created_at=memo.created_at,
                about=about,
            )
        )
    return notes


def _audited(*, actor, project: Project, kind: str, data: bytes) -> bytes:
    audit_record(
        actor=actor,
        action="analysis.export",
        obj=project,
        details={
            "format": kind,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    return data


def qdpx_export(*, actor, project: Project) -> bytes:
    data = write_qdpx(project_record(project, exporter=actor))
    return _audited(actor=actor, project=project, kind="qdpx", data=data)


def qdc_export(*, actor, project: Project) -> bytes:
    data = write_qdc(codebook_of(project))
    return _audited(actor=actor, project=project, kind="qdc", data=data)


def export_filename(
    project: Project, suffix: str, now: dt.datetime | None = None
) -> str:
    stamp = (now or timezone.now()).strftime("%Y%m%d")
    return f"peerlog-analysis-{project.pk}-{stamp}.{suffix}"

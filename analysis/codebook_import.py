"""Importing a REFI-QDA codebook (.qdc) into a project's codebook (issue 15),
as one new codebook version with the lead's reason.

A top-level code that holds codes becomes a category (its definition the
category's description) and its codes, at any depth, the category's codes; a
deeper code is named "Parent / Child" so its place is not lost. A top-level
code without children is a code without a category. A name the codebook
already has (ignoring case) is skipped and reported, never overwritten; so is
a second code of the same name in the file. A code's GUID is kept unless some
code already uses it, so a codebook exported from here and imported into
another project keeps pointing at the same codes in desktop tools."""

import uuid
from dataclasses import dataclass

from analysis.codebook import COLOUR, next_position, versioned_change
from analysis.models import Category, Code, CodebookVersion, Project
from analysis.refi_codebook import Code as RefiCode
from analysis.refi_codebook import Codebook

NO_DEFINITION = "Imported without a definition: add one before coding with it."
DEFAULT_COLOUR = "#0d6efd"


@dataclass(frozen=True)
class ImportResult:
    version: CodebookVersion
    categories: int
    codes: int
    skipped: list[str]


def _colour(value: str | None) -> str:
    if not value:
        return DEFAULT_COLOUR
    value = value.lower()
    if len(value) == 4:  # #rgb
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value if COLOUR.fullmatch(value) else DEFAULT_COLOUR


def _flatten(code: RefiCode, prefix: str = "") -> list[tuple[str, RefiCode]]:
    name = f"{prefix}{code.name}"
    rows = [(name, code)] if code.is_codable or not code.children else []
    for child in code.children:
        rows += _flatten(child, f"{name} / ")
    return rows


def codebook_import(
    *, actor, project: Project, codebook: Codebook, reason: str
) -> ImportResult:
    taken = {
        name.casefold()
        for name in Code.objects.filter(project=project).values_list("name", flat=True)
    }
    taken_categories = {
        name.casefold()
        for name in Category.objects.filter(project=project).values_list(
            "name", flat=True
        )
    }
    used_guids = {str(g) for g in Code.objects.values_list("guid", flat=True)}
    counts = {"categories": 0, "codes": 0}
    skipped: list[str] = []

    def add_code(name: str, refi: RefiCode, category: Category | None, number: int):
        if name.casefold() in taken:
            skipped.append(name)
            return
        taken.add(name.casefold())
        guid = refi.guid if refi.guid not in used_guids else str(uuid.uuid4())
        used_guids.add(guid)
        Code.objects.create(
            project=project,
            category=category,
            name=name[:120],
            definition=refi.definition or NO_DEFINITION,
            when_to_use=refi.when_to_use,
            when_not_to_use=refi.when_not_to_use,
            example=refi.example,
            color=_colour(refi.color),
            position=next_position(Code, project),
            added_in=number,
            changed_in=number,
            guid=uuid.UUID(guid),
        )
        counts["codes"] += 1

    def change(number: int) -> None:
        for top in codebook.codes:
            if not top.children:
                add_code(top.name, top, None, number)
                continue
            category = Category.objects.filter(
                project=project, name__iexact=top.name
            ).first()
            if category is None and top.name.casefold() not in taken_categories:
                category = Category.objects.create(
                    project=project,
                    name=top.name[:120],
                    description=top.definition,
                    position=next_position(Category, project),
                )
                counts["categories"] += 1
            if top.is_codable:
                add_code(top.name, top, category, number)
            for child in top.children:
                for name, code in _flatten(child):
                    add_code(name, code, category, number)

    version = versioned_change(
        actor=actor,
        project=project,
        reason=reason,
        action="analysis.codebook.import",
        change=change,
        details={"source": "qdc"},
    )
    return ImportResult(version=version, skipped=skipped, **counts)

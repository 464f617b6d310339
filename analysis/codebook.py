"""Changes to a project's codebook (issue 15): every change is a new version.

Each service below runs `versioned_change`: in one transaction it locks the
project's row (so two leads saving at once queue, and version numbers never
repeat), applies the change under the next version number, stores the reason
and a snapshot of every category and code as they then stand, and writes the
audit row. Codes are never deleted: a code with codings is history, so it is
retired (`active=False`) and no longer offered for coding."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from analysis.models import Category, Code, CodebookVersion, Project
from audit.services import audit_record

CODE_FIELDS = (
    "name",
    "definition",
    "when_to_use",
    "when_not_to_use",
    "example",
    "color",
)
COLOUR = re.compile(r"#[0-9a-f]{6}")


def codebook_snapshot(project: Project) -> dict[str, list[dict[str, Any]]]:
    """The categories and codes as they stand, in their order (two queries)."""
    categories = [
        {
            "guid": str(c.guid),
            "name": c.name,
            "description": c.description,
            "position": c.position,
        }
        for c in Category.objects.filter(project=project)
    ]
    codes = [
        {
            "guid": str(c.guid),
            "category": str(c.category.guid) if c.category else None,
            **{f: getattr(c, f) for f in CODE_FIELDS},
            "position": c.position,
            "active": c.active,
        }
        for c in Code.objects.filter(project=project).select_related("category")
    ]
    return {"categories": categories, "codes": codes}


def versioned_change(
    *,
    actor,
    project: Project,
    reason: str,
    action: str,
    change: Callable[[int], Any],
    details: dict[str, Any],
) -> CodebookVersion:
    """Apply `change(number)` as codebook version `number` (the next one),
    with its reason and snapshot, and audit it; all or nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the codebook changes.")})
    with transaction.atomic():
        # The lock serialises concurrent changes of one project's codebook.
        Project.objects.select_for_update().only("pk").get(pk=project.pk)
        last = CodebookVersion.objects.filter(project=project).aggregate(
            n=Max("number")
        )["n"]
        number = (last or 0) + 1
        obj = change(number)
        version = CodebookVersion.objects.create(
            project=project,
            number=number,
            reason=reason,
            created_by=actor,
            snapshot=codebook_snapshot(project),
        )
        audit_record(
            actor=actor,
            action=action,
            obj=project,
            details={"version": number, "object": getattr(obj, "pk", None)} | details,
        )
    return version


def _check_name(model, project: Project, name: str, exclude_pk=None) -> None:
    taken = model.objects.filter(project=project, name__iexact=name.strip())
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("The codebook already has this name.")})


def current_version(project: Project) -> int:
    """The number of the project's current codebook version (1 if none)."""
    last = CodebookVersion.objects.filter(project=project).aggregate(n=Max("number"))
    return last["n"] or 1


def next_position(model, project: Project) -> int:
    last = model.objects.filter(project=project).aggregate(p=Max("position"))["p"]
    return 0 if last is None else last + 1


def category_save(
    *,
    actor,
    project: Project,
    data: dict[str, Any],
    reason: str,
    category: Category | None = None,
) -> CodebookVersion:
    """Add a category (`category` None) or rename/redescribe one."""
    _check_name(Category, project, data["name"], category and category.pk)

    def change(number: int) -> Category:
        target = category or Category(
            project=project, position=next_position(Category, project)
        )
        target.name = data["name"].strip()
        target.description = data.get("description", "")
        target.save()
        return target

    return versioned_change(
        actor=actor,
        project=project,
        reason=reason,
        action="analysis.codebook.category_" + ("update" if category else "create"),
        change=change,
        details={},
    )


def code_save(
    *,
    actor,
    project: Project,
    data: dict[str, Any],
    reason: str,
    code: Code | None = None,
) -> CodebookVersion:
    """Add a code (`code` None) or change one; `added_in`/`changed_in` say in
    which version."""
    _check_name(Code, project, data["name"], code and code.pk)
    category = data.get("category")
    if category is not None and category.project_id != project.pk:
        raise ValidationError({"category": _("Choose a category of this project.")})

    def change(number: int) -> Code:
        target = code or Code(
            project=project,
            position=next_position(Code, project),
            added_in=number,
        )
        for field in CODE_FIELDS:
            setattr(target, field, (data.get(field) or "").strip())
        target.color = target.color.lower()
        if not COLOUR.fullmatch(target.color):
            raise ValidationError({"color": _("Give a colour as #rrggbb.")})
        target.category = category
        target.changed_in = number
        target.full_clean(exclude=["project", "category"])
        target.save()
        return target

    return versioned_change(
        actor=actor,
        project=project,
        reason=reason,
        action="analysis.codebook.code_" + ("update" if code else "create"),
        change=change,
        details={"fields": sorted(data.keys() & set(CODE_FIELDS))},
    )


def code_set_active(*, actor, code: Code, active: bool, reason: str) -> CodebookVersion:
    """Retire a code (kept with its codings, no longer offered) or restore it."""

    def change(number: int) -> Code:
        code.active = active
        code.changed_in = number
        code.save(update_fields=["active", "changed_in"])
        return code

    return versioned_change(
        actor=actor,
        project=code.project,
        reason=reason,
        action="analysis.codebook.code_" + ("restore" if active else "retire"),
        change=change,
        details={},
    )


def codebook_reorder(
    *, actor, project: Project, order: list[int], reason: str
) -> CodebookVersion:
    """Put the project's codes in the order of `order` (code ids, every code
    of the project once)."""
    codes = {c.pk: c for c in Code.objects.filter(project=project)}
    if sorted(order) != sorted(codes):
        raise ValidationError(_("Give every code of the codebook a place."))

    def change(number: int) -> None:
        for position, pk in enumerate(order):
            codes[pk].position = position
        Code.objects.bulk_update(codes.values(), ["position"])

    return versioned_change(
        actor=actor,
        project=project,
        reason=reason,
        action="analysis.codebook.reorder",
        change=change,
        details={},
    )


# --- what changed between versions -------------------------------------------------
@dataclass(frozen=True)
class Change:
    kind: str  # added, renamed, defined, retired, restored, moved, recoloured
    name: str
    before: str = ""


def _codes_of(snapshot) -> dict[str, dict[str, Any]]:
    if not isinstance(snapshot, dict):  # version 1 of a new project: empty
        return {}
    return {c["guid"]: c for c in snapshot.get("codes", [])}


def _categories_of(snapshot) -> dict[str, dict[str, Any]]:
    if not isinstance(snapshot, dict):
        return {}
    return {c["guid"]: c for c in snapshot.get("categories", [])}


def snapshot_diff(old, new) -> list[Change]:
    """What happened to the categories and codes from snapshot `old` to `new`."""
    changes = []
    was_categories = _categories_of(old)
    for guid, category in _categories_of(new).items():
        was = was_categories.get(guid)
        if was is None:
            changes.append(Change("category_added", category["name"]))
        elif was["name"] != category["name"]:
            changes.append(Change("category_renamed", category["name"], was["name"]))
        elif was["description"] != category["description"]:
            changes.append(Change("category_described", category["name"]))
    before, after = _codes_of(old), _codes_of(new)
    for guid, code in after.items():
        was = before.get(guid)
        if was is None:
            changes.append(Change("added", code["name"]))
            continue
        if was["name"] != code["name"]:
            changes.append(Change("renamed", code["name"], was["name"]))
        if any(
            was[f] != code[f]
            for f in ("definition", "when_to_use", "when_not_to_use", "example")
        ):
            changes.append(Change("defined", code["name"]))
        if was["active"] != code["active"]:
            kind = "restored" if code["active"] else "retired"
            changes.append(Change(kind, code["name"]))
        if was["category"] != code["category"]:
            changes.append(Change("moved", code["name"]))
        if was["color"] != code["color"]:
            changes.append(Change("recoloured", code["name"]))
    order_before = [g for g in before if g in after]
    order_after = [g for g in after if g in before]
    if order_before != order_after:
        changes.append(Change("reordered", ""))
    return changes

"""Enrolment imports (issue 17): a file of participants checked cell by cell
against Peerlog as it is, shown as a plan (rows to add, rows to change with
before -> after, rows already as the file says, errors by row and column),
and applied in one transaction only when it has no error and Peerlog has not
changed since the preview. The same file applied twice changes nothing the
second time: every row is then unchanged.

A blank optional cell leaves an existing participant's value as it is (as
REDCap's import does by default); the template says so. A participant is
never moved between sites by an import, and only sites the importer runs
(programs.permissions.lead_sites) can be named."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from audit.services import audit_record, audit_record_many
from participants.models import Cohort, Participant, Site
from programs.import_files import Table, read_table
from programs.models import ParticipantImport

# The template's columns, in its order; the first four are required.
COLUMNS = [
    "study_id",
    "site",
    "research_consent",
    "enrolled_on",
    "preferred_name",
    "cohort",
    "quit_date",
]
REQUIRED = set(COLUMNS[:4])
# What an import may change on an existing participant.
FIELDS = [
    "preferred_name",
    "cohort",
    "has_research_consent",
    "enrolled_on",
    "quit_date",
]
YES = {"yes", "y", "true", "1", "ja", "si", "sí", "oui"}
NO = {"no", "n", "false", "0", "nein", "non"}
FORMULA_FIRST = tuple("=+-@\t\r")
_STUDY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}").fullmatch
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
SHOWN = 200  # rows of each kind a preview lists


@dataclass
class Plan:
    rows: int = 0
    add: list[dict] = field(default_factory=list)
    change: list[dict] = field(default_factory=list)
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    file_error: str = ""
    sites: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "add": self.add,
            "change": self.change,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "file_error": self.file_error,
            "sites": self.sites,
        }

    @property
    def can_apply(self) -> bool:
        return not self.errors and not self.file_error and bool(self.add or self.change)


# --- cells -------------------------------------------------------------------------
class CellError(ValueError):
    pass


def _text(value: str, *, limit: int) -> str:
    if value.startswith(FORMULA_FIRST):
        raise CellError(
            _("starts with “%(first)s”, which a spreadsheet would run as a formula")
            % {"first": value[:1].replace("\t", "⇥").replace("\r", "↵")}
        )
    if len(value) > limit:
        raise CellError(_("longer than %(limit)s characters") % {"limit": limit})
    return value


def _date(value: str) -> str:
    if _DAY(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise CellError(_("not a date as YYYY-MM-DD (“%(value)s”)") % {"value": value[:40]})


def _consent(value: str) -> bool:
    word = value.strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError(_("yes or no (“%(value)s”)") % {"value": value[:40]})


# --- the plan ----------------------------------------------------------------------
def _header_error(header: list[str]) -> str:
    names = [name.strip().lower() for name in header]
    missing = [name for name in COLUMNS if name in REQUIRED and name not in names]
    unknown = [name for name in names if name and name not in COLUMNS]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    problems = []
    if missing:
        problems.append(_("missing columns: %(names)s") % {"names": ", ".join(missing)})
    if unknown:
        problems.append(
            _("unknown columns: %(names)s") % {"names": ", ".join(unknown[:10])}
        )
    if repeated:
        problems.append(
            _("columns given twice: %(names)s") % {"names": ", ".join(repeated)}
        )
    if problems:
        return (
            _("The header row is not the template's")
            + " ("
            + "; ".join(problems)
            + "). "
            + _("The columns are: %(names)s.") % {"names": ", ".join(COLUMNS)}
        )
    return ""


def build_plan(table: Table, sites: list[Site]) -> Plan:
    """The plan of `table` for someone who runs `sites` (the database read in
    a few queries, whatever the number of rows)."""
    plan = Plan(rows=len(table.rows))
    plan.file_error = _header_error(table.header)
    if plan.file_error:
        return plan
    names = [name.strip().lower() for name in table.header]
    by_code = {site.code.lower(): site for site in Site.objects.all()}
    mine = {site.pk for site in sites}
    cohorts = {
        (cohort.site_id, cohort.name.strip().lower()): cohort
        for cohort in Cohort.objects.all()
    }
    ids = {
        row[names.index("study_id")].strip()
        for _number, row in table.rows
        if len(row) > names.index("study_id")
    }
    # Study IDs match whatever their case: "nyc-0001" in a file is NYC-0001.
    existing = {
        p.study_id.lower(): p
        for p in Participant.objects.annotate(key=Lower("study_id"))
        .filter(key__in={i.lower() for i in ids})
        .select_related("cohort")
    }
    first_row: dict[str, int] = {}
    touched: set[int] = set()
    for number, cells in table.rows:
        values = {
            name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)
        }
        row, errors = _row(values, by_code, mine, cohorts)
        extra = [
            i
            for i, cell in enumerate(cells)
            if cell and (i >= len(names) or not names[i])
        ]
        if extra:
            errors.append(
                (
                    "—",
                    _(
                        "a value past the template's columns (column %(n)s): a comma "
                        "inside a value that is not in quotes?"
                    )
                    % {"n": extra[0] + 1},
                )
            )
        key = row.get("study_id", "").lower()
        if key:
            if key in first_row:
                errors.append(
                    ("study_id", _("also in row %(row)s") % {"row": first_row[key]})
                )
            else:
                first_row[key] = number
        current = existing.get(key)
        if current is not None and "site" in row and not errors:
            if current.site_id != row["site"]:
                errors.append(
                    ("site", _("this study ID is a participant at another site"))
                )
            elif current.site_id not in mine:
                errors.append(("site", _("not a site you run")))
        for column, message in errors:
            plan.errors.append(
                {
                    "row": number,
                    "column": column,
                    "value": values.get(column, "")[:80],
                    "message": message,
                }
            )
        if errors:
            continue
        touched.add(row["site"])
        if current is None:
            plan.add.append(row)
            continue
        changes = _changes(current, row)
        if "has_research_consent" in changes:
            plan.errors.append(
                {
                    "row": number,
                    "column": "research_consent",
                    "value": values.get("research_consent", "")[:80],
                    "message": _(
                        "differs from Peerlog's: change consent on the participant's "
                        "page, where a withdrawal takes them out of analysis too"
                    ),
                }
            )
            continue
        if changes:
            plan.change.append({"study_id": current.study_id, "changes": changes})
        else:
            plan.unchanged += 1
    plan.sites = sorted(touched)
    return plan


def _row(values, by_code, mine, cohorts) -> tuple[dict, list[tuple[str, str]]]:
    """One row's values as the plan holds them, and its errors by column."""
    row: dict = {}
    errors: list[tuple[str, str]] = []

    def check(column, read):
        raw = values.get(column, "").strip()
        try:
            return read(raw)
        except CellError as error:
            errors.append((column, str(error)))
            return None

    study_id = values.get("study_id", "").strip()
    if not study_id:
        errors.append(("study_id", _("required")))
    elif not _STUDY_ID(study_id):
        errors.append(
            (
                "study_id",
                _(
                    "letters, digits, “.”, “_” or “-”, starting with a letter "
                    "or digit, at most 32"
                ),
            )
        )
    else:
        row["study_id"] = study_id
    code = values.get("site", "").strip().lower()
    site = by_code.get(code)
    if not code:
        errors.append(("site", _("required")))
    elif site is None:
        errors.append(("site", _("no site has this code")))
    elif site.pk not in mine:
        errors.append(("site", _("not a site you run")))
    else:
        row["site"] = site.pk
    consent = values.get("research_consent", "").strip()
    if not consent:
        errors.append(("research_consent", _("required: yes or no")))
    else:
        value = check("research_consent", _consent)
        if value is not None:
            row["has_research_consent"] = value
    enrolled = values.get("enrolled_on", "").strip()
    if not enrolled:
        errors.append(("enrolled_on", _("required")))
    else:
        value = check("enrolled_on", _date)
        if value is not None:
            row["enrolled_on"] = value
    name = values.get("preferred_name", "").strip()
    if name:
        value = check("preferred_name", lambda raw: _text(raw, limit=80))
        if value is not None:
            row["preferred_name"] = value
    cohort_name = values.get("cohort", "").strip()
    if cohort_name and site is not None:
        cohort = cohorts.get((site.pk, cohort_name.lower()))
        if cohort is None:
            errors.append(
                (
                    "cohort",
                    _("no cohort of this name at %(site)s") % {"site": site.code},
                )
            )
        else:
            row["cohort"] = cohort.pk
            row["cohort_name"] = cohort.name
    quit_day = values.get("quit_date", "").strip()
    if quit_day:
        value = check("quit_date", _date)
        if value is not None:
            row["quit_date"] = value
            if row.get("enrolled_on") and value < row["enrolled_on"]:
                errors.append(("quit_date", _("before the enrolment date")))
    return row, errors


def _current(participant: Participant) -> dict:
    return {
        "preferred_name": participant.preferred_name,
        "cohort": participant.cohort_id,
        "has_research_consent": participant.has_research_consent,
        "enrolled_on": participant.enrolled_on.isoformat(),
        "quit_date": participant.quit_date.isoformat()
        if participant.quit_date
        else None,
    }


def _changes(participant: Participant, row: dict) -> dict:
    """field -> [before, after] for what the row sets differently (a blank
    optional cell sets nothing)."""
    now = _current(participant)
    changes = {}
    for name in FIELDS:
        if name == "preferred_name" and participant.erased_at is not None:
            # Erased on request (programs.erasure): the trial's file still
            # holds the name, and an import never writes it back.
            continue
        if name in row and row[name] != now[name]:
            changes[name] = [now[name], row[name]]
    if "cohort" in changes:
        before = participant.cohort.name if participant.cohort else None
        changes["cohort"] = [before, row["cohort_name"]]
        changes["cohort_id"] = [now["cohort"], row["cohort"]]
    return changes


# --- the steps ---------------------------------------------------------------------
def import_preview(
    *, user, sites: list[Site], name: str, data: bytes
) -> ParticipantImport:
    """Read and check the file and keep its plan; nothing else is written.
    Raises import_files.FileRefused for a file that cannot be read at all."""
    table = read_table(name, data)
    plan = build_plan(table, sites)
    record = ParticipantImport.objects.create(
        created_by=user,
        filename=name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        plan={**plan.as_json(), "table": _table_json(table)},
    )
    audit_record(
        actor=user,
        action="participants.import.preview",
        obj=record,
        details=_summary(record),
    )
    return record


def _table_json(table: Table) -> dict:
    return {"header": table.header, "rows": table.rows}


def _summary(record: ParticipantImport) -> dict:
    plan = record.plan
    return {
        "sha256": record.sha256,
        "bytes": record.size,
        "rows": plan["rows"],
        "add": len(plan["add"]),
        "change": len(plan["change"]),
        "unchanged": plan["unchanged"],
        "errors": len(plan["errors"]) + (1 if plan["file_error"] else 0),
        "sites": plan["sites"],
    }


class ImportRefused(ValueError):
    """The import cannot be applied; the message says why."""


def _plan_key(plan: dict) -> tuple:
    return (
        [row["study_id"] for row in plan["add"]],
        [(item["study_id"], item["changes"]) for item in plan["change"]],
    )


def import_apply(*, user, sites: list[Site], record: ParticipantImport) -> dict:
    """Write the previewed plan in one transaction, or refuse: errors, nothing
    to do, already applied, or Peerlog changed since the preview (the plan is
    made again under a lock and must be the one the person saw)."""
    with transaction.atomic():
        locked = ParticipantImport.objects.select_for_update().get(pk=record.pk)
        if locked.status == ParticipantImport.Status.APPLIED:
            raise ImportRefused(_("This import was applied already."))
        # The sites' rows, locked until the end: two imports for a site run
        # one after the other, so the second plans against the first's rows
        # (study IDs that do not exist yet cannot be locked themselves).
        list(
            Site.objects.select_for_update()
            .filter(pk__in=locked.plan["sites"])
            .order_by("pk")
        )
        if "table" not in locked.plan:
            raise ImportRefused(
                _(
                    "This preview has expired (a preview keeps the file for "
                    "%(days)s days): upload the file again."
                )
                % {"days": PREVIEW_DAYS}
            )
        table = Table(
            header=locked.plan["table"]["header"],
            rows=[(n, cells) for n, cells in locked.plan["table"]["rows"]],
        )
        plan = build_plan(table, sites)
        if plan.errors or plan.file_error:
            raise ImportRefused(
                _("The file has errors: correct them and upload it again.")
            )
        if _plan_key(plan.as_json()) != _plan_key(locked.plan):
            raise ImportRefused(CHANGED)
        if not plan.can_apply:
            raise ImportRefused(
                _("Nothing to change: every row matches Peerlog already.")
            )
        try:
            with transaction.atomic():
                added, updated = _write(plan)
        except IntegrityError as error:  # a study ID taken at another site meanwhile
            raise ImportRefused(CHANGED) from error
        locked.status = ParticipantImport.Status.APPLIED
        locked.applied_at = timezone.now()
        locked.plan = _kept(locked.plan)
        locked.save(update_fields=["status", "applied_at", "plan"])
        counts = {"added": len(added), "changed": len(updated)}
        audit_record(
            actor=user,
            action="participants.import.apply",
            obj=locked,
            details={**_summary(locked), **counts},
        )
        fields = {
            item["study_id"]: sorted(n for n in item["changes"] if n != "cohort_id")
            for item in plan.change
        }
        audit_record_many(
            action="participants.import.row",
            actor=user,
            at=locked.applied_at,
            items=[
                (p, (p.site_id, None), {"import": locked.pk, "added": True})
                for p in added
            ]
            + [
                (
                    p,
                    (p.site_id, None),
                    {"import": locked.pk, "fields": fields[p.study_id]},
                )
                for p in updated
            ],
        )
    return counts


CHANGED = _lazy(
    "Peerlog changed since this preview (someone edited or added these "
    "participants). Upload the file again to see what it would do now."
)


def _write(plan: Plan) -> tuple[list[Participant], list[Participant]]:
    added = Participant.objects.bulk_create(
        [
            Participant(
                study_id=row["study_id"],
                site_id=row["site"],
                cohort_id=row.get("cohort"),
                preferred_name=row.get("preferred_name", ""),
                has_research_consent=row["has_research_consent"],
                enrolled_on=row["enrolled_on"],
                quit_date=row.get("quit_date"),
            )
            for row in plan.add
        ],
        batch_size=1000,
    )
    changed = {item["study_id"]: item["changes"] for item in plan.change}
    updated = list(Participant.objects.filter(study_id__in=list(changed)))
    for participant in updated:
        for name, (_before, after) in changed[participant.study_id].items():
            if name != "cohort":  # the cohort by its id (cohort_id)
                setattr(participant, name, after)
    Participant.objects.bulk_update(updated, FIELDS_DB, batch_size=1000)
    return added, updated


# A preview keeps the file's rows (preferred names included) only this long:
# a second copy of the enrolment list should not wait in Peerlog for an apply
# that never comes.
PREVIEW_DAYS = 7


def imports_expire(*, now=None) -> int:
    """Drop the file's rows from previews older than PREVIEW_DAYS that were
    never applied (run hourly by Celery beat); how many. They keep their
    counts and study IDs, like an applied import, and can no longer be
    applied. One audit row when any expired."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for record in (
            ParticipantImport.objects.select_for_update()
            .filter(
                status=ParticipantImport.Status.PREVIEWED,
                created_at__lt=now - dt.timedelta(days=PREVIEW_DAYS),
                plan__has_key="table",
            )
            .order_by("pk")
        ):
            record.plan = {**_kept(record.plan), "expired": True}
            record.save(update_fields=["plan"])
            expired += 1
        if expired:
            audit_record(
                actor=None,
                action="participants.import.expired",
                details={"imports": expired, "days": PREVIEW_DAYS},
            )
    return expired


def _kept(plan: dict) -> dict:
    """What an applied import keeps: no second copy of the enrolment list.
    Study IDs, counts and what changed stay; preferred names and the file's
    rows go (the history trigger keeps no preferred names either)."""
    hidden = "…"
    add = [
        {k: v for k, v in row.items() if k != "preferred_name"} for row in plan["add"]
    ]
    change = [
        {
            "study_id": item["study_id"],
            "changes": {
                name: ([hidden, hidden] if name == "preferred_name" else pair)
                for name, pair in item["changes"].items()
            },
        }
        for item in plan["change"]
    ]
    # A cell refused as a preferred name (too long, say) still holds one.
    errors = [
        {**error, "value": hidden} if error.get("column") == "preferred_name" else error
        for error in plan.get("errors", [])
    ]
    return {
        **{k: v for k, v in plan.items() if k != "table"},
        "add": add,
        "change": change,
        "errors": errors,
    }


# What bulk_update writes (the cohort by its field name).
FIELDS_DB = [
    "preferred_name",
    "cohort",
    "has_research_consent",
    "enrolled_on",
    "quit_date",
]

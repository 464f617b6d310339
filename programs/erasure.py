"""An erasure request for a participant (issue 17): their preferred name and
the free text written about them go; the facts of the trial stay.

Removed, in one transaction with the participant's row locked:
- the preferred name;
- every typed text of every log about them, drafts included (`TEXT_FIELDS`:
  place, weekly goal, narrative, reflections, concern; and the void reason);
- the feedback thread on those logs (`LogComment.body`);
- the follow-up notes on the items those logs raised;
- unsaved typing kept for those logs (`LogAutosave`, deleted);
- their preferred name in enrolment imports previewed but never applied
  (applied ones keep no names: programs.imports._kept).
Then, once that is committed, their texts leave every analysis project
(analysis.withdrawal, with the codings, memos and quotes on them).

Kept: the study ID, site, cohort, status, consent and dates; every log's
dates, times, length, mode, outcome, measures, option choices, flags and
review state; who wrote, reviewed or answered what and when; every audit row.

Where the database requires text (a voided log's reason, a comment that is
not a plain review, a resolved follow-up item's note) the text becomes the
fixed mark `ERASED`. An answered question is not kept as a mark: its answered
time goes with it, since a mark would become a text in reflection analysis.

Not removed here, and why (README, "Erasure requests"): LogRevision and the
history table (DataChange) are append-only for the app's database role
(SECURITY AUD-2, AUD-3, AUD-6), so the earlier values they hold stay there
(the log pages no longer show their text: logs_app.selectors.log_detail_get);
and this erasure's own UPDATE adds one more history row per log and follow-up
item, holding the text it replaced. Supervision meeting notes are about a
mentor's caseload, not one person, and are left to the lead.

Erasing again is allowed and changes only what is left: text written about
them since (say a log a phone sent later) or a run cut short before the
analysis step. It keeps the first `erased_at` and writes an audit row only
when it changed something."""

from __future__ import annotations

import functools
import operator

from django.db import models, transaction
from django.db.models import Case, F, Q, TextField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analysis.withdrawal import texts_withdraw
from audit.context import db_actor_set
from audit.services import audit_record
from logs_app.fields import TEXT_FIELDS
from logs_app.models import InteractionLog, LogAutosave, LogComment, LogRevision
from participants.models import Participant
from programs.models import ParticipantImport
from supervision.models import FollowUpItem

# What a text the database requires holds once erased. Stored data, so not
# translated; never a word about the person.
ERASED = "[erased]"
# Every typed text of a log.
LOG_TEXT_FIELDS = (*TEXT_FIELDS, "void_reason")


class EraseReason(models.TextChoices):
    PARTICIPANT = (
        "participant_request",
        _("The participant asked (their data-protection rights)"),
    )
    ETHICS = "ethics_committee", _("The ethics committee instructed it")
    ERROR = "entered_in_error", _("Entered in error")
    OTHER = "other", _("Other (recorded in the study file)")


def _holds_text(name: str) -> Q:
    return ~Q(**{name: ""}) & ~Q(**{name: ERASED})


def participant_erase(*, actor, participant: Participant, reason: str) -> dict:
    """Erase the participant's preferred name and the free text about them;
    what it did, as the audit row holds it (counts only). {"changed": False}
    when there was nothing left to erase (a repeat: see the module's doc).
    The number of queries does not grow with the number of their logs."""
    with transaction.atomic():
        db_actor_set(actor)
        # Waiting imports first, in the order an import's apply takes its own
        # locks (the import, then sites, then participants): the other way
        # round the two could deadlock.
        imports = _imports_scrub(participant.study_id)
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        repeat = locked.erased_at is not None
        now = timezone.now()
        counts = {
            "preferred_name": bool(locked.preferred_name),
            "logs": _logs_blank(locked, now=now),
            "comments": LogComment.objects.filter(
                _holds_text("body"), log__participant=locked
            ).update(
                body=Case(
                    When(kind=LogComment.Kind.REVIEW, then=Value("")),
                    default=Value(ERASED),
                )
            ),
            "followup_notes": FollowUpItem.objects.filter(
                _holds_text("resolution_note"), log__participant=locked
            ).update(
                resolution_note=Case(
                    When(state=FollowUpItem.State.RESOLVED, then=Value(ERASED)),
                    default=Value(""),
                ),
                version=F("version") + 1,
            ),
            "autosaves": LogAutosave.objects.filter(log__participant=locked).delete()[
                0
            ],
            "imports": imports,
        }
        # Append-only: kept, and no longer shown on the log pages.
        kept = LogRevision.objects.filter(log__participant=locked).count()
        if counts["preferred_name"] or not repeat:
            locked.preferred_name = ""
            locked.erased_at = locked.erased_at or now
            locked.save(update_fields=["preferred_name", "erased_at"])
    removed = texts_withdraw(locked, actor=actor)
    participant.refresh_from_db()
    if repeat and not removed and not any(counts.values()):
        return {"changed": False}
    details = {
        "reason": reason,
        "repeat": repeat,
        **counts,
        "revisions_kept": kept,
        "analysis_texts_removed": sum(removed.values()),
        "analysis_projects": len(removed),
    }
    audit_record(actor=actor, action="participant.erased", obj=locked, details=details)
    return details


def _logs_blank(participant: Participant, *, now) -> int:
    """Empty every typed text of their logs that holds any; how many."""
    return (
        InteractionLog.objects.filter(participant=participant)
        .filter(functools.reduce(operator.or_, map(_holds_text, LOG_TEXT_FIELDS)))
        .update(
            **dict.fromkeys(TEXT_FIELDS, ""),
            void_reason=Case(
                When(is_voided=True, then=Value(ERASED)), default=Value("")
            ),
            # The database allows no answered time without a question.
            question_answered_at=None,
            # Edit pages still open on the old text get a conflict rather than
            # saving it back (REL-2); API pulls by `updated_since` see it.
            version=F("version") + 1,
            updated_at=now,
        )
    )


def _imports_scrub(study_id: str) -> int:
    """Blank the participant's preferred name in imports previewed but never
    applied (they keep the file's rows until then); how many changed. Applying
    one later makes its plan again from the blanked cells, so it cannot write
    the name back. One query when no waiting import names them."""
    key = study_id.lower()
    waiting = (
        ParticipantImport.objects.select_for_update()
        .filter(status=ParticipantImport.Status.PREVIEWED)
        .order_by("pk")
        .annotate(text=Cast("plan", TextField()))
        .filter(text__icontains=study_id)
    )
    changed = 0
    for record in waiting:
        if _plan_scrub(record.plan, key):
            record.save(update_fields=["plan"])
            changed += 1
    return changed


def _plan_scrub(plan: dict, key: str) -> bool:
    """Remove the name of study ID `key` (lower case) from an import's plan:
    the file's cells, the rows to add or change and the cell errors. Whether
    anything changed."""
    table = plan.get("table") or {}
    names = [name.strip().lower() for name in table.get("header", [])]
    if "study_id" not in names or "preferred_name" not in names:
        return False
    at_id, at_name = names.index("study_id"), names.index("preferred_name")
    changed, rows = False, set()
    for number, cells in table.get("rows", []):
        if len(cells) > at_id and cells[at_id].strip().lower() == key:
            rows.add(number)
            if len(cells) > at_name and cells[at_name]:
                cells[at_name] = ""
                changed = True
    for row in plan.get("add", []):
        if str(row.get("study_id", "")).lower() == key and "preferred_name" in row:
            del row["preferred_name"]
            changed = True
    for item in plan.get("change", []):
        if str(item.get("study_id", "")).lower() == key:
            changed |= item["changes"].pop("preferred_name", None) is not None
    # A change of nothing but the name is no change now.
    still = [item for item in plan.get("change", []) if item["changes"]]
    plan["unchanged"] = (
        plan.get("unchanged", 0) + len(plan.get("change", [])) - len(still)
    )
    plan["change"] = still
    for error in plan.get("errors", []):
        if error.get("row") in rows and error.get("column") == "preferred_name":
            changed |= bool(error["value"])
            error["value"] = ""
    return changed

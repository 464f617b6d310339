"""Changing a follow-up item: start, resolve, reopen, reassign (issue 14).

Each change is one transaction: a conditional UPDATE on the version the
person's form was made on (optimistic locking, REL-2), then one audit row.
A change made on a stale form changes nothing and raises `StaleFollowUp`, so
the page can say what happened and keep what was typed. Audit details never
hold the follow-up note, only its length."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import audit_record
from supervision.models import FollowUpItem

State = FollowUpItem.State

# Where an item can be handed: to the site's lead, or back to the supervisor.
REASSIGN_TO_LEAD = "lead"
REASSIGN_TO_SUPERVISOR = "supervisor"
REASSIGN_CHOICES = [
    (REASSIGN_TO_LEAD, gettext_lazy("The site lead")),
    (REASSIGN_TO_SUPERVISOR, gettext_lazy("The mentor's supervisor")),
]


class StaleFollowUp(Exception):
    """The item changed since the form was shown; nothing was changed."""

    def __init__(self, item: FollowUpItem) -> None:
        super().__init__(item.pk)
        self.item = item


def _apply(
    *,
    actor,
    item: FollowUpItem,
    expected_version: int,
    allowed_from: tuple[str, ...],
    action: str,
    changes: dict,
    details: dict,
) -> FollowUpItem:
    """The one write path: refuse a change not allowed from the item's state,
    update on the expected version, audit, and return the item as saved."""
    if item.state not in allowed_from:
        raise ValidationError(
            _("This item is %(state)s; that change does not apply.")
            % {"state": item.get_state_display().lower()}
        )
    with transaction.atomic():
        updated = FollowUpItem.objects.filter(
            pk=item.pk, version=expected_version, state__in=allowed_from
        ).update(version=F("version") + 1, **changes)
        if updated != 1:
            item.refresh_from_db()
            raise StaleFollowUp(item)
        before = item.state
        item.refresh_from_db()
        audit_record(
            action=action,
            obj=item,
            actor=actor,
            details={"from": before, "to": item.state, **details},
        )
    return item


def followup_start(*, actor, item: FollowUpItem, expected_version: int) -> FollowUpItem:
    """Open → in progress: someone is on it."""
    return _apply(
        actor=actor,
        item=item,
        expected_version=expected_version,
        allowed_from=(State.OPEN,),
        action="followup.start",
        changes={"state": State.IN_PROGRESS},
        details={},
    )


def followup_resolve(
    *,
    actor,
    item: FollowUpItem,
    expected_version: int,
    note: str,
    now: dt.datetime | None = None,
) -> FollowUpItem:
    """Open or in progress → resolved, with the follow-up note that says what
    was done (required: an item is never closed without one)."""
    note = note.strip()
    if not note:
        raise ValidationError(
            {"note": _("Write what was done to follow this up before resolving it.")}
        )
    return _apply(
        actor=actor,
        item=item,
        expected_version=expected_version,
        allowed_from=(State.OPEN, State.IN_PROGRESS),
        action="followup.resolve",
        changes={
            "state": State.RESOLVED,
            "resolution_note": note,
            "resolved_at": now or timezone.now(),
            "resolved_by": actor,
        },
        details={"note": f"{len(note)} chars"},
    )


def followup_reopen(
    *, actor, item: FollowUpItem, expected_version: int
) -> FollowUpItem:
    """Resolved → open, when the follow-up turned out not to be the end. The
    note is kept (the resolve form starts from it), the resolved date goes:
    the mentor sees the item open again."""
    return _apply(
        actor=actor,
        item=item,
        expected_version=expected_version,
        allowed_from=(State.RESOLVED,),
        action="followup.reopen",
        changes={"state": State.OPEN, "resolved_at": None, "resolved_by": None},
        details={},
    )


def followup_reassign(
    *, actor, item: FollowUpItem, expected_version: int, to: str
) -> FollowUpItem:
    """Hand an unresolved item to the site's lead, or back to the mentor's
    supervisor. The new owner is worked out here from `to`, never posted."""
    if to == REASSIGN_TO_LEAD:
        owner = item.site.lead
        if owner is None or not owner.is_active:
            raise ValidationError({"to": _("This site has no site lead to hand to.")})
    elif to == REASSIGN_TO_SUPERVISOR:
        owner = item.mentor.supervisor
        if owner is None or not owner.is_active:
            raise ValidationError({"to": _("This mentor has no supervisor.")})
    else:
        raise ValidationError({"to": _("Choose who takes the item over.")})
    if owner.pk == item.owner_id:
        raise ValidationError({"to": _("The item is already theirs.")})
    return _apply(
        actor=actor,
        item=item,
        expected_version=expected_version,
        allowed_from=(State.OPEN, State.IN_PROGRESS),
        action="followup.reassign",
        changes={"owner": owner},
        details={"owner_from": item.owner_id, "owner_to": owner.pk, "to": to},
    )

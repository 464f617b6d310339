"""Reads for the follow-up item pages. Each starts from
`followups_visible_to(user)` and owns its joins, so the number of queries
does not grow with the number of items."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from audit.models import AuditEvent
from mentors.models import Mentor
from supervision.forms import ACTIVE
from supervision.models import FollowUpItem
from supervision.permissions import followups_visible_to

RESOLVED = FollowUpItem.State.RESOLVED

# The audit actions that make an item's history, in the words of the page.
HISTORY_ACTIONS = (
    "followup.create",
    "followup.source_cleared",
    "followup.source_restored",
    "followup.start",
    "followup.resolve",
    "followup.reopen",
    "followup.reassign",
    "followup.escalate",
)


def followup_list(
    *, user, state: str = ACTIVE, kind: str = "", mentor_id: int | None = None
) -> QuerySet[FollowUpItem]:
    """Items `user` may see, filtered; the user's own unresolved items first,
    then by due time. Lazy: the page paginates it (a count and a page)."""
    items = followups_visible_to(user)
    if state == ACTIVE:
        items = items.exclude(state=RESOLVED)
    elif state in FollowUpItem.State.values:
        items = items.filter(state=state)
    if kind:
        items = items.filter(kind=kind)
    if mentor_id is not None:
        items = items.filter(mentor_id=mentor_id)
    return (
        items.annotate(
            mine_first=Case(
                When(Q(owner=user) & ~Q(state=RESOLVED), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .select_related("log__participant", "mentor__user", "site", "owner")
        .order_by("mine_first", "due_at", "pk")
    )


def followup_mentor_choices(*, user) -> list[Mentor]:
    """The mentors of the items `user` may see, for the mentor filter."""
    return list(
        Mentor.objects.filter(pk__in=followups_visible_to(user).values("mentor_id"))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def is_overdue(item: FollowUpItem, now: dt.datetime) -> bool:
    return item.state != RESOLVED and item.due_at < now


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor: str
    action: str
    details: dict


def followup_history(*, item: FollowUpItem) -> list[HistoryEntry]:
    """What happened to the item, oldest first, from its audit rows (which
    never hold the note's text)."""
    events = (
        AuditEvent.objects.filter(
            object_type=FollowUpItem._meta.model_name,
            object_id=str(item.pk),
            action__in=HISTORY_ACTIONS,
        )
        .select_related("actor")
        .order_by("at", "pk")
    )
    return [
        HistoryEntry(
            at=event.at,
            actor=(
                (event.actor.get_full_name() or event.actor.get_username())
                if event.actor
                else ""
            ),
            action=event.action,
            details=event.details,
        )
        for event in events
    ]

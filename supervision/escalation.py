"""Escalation of overdue follow-up items (issue 14): an item not resolved by
its due time is escalated to its site's lead exactly once, by mail through the
notifications outbox.

`followups_escalate` is a dispatcher step (registered in
SupervisionConfig.ready()): each beat tick it claims overdue items not yet
escalated — `select_for_update(skip_locked=True)`, then a conditional UPDATE
of `escalated_at` — and writes the outbox row in the same transaction. Two
dispatchers escalate an item once; a retried pass finds it escalated; the
outbox's unique (address, kind, period) keeps one row per item even so; and a
worker that dies mid-send is covered by the outbox's lease (JOB-5).

The mail holds figures and links only (DP-5): the kind of item, the site, how
long it is overdue, and the link to the item's page. Never log text, the
participant, or the follow-up note."""

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.urls import reverse

from audit.services import audit_record
from notifications.kinds import Kind, NothingToSay
from notifications.models import Notification
from notifications.rendering import site_url
from notifications.services import outbox_row, outbox_write
from supervision.models import FollowUpItem

logger = logging.getLogger(__name__)

# Items per dispatcher pass: a backlog (a site lead set after months) is
# worked through over a few passes rather than in one long transaction.
BATCH = 200


def followups_escalate(*, now: dt.datetime) -> int:
    """Escalate the items overdue at `now` and not escalated yet (a dispatcher
    step). Only items whose site has a lead with an address: an item of a site
    without one waits, and escalates once a lead is named. Returns how many
    items this call escalated (0 for those another dispatcher took)."""
    candidates = list(
        FollowUpItem.objects.filter(
            escalated_at__isnull=True,
            due_at__lt=now,
            site__lead__isnull=False,
            site__lead__is_active=True,
        )
        .exclude(state=FollowUpItem.State.RESOLVED)
        .exclude(site__lead__email="")
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )
    return sum(_escalate_one(pk, now=now) for pk in candidates)


@transaction.atomic
def _escalate_one(pk: int, *, now: dt.datetime) -> bool:
    """Escalate one item: lock it (skipping one another dispatcher holds),
    mark it escalated if no one did, write its outbox row, audit. All or
    nothing: a failure leaves the item to the next pass."""
    item = (
        FollowUpItem.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("site__lead")
        .filter(pk=pk, escalated_at__isnull=True, due_at__lt=now)
        .exclude(state=FollowUpItem.State.RESOLVED)
        .first()
    )
    if item is None:
        return False
    # Conditional: correct even where the lock above is a no-op (SQLite).
    if not FollowUpItem.objects.filter(pk=pk, escalated_at__isnull=True).update(
        escalated_at=now
    ):
        return False
    lead = item.site.lead
    outbox_write(
        [
            outbox_row(
                kind=Notification.Kind.FOLLOWUP_OVERDUE,
                user=lead,
                email=lead.email,
                period=f"followup:{item.pk}",
                due=now,
                payload={"item_id": item.pk},
            )
        ]
    )
    audit_record(
        action="followup.escalate",
        obj=item,
        actor=None,
        details={
            "kind": item.kind,
            "to": lead.pk,
            "due_at": item.due_at.isoformat(),
            "overdue_minutes": int((now - item.due_at).total_seconds() // 60),
        },
    )
    return True


# --- the mail
def _item(notification: Notification) -> FollowUpItem | None:
    return (
        FollowUpItem.objects.select_related("site")
        .filter(pk=notification.payload.get("item_id"))
        .first()
    )


def overdue_context(notification: Notification, now: dt.datetime) -> dict[str, Any]:
    """What the escalation says: the kind, the site, when it was due and how
    long ago, and the item's link. Nothing from the log."""
    item = _item(notification)
    if item is None:
        raise NothingToSay
    # From the escalation (the row's due time) at least: a mail sent late,
    # or rendered on a pinned clock, never says less than it was then.
    late = max(max(now, notification.due_at) - item.due_at, dt.timedelta(0))
    return {
        "kind_label": item.get_kind_display(),
        "site_name": item.site.name,
        "time_zone": item.site.time_zone,
        "due_at": item.due_at,
        "overdue_days": late.days,
        "overdue_hours": int(late.total_seconds() // 3600),
        "item_url": site_url() + reverse("followup_detail", args=[item.pk]),
    }


def _still_wanted(notification: Notification) -> bool:
    """Not when the item was resolved, or the recipient stopped leading its
    site, before the mail's turn came."""
    return (
        FollowUpItem.objects.filter(
            pk=notification.payload.get("item_id"),
            site__lead_id=notification.recipient_id,
        )
        .exclude(state=FollowUpItem.State.RESOLVED)
        .exists()
    )


def overdue_kind() -> Kind:
    """The escalation mail, for `notifications.kinds.kind_register`."""
    return Kind(
        Notification.Kind.FOLLOWUP_OVERDUE,
        overdue_context,
        is_still_wanted=_still_wanted,
    )

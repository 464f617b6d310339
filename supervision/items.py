"""Follow-up items from filing (issue 14): every filed log's safety flag,
request to talk and concern becomes one FollowUpItem, created when the log is
filed and never deleted.

`items_sync_for_log` runs inside `log_save`'s transaction through
`logs_app.hooks` (registered in SupervisionConfig.ready()). It is idempotent:
each kind is looked up, then created with `get_or_create` in a savepoint, and
the unique constraint (log, kind) makes a second request — a retry, a double
submit, a race of two — find the first one's item instead of making another."""

import datetime as dt
import logging
from collections.abc import Callable

from django.db.models import Count, Q
from django.urls import reverse

from audit.services import audit_record
from core.timeutils import local_instant, local_today
from logs_app.hooks import ItemCounts
from logs_app.models import InteractionLog
from supervision.models import FollowUpItem, SupervisionMeeting

logger = logging.getLogger(__name__)

Kind = FollowUpItem.Kind

# What in a filed log raises an item of each kind. The concern field arrives
# with the "revise" part of issue 14: enable its line on merge.
ITEM_SOURCES: dict[str, Callable[[InteractionLog], bool]] = {
    Kind.SAFETY: lambda log: log.safety_concern,
    Kind.TALK: lambda log: log.discuss_in_supervision,
    Kind.CONCERN: lambda log: bool(log.concern.strip()),
}

# Without a planned meeting, a concern or request to talk is due this many
# days after filing, at the end of that day in the site's time.
DEFAULT_DUE_DAYS = 7


def items_sync_for_log(
    *, log: InteractionLog, actor, now: dt.datetime
) -> list[FollowUpItem]:
    """Create the follow-up items a filed `log` raises and does not have yet;
    return the ones this call created. Call inside the transaction that files
    or changes the log (submit, resubmit, edit while filed).

    Never deletes an item: when what raised one is gone (a flag unticked
    later), the item stays and records `source_cleared_at`, audited once; if
    the flag comes back, that is cleared and audited too.

    - Owner: the mentor's supervisor; without one, the lead of the site of the
      log's participant. Without either, no item is made (logged and audited:
      someone must give the site a lead).
    - Due: see `item_due_at`."""
    if log.status != InteractionLog.Status.SUBMITTED or log.participant_id is None:
        return []
    raised = {kind for kind, source in ITEM_SOURCES.items() if source(log)}
    existing = {item.kind: item for item in FollowUpItem.objects.filter(log=log)}
    _note_sources(log=log, items=existing, raised=raised, actor=actor, now=now)
    missing = [kind for kind in ITEM_SOURCES if kind in raised - existing.keys()]
    if not missing:
        return []
    site = log.participant.site
    owner_id = log.mentor.supervisor_id or site.lead_id
    if owner_id is None:
        logger.warning("Log %s raises follow-up items but has no owner", log.pk)
        audit_record(
            action="followup.create",
            outcome="no_owner",
            obj=log,
            actor=actor,
            details={"kinds": missing},
        )
        return []
    created_items = []
    meeting = (
        next_meeting_at(mentor_id=log.mentor_id, now=now)
        if any(kind != Kind.SAFETY for kind in missing)
        else None
    )
    for kind in missing:
        item, created = FollowUpItem.objects.get_or_create(
            log=log,
            kind=kind,
            defaults={
                "mentor_id": log.mentor_id,
                "site": site,
                "owner_id": owner_id,
                "opened_at": now,
                "due_at": item_due_at(
                    kind=kind, site=site, now=now, next_meeting=meeting
                ),
            },
        )
        if created:
            _audit_created(item, actor=actor)
            created_items.append(item)
    return created_items


# An item due "that day" is due at its last second, in the site's time.
END_OF_DAY = dt.time(23, 59, 59)


def item_due_at(
    *, kind: str, site, now: dt.datetime, next_meeting: dt.datetime | None
) -> dt.datetime:
    """When an item raised at `now` is due.

    - A safety flag: the end of the filing day in the site's time (23:59:59
      local, whatever the day's length across a DST change: `local_instant`
      is wall-clock arithmetic in the zone).
    - A concern or a request to talk: `next_meeting`, the mentor's next
      planned supervision meeting (`next_meeting_at`); without one, 7 days
      after filing at the end of that day in the site's time."""
    tz = site.tzinfo
    today = local_today(tz, now)
    if kind == Kind.SAFETY:
        return local_instant(today, END_OF_DAY, tz)
    if next_meeting is not None:
        return next_meeting
    return local_instant(today + dt.timedelta(days=DEFAULT_DUE_DAYS), END_OF_DAY, tz)


def next_meeting_at(*, mentor_id: int, now: dt.datetime) -> dt.datetime | None:
    """The mentor's next planned supervision meeting after `now`, not yet held."""
    return (
        SupervisionMeeting.objects.filter(
            mentor_id=mentor_id, planned_for__gt=now, held_at__isnull=True
        )
        .order_by("planned_for")
        .values_list("planned_for", flat=True)
        .first()
    )


def _note_sources(
    *,
    log: InteractionLog,
    items: dict[str, FollowUpItem],
    raised: set[str],
    actor,
    now: dt.datetime,
) -> None:
    """Record on each existing item whether its source is still in the log.
    Conditional updates: each change is recorded (and audited) once, however
    many saves follow."""
    for kind, item in items.items():
        if kind not in ITEM_SOURCES:
            continue
        if kind in raised:
            rows = FollowUpItem.objects.filter(
                pk=item.pk, source_cleared_at__isnull=False
            ).update(source_cleared_at=None)
            action = "followup.source_restored"
        else:
            rows = FollowUpItem.objects.filter(
                pk=item.pk, source_cleared_at__isnull=True
            ).update(source_cleared_at=now)
            action = "followup.source_cleared"
        if rows:
            audit_record(
                action=action,
                obj=item,
                actor=actor,
                details={"kind": kind, "log": log.pk, "state": item.state},
            )


def _audit_created(item: FollowUpItem, *, actor) -> None:
    """AUD-1: ids, the kind and times only; never the log's text."""
    audit_record(
        action="followup.create",
        obj=item,
        actor=actor,
        details={
            "kind": item.kind,
            "log": item.log_id,
            "owner": item.owner_id,
            "due_at": item.due_at.isoformat(),
        },
    )


# The digest links to the follow-up list: the reader's open items first,
# overdue ones marked.
DIGEST_LINK = "followup_list"


def digest_counts(*, user, now: dt.datetime) -> ItemCounts | None:
    """`user`'s open follow-up items and how many are past due, for their
    digest (`logs_app.hooks`): one query, whatever the number of items. None
    when they own none."""
    counts = FollowUpItem.objects.filter(owner=user).aggregate(
        open=Count("pk", filter=~Q(state=FollowUpItem.State.RESOLVED)),
        overdue=Count(
            "pk", filter=~Q(state=FollowUpItem.State.RESOLVED) & Q(due_at__lt=now)
        ),
    )
    if not counts["open"]:
        return None
    return ItemCounts(
        open=counts["open"], overdue=counts["overdue"], url=reverse(DIGEST_LINK)
    )

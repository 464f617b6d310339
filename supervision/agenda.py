"""The weekly supervision agenda (moved from logs_app in issue 14): the week's
logs that need supervision time, and every follow-up item still open, carried
from week to week until it is resolved."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from core.timeutils import local_instant
from logs_app.attention import needs_attention_q
from logs_app.models import InteractionLog, LogComment
from supervision.models import FollowUpItem
from supervision.permissions import followups_visible_to


@dataclass(frozen=True)
class Agenda:
    week: tuple[dt.date, dt.date]
    logs: list[InteractionLog]
    # Items of earlier logs not resolved by the week's start: the carry-over.
    carried: list[FollowUpItem]


def agenda_get(*, user, week: tuple[dt.date, dt.date], tz: dt.tzinfo) -> Agenda:
    """`user`'s agenda for `week` (dates in `tz`, the team's time zone).

    Logs: those of `user`'s mentors in the week that need supervision time (a
    request to discuss, a concern, a safety flag), with their threads and their
    items. Carried: the items of `user`'s mentors (or owned by `user`) raised
    before the week's end from logs not listed, and not resolved before the
    week began: a week-47 concern still open is on the week-48 agenda, and on
    every later one until it is resolved. Three queries."""
    start = local_instant(week[0], None, tz)
    end = local_instant(week[1] + dt.timedelta(days=1), None, tz)
    logs = list(
        InteractionLog.objects.visible_to(user)
        .filter(mentor__supervisor=user, is_voided=False, contact_date__range=week)
        .exclude(status=InteractionLog.Status.DRAFT)
        .filter(needs_attention_q())
        .select_related("participant", "mentor__user")
        .prefetch_related(
            Prefetch(
                "comments",
                queryset=LogComment.objects.select_related("author").order_by(
                    "created_at", "pk"
                ),
            ),
            Prefetch("followups", queryset=FollowUpItem.objects.order_by("kind")),
        )
        .order_by("-safety_concern", "mentor__user__first_name", "contact_date", "pk")
    )
    carried = list(
        followups_visible_to(user)
        .filter(Q(mentor__supervisor=user) | Q(owner=user))
        .filter(opened_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .exclude(log__in=[log.pk for log in logs])
        .select_related("log__participant", "mentor__user", "owner", "site")
        .order_by("due_at", "pk")
    )
    # Safety flags first, each group by due time (the sort is stable).
    carried.sort(key=lambda item: item.kind != FollowUpItem.Kind.SAFETY)
    return Agenda(week=week, logs=logs, carried=carried)

"""The protocol's dose (issue 17): per participant, the contacts their
cohort's protocol plans against the contacts delivered.

The schedule is the cohort's: `planned_contacts` contacts, the k-th (k = 0, 1,
…) due `k × contact_every_days` days after the enrolment date, each delivered
when a met contact falls within `window_days` of its due day (never before
enrolment). All dates are the site's own calendar dates (a log's
`contact_date`, and "today" at the site), so a DST change moves nothing.

- Contacts are matched to planned ones in date order, each contact to one
  planned contact at most, the earliest open window first. Met contacts
  outside every window still count as contacts and minutes; they do not
  deliver a planned contact.
- A planned contact whose due day falls in a pause (participants.Pause) is not
  planned. Nor is one due after the participant left the program (completed
  or withdrawn) on the last day of their last assignment.
- Which mentor delivered a contact does not matter: a handover keeps the
  count. The overdue flags go to whoever mentors the participant now.

States of a planned contact on a day: delivered; `upcoming` (due later);
`open` (its window is open, due day not yet passed); `overdue` (due day
passed, window still open: call now); `missed` (window closed). "Planned to
date" counts the contacts due by today."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce

from core.timeutils import local_today
from logs_app.models import InteractionLog
from mentors.models import Assignment
from participants.models import Cohort, Participant, Pause

DELIVERED, UPCOMING, OPEN, OVERDUE, MISSED = (
    "delivered",
    "upcoming",
    "open",
    "overdue",
    "missed",
)


class Slot(NamedTuple):
    """One planned contact (a tuple: a report makes hundreds of thousands)."""

    number: int  # its number in the protocol, from 1
    due: dt.date
    opens: dt.date
    closes: dt.date
    state: str
    delivered_on: dt.date | None = None


@dataclass
class Dose:
    participant_id: int
    today: dt.date
    slots: list[Slot] = field(default_factory=list)
    contacts: int = 0  # met contacts, in a window or not
    minutes: int = 0
    planned_minutes_each: int | None = None
    active: bool = True  # only an active participant's contacts are flagged

    def _count(self, *states: str) -> int:
        return sum(1 for slot in self.slots if slot.state in states)

    @property
    def planned(self) -> int:
        return len(self.slots)

    @property
    def planned_to_date(self) -> int:
        """Planned contacts due by today, and any delivered early."""
        return sum(1 for s in self.slots if s.due <= self.today or s.state == DELIVERED)

    @property
    def delivered(self) -> int:
        return self._count(DELIVERED)

    @property
    def overdue(self) -> list[Slot]:
        """Planned contacts to make now; none while the participant is
        paused, completed or withdrawn."""
        if not self.active:
            return []
        return [slot for slot in self.slots if slot.state == OVERDUE]

    @property
    def has_due(self) -> bool:
        """Whether any planned contact is due by today (or delivered)."""
        return self.planned_to_date > 0

    @property
    def missed(self) -> int:
        return self._count(MISSED)

    @property
    def planned_minutes_to_date(self) -> int | None:
        if self.planned_minutes_each is None:
            return None
        return self.planned_to_date * self.planned_minutes_each


def dose_compute(
    *,
    participant_id: int,
    cohort: Cohort | None,
    enrolled_on: dt.date,
    today: dt.date,
    contacts: Iterable[tuple[dt.date, int | None]] = (),
    pauses: Iterable[tuple[dt.date, dt.date | None]] = (),
    left_on: dt.date | None = None,
    active: bool = True,
) -> Dose:
    """The dose of one participant on `today` from their cohort's schedule,
    their met contacts (date, minutes), their pauses (start, end or None),
    the day they left the program (None while they are in it) and whether
    they are active now (only then is a contact flagged overdue). Pure."""
    contacts = list(contacts)
    return _dose(
        participant_id=participant_id,
        cohort=cohort,
        enrolled_on=enrolled_on,
        today=today,
        days=sorted(day for day, _minutes in contacts),
        count=len(contacts),
        minutes=sum(minutes or 0 for _day, minutes in contacts),
        pauses=list(pauses),
        left_on=left_on,
        active=active,
    )


def _dose(
    *,
    participant_id: int,
    cohort: Cohort | None,
    enrolled_on: dt.date,
    today: dt.date,
    days: list[dt.date],
    count: int,
    minutes: int,
    pauses: list[tuple[dt.date, dt.date | None]],
    left_on: dt.date | None,
    active: bool,
) -> Dose:
    """dose_compute with the met contacts' days sorted, counted and their
    minutes summed (by the database, for doses_for)."""
    dose = Dose(
        participant_id=participant_id,
        today=today,
        contacts=count,
        minutes=minutes,
        planned_minutes_each=cohort.planned_minutes if cohort else None,
        active=active,
    )
    if cohort is None or not cohort.planned_contacts:
        return dose

    def paused(day: dt.date) -> bool:
        return any(
            start <= day and (end is None or day <= end) for start, end in pauses
        )

    every = dt.timedelta(days=cohort.contact_every_days)
    window = dt.timedelta(days=cohort.window_days)
    windows = []  # (protocol number, due, opens, closes), in date order
    for k in range(cohort.planned_contacts):
        try:
            due = enrolled_on + k * every
            closes = due + window
        except OverflowError:  # a date past 9999: nothing more is planned
            break
        if (pauses and paused(due)) or (left_on is not None and due > left_on):
            continue
        # Never before enrolment (nor before year 1, which due - window could be).
        opens = enrolled_on if due - enrolled_on <= window else due - window
        windows.append((k + 1, due, opens, closes))
    # Each contact, in date order, delivers the earliest planned contact whose
    # window holds it. Windows that closed before a contact stay closed for
    # every later one, so a pointer skips them.
    delivered_on: dict[int, dt.date] = {}
    first_open = 0
    for day in days:
        while first_open < len(windows) and windows[first_open][3] < day:
            first_open += 1
        index = first_open
        while index < len(windows) and windows[index][2] <= day:
            if index not in delivered_on and day <= windows[index][3]:
                delivered_on[index] = day
                break
            index += 1
    slots = dose.slots
    for index, (number, due, opens, closes) in enumerate(windows):
        if index in delivered_on:
            state = DELIVERED
        elif today > closes:
            state = MISSED
        elif today > due:
            state = OVERDUE
        elif today >= opens:
            state = OPEN
        else:
            state = UPCOMING
        slots.append(Slot(number, due, opens, closes, state, delivered_on.get(index)))
    return dose


NO_CONTACTS: tuple[list[dt.date], int, int] = ([], 0, 0)


def _met_by_participant(ids: list[int]) -> dict[int, tuple[list[dt.date], int, int]]:
    """participant id → (their met contacts' days in order, how many, their
    minutes). On PostgreSQL one row per participant, the days as an array:
    reading 800,000 rows through the ORM took longer than the report's
    arithmetic. Elsewhere one row per contact. One query."""
    if not ids:
        return {}
    met = InteractionLog.objects.filter(met_contacts(), participant__in=ids).order_by()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.aggregates import ArrayAgg

        rows = (
            met.values("participant_id")
            .annotate(
                days=ArrayAgg("contact_date", order_by="contact_date"),
                n=Count("pk"),
                minutes=Coalesce(Sum("duration_minutes"), 0),
            )
            .values_list("participant_id", "days", "n", "minutes")
        )
        return {pid: (days, n, minutes) for pid, days, n, minutes in rows}
    days_of: dict[int, list[dt.date]] = defaultdict(list)
    minutes_of: dict[int, int] = defaultdict(int)
    for pid, day, minutes in met.values_list(
        "participant_id", "contact_date", "duration_minutes"
    ).iterator(chunk_size=5000):
        days_of[pid].append(day)
        minutes_of[pid] += minutes or 0
    return {
        pid: (sorted(days), len(days), minutes_of[pid]) for pid, days in days_of.items()
    }


def met_contacts() -> Q:
    """The logs that count as delivered contacts: filed, not voided, met."""
    return (
        Q(outcome=InteractionLog.Outcome.MET, is_voided=False)
        & ~Q(status=InteractionLog.Status.DRAFT)
        & Q(contact_date__isnull=False)
    )


def doses_for(
    participants: list[Participant], *, now: dt.datetime | None = None
) -> dict[int, Dose]:
    """The dose of each participant (with `site` and `cohort` loaded), on
    their site's today, keyed by participant id. At most three queries
    whatever the number of participants or logs: met contacts, pauses, and
    the assignments of those who completed or withdrew."""
    ids = [p.pk for p in participants]
    scheduled = [p.pk for p in participants if p.cohort_id]
    pauses: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
    left: dict[int, dt.date | None] = {}
    met = _met_by_participant(ids)
    if scheduled:
        for pid, start, end in (
            Pause.objects.filter(participant__in=scheduled)
            .order_by()
            .values_list("participant_id", "start", "end")
        ):
            pauses[pid].append((start, end))
        leaving = [
            p.pk
            for p in participants
            if p.cohort_id
            and p.status in (Participant.Status.COMPLETED, Participant.Status.WITHDRAWN)
        ]
        if leaving:
            # The day they left: their last assignment's last day, once none
            # is open (programs.lifecycle ends the open one when they leave).
            for pid, still_open, last in (
                Assignment.objects.filter(participant__in=leaving)
                .order_by()
                .values("participant")
                .annotate(
                    still_open=Count("pk", filter=Q(end_date__isnull=True)),
                    last=Max("end_date"),
                )
                .values_list("participant", "still_open", "last")
            ):
                if not still_open:
                    left[pid] = last
    todays: dict[str, dt.date] = {}
    doses = {}
    for p in participants:
        zone = p.site.time_zone
        if zone not in todays:
            todays[zone] = local_today(p.site.tzinfo, now)
        days, count, minutes = met.get(p.pk, NO_CONTACTS)
        doses[p.pk] = _dose(
            participant_id=p.pk,
            cohort=p.cohort,
            enrolled_on=p.enrolled_on,
            today=todays[zone],
            days=days,
            count=count,
            minutes=minutes,
            pauses=pauses.get(p.pk, []),
            left_on=left.get(p.pk),
            active=p.status == Participant.Status.ACTIVE,
        )
    return doses

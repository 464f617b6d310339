"""Issue 17, the protocol's dose: planned against delivered contacts per
participant, across DST changes, pauses and a handover, on fixed clocks."""

import datetime as dt

import pytest

from logs_app.dose import (
    DELIVERED,
    MISSED,
    OPEN,
    OVERDUE,
    UPCOMING,
    dose_compute,
    doses_for,
)
from logs_app.models import InteractionLog
from participants.models import Cohort, Participant, Pause
from programs.assignments import assignment_hand_over
from programs.lifecycle import participant_lifecycle_set
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

D = dt.date
WEEKLY_8 = Cohort(
    planned_contacts=8, contact_every_days=7, window_days=3, planned_minutes=30
)


def _states(dose):
    return [slot.state for slot in dose.slots]


def test_weekly_for_eight_weeks_from_enrolment():
    dose = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=D(2026, 10, 20),
        contacts=[(D(2026, 10, 1), 30), (D(2026, 10, 9), 25), (D(2026, 10, 19), 40)],
    )
    assert [slot.due for slot in dose.slots][:4] == [
        D(2026, 10, 1), D(2026, 10, 8), D(2026, 10, 15), D(2026, 10, 22),
    ]  # fmt: skip
    # The first window opens on enrolment, not three days before.
    assert dose.slots[0].opens == D(2026, 10, 1)
    # The third window (12–18) had no contact; 19 Oct delivers the fourth
    # (19–25), ahead of its due day.
    assert _states(dose) == [
        DELIVERED, DELIVERED, MISSED, DELIVERED, UPCOMING, UPCOMING, UPCOMING,
        UPCOMING,
    ]  # fmt: skip
    assert (dose.planned, dose.planned_to_date, dose.delivered) == (8, 4, 3)
    assert (dose.contacts, dose.minutes, dose.missed) == (3, 95, 1)
    assert dose.planned_minutes_to_date == 120


def test_a_contact_delivers_one_planned_contact_only():
    dose = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=D(2026, 10, 12),
        contacts=[(D(2026, 10, 4), 20), (D(2026, 10, 4), 20)],
    )
    # Both fall in the first window (1–4): the second does not fill the
    # second window (5–11), missed once the 11th has passed.
    assert _states(dose)[:3] == [DELIVERED, MISSED, OPEN]
    assert dose.contacts == 2


@pytest.mark.parametrize(
    "today, state",
    [
        (D(2026, 10, 4), UPCOMING),
        (D(2026, 10, 5), OPEN),  # the window is 5–11
        (D(2026, 10, 7), OPEN),
        (D(2026, 10, 8), OPEN),  # the due day itself
        (D(2026, 10, 9), OVERDUE),
        (D(2026, 10, 11), OVERDUE),  # the window's last day
        (D(2026, 10, 12), MISSED),
    ],
)
def test_a_planned_contacts_state_through_its_window(today, state):
    dose = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=today,
        contacts=[(D(2026, 10, 1), 30)],
    )
    assert dose.slots[1].state == state


def test_paused_weeks_are_not_planned():
    dose = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=D(2026, 12, 31),
        pauses=[(D(2026, 10, 14), D(2026, 10, 28))],  # due 15 and 22 Oct
    )
    assert dose.planned == 6
    assert D(2026, 10, 22) not in [slot.due for slot in dose.slots]
    # An open pause plans nothing from its start on.
    still = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=D(2026, 12, 31),
        pauses=[(D(2026, 10, 14), None)],
    )
    assert still.planned == 2


def test_nothing_is_planned_after_leaving_the_program():
    dose = dose_compute(
        participant_id=1,
        cohort=WEEKLY_8,
        enrolled_on=D(2026, 10, 1),
        today=D(2026, 12, 31),
        left_on=D(2026, 10, 16),
    )
    assert dose.planned == 3


def test_without_a_protocol_only_contacts_count():
    for cohort in (None, Cohort(planned_contacts=0)):
        dose = dose_compute(
            participant_id=1,
            cohort=cohort,
            enrolled_on=D(2026, 10, 1),
            today=D(2026, 10, 20),
            contacts=[(D(2026, 10, 2), None)],
        )
        assert (dose.planned, dose.delivered, dose.contacts, dose.minutes) == (
            0, 0, 1, 0,
        )  # fmt: skip


# --- from the database, on fixed clocks ---------------------------------------


@pytest.fixture
def weekly(site):
    return Cohort.objects.create(
        site=site, name="Fall", start_date=D(2026, 10, 1), planned_contacts=8,
        contact_every_days=7, window_days=0, planned_minutes=30,
    )  # fmt: skip


@pytest.fixture
def enrolled(weekly, site, mentor):
    participant = ParticipantFactory(
        site=site, cohort=weekly, study_id="NYC-0300", enrolled_on=D(2026, 10, 25)
    )
    AssignmentFactory(
        mentor=mentor, participant=participant, start_date=D(2026, 10, 25)
    )
    return participant


def _met(mentor, participant, day, **extra):
    return InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=day, **extra
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "instant, today",
    [
        # 1 Nov 2026, 05:30 UTC: 01:30 EDT has become 00:30 EST; still 1 Nov.
        (dt.datetime(2026, 11, 1, 5, 30, tzinfo=dt.UTC), D(2026, 11, 1)),
        # 04:30 UTC on 1 Nov: 00:30 EDT, already 1 Nov in New York.
        (dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC), D(2026, 11, 1)),
        # 03:59 UTC on 1 Nov: 23:59 EDT on 31 Oct.
        (dt.datetime(2026, 11, 1, 3, 59, tzinfo=dt.UTC), D(2026, 10, 31)),
    ],
)
def test_today_is_the_sites_across_a_dst_change(enrolled, instant, today):
    """The second contact is due on 1 Nov, the day New York leaves DST, with
    no window: it is overdue from the site's 2 Nov, not from UTC's."""
    [dose] = doses_for([_loaded(enrolled)], now=instant).values()
    assert dose.today == today
    assert dose.slots[1].due == D(2026, 11, 1)
    assert dose.slots[1].state == (OPEN if today == D(2026, 11, 1) else UPCOMING)
    # 03:30 UTC on 2 Nov is still 22:30 on 1 Nov in New York: open.
    evening = dt.datetime(2026, 11, 2, 3, 30, tzinfo=dt.UTC)
    [dose] = doses_for([_loaded(enrolled)], now=evening).values()
    assert dose.slots[1].state == OPEN
    late = dt.datetime(2026, 11, 2, 5, 30, tzinfo=dt.UTC)  # 00:30 EST, 2 Nov
    [dose] = doses_for([_loaded(enrolled)], now=late).values()
    assert dose.slots[1].state == MISSED  # a window of 0 days closes at once


def _loaded(participant):
    return Participant.objects.select_related("site", "cohort").get(pk=participant.pk)


@pytest.mark.django_db
def test_delivered_counts_across_a_handover_and_ignores_drafts_voided_attempts(
    enrolled, site, mentor, supervisor
):
    second = MentorFactory(user__username="second", sites=[site])
    _met(mentor, enrolled, D(2026, 10, 25), duration_minutes=30)
    _met(mentor, enrolled, D(2026, 11, 1), status=InteractionLog.Status.DRAFT)
    _met(mentor, enrolled, D(2026, 11, 1), is_voided=True, void_reason="Filed twice")
    _met(mentor, enrolled, D(2026, 11, 1), outcome=InteractionLog.Outcome.NO_ANSWER)
    assignment_hand_over(
        actor=supervisor, participant=enrolled, mentor=second, on=D(2026, 11, 5)
    )
    _met(second, enrolled, D(2026, 11, 8), duration_minutes=45)
    now = dt.datetime(2026, 11, 19, 20, tzinfo=dt.UTC)
    [dose] = doses_for([_loaded(enrolled)], now=now).values()
    assert _states(dose)[:5] == [DELIVERED, MISSED, DELIVERED, MISSED, UPCOMING]
    assert (dose.planned_to_date, dose.delivered, dose.contacts, dose.minutes) == (
        4, 2, 2, 75,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_pause_set_on_the_participants_page_plans_nothing_while_it_lasts(
    enrolled, supervisor, monkeypatch
):
    from django.utils import timezone

    def at(day):
        instant = dt.datetime.combine(day, dt.time(17), tzinfo=dt.UTC)
        monkeypatch.setattr(timezone, "now", lambda: instant)

    def set_status(status):
        participant_lifecycle_set(
            actor=supervisor, participant=enrolled, status=status,
            research_consent=enrolled.has_research_consent, reason="other",
        )  # fmt: skip

    at(D(2026, 11, 2))
    set_status(Participant.Status.PAUSED)
    at(D(2026, 11, 20))
    set_status(Participant.Status.ACTIVE)
    pause = Pause.objects.get(participant=enrolled)
    assert (pause.start, pause.end) == (D(2026, 11, 2), D(2026, 11, 19))
    [dose] = doses_for(
        [_loaded(enrolled)], now=dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    ).values()
    dues = [slot.due for slot in dose.slots]
    assert D(2026, 11, 8) not in dues and D(2026, 11, 15) not in dues
    assert dose.planned == 6
    # Paused and resumed the same day: no pause at all.
    at(D(2026, 12, 1))
    set_status(Participant.Status.PAUSED)
    set_status(Participant.Status.ACTIVE)
    assert Pause.objects.filter(participant=enrolled).count() == 1


@pytest.mark.django_db
def test_doses_for_takes_three_queries_whatever_the_numbers(
    enrolled, site, weekly, mentor, django_assert_num_queries
):
    def add(n):
        for _ in range(n):
            other = ParticipantFactory(
                site=site, cohort=weekly, enrolled_on=D(2026, 10, 1),
                status=Participant.Status.COMPLETED,
            )  # fmt: skip
            Pause.objects.create(participant=other, start=D(2026, 10, 10))
            for week in range(3):
                _met(mentor, other, D(2026, 10, 1) + dt.timedelta(days=7 * week))

    def run():
        people = list(
            Participant.objects.filter(site=site).select_related("site", "cohort")
        )
        # Met contacts, pauses, and when those who left had their last mentor.
        with django_assert_num_queries(3):
            return doses_for(people, now=dt.datetime(2026, 11, 19, tzinfo=dt.UTC))

    add(1)
    assert len(run()) == 2
    add(5)
    doses = run()
    assert len(doses) == 7
    assert sum(dose.contacts for dose in doses.values()) == 18


# --- leaving, pauses and edges (review of issue 17) -------------------------------
def _set(participant, actor, status, day, monkeypatch):
    from django.utils import timezone

    instant = dt.datetime.combine(day, dt.time(17), tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    participant_lifecycle_set(
        actor=actor, participant=participant, status=status,
        research_consent=participant.has_research_consent, reason="other",
    )  # fmt: skip


@pytest.mark.django_db
def test_withdrawing_ends_the_assignment_and_plans_and_flags_nothing_after(
    enrolled, mentor, supervisor, monkeypatch
):
    """Found in review: a participant withdrawn with their assignment still
    open kept being flagged overdue on My week, and missed contacts piled up
    in the digest and the report."""
    _met(mentor, enrolled, D(2026, 10, 25))
    _set(
        enrolled, supervisor, Participant.Status.WITHDRAWN, D(2026, 11, 4), monkeypatch
    )
    assignment = enrolled.assignments.get()
    assert (assignment.end_date, assignment.end_reason) == (D(2026, 11, 4), "withdrawn")
    [dose] = doses_for(
        [_loaded(enrolled)], now=dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    ).values()
    # Due 25 Oct (delivered) and 1 Nov (missed); nothing after 4 Nov.
    assert (dose.planned, dose.delivered, dose.missed) == (2, 1, 1)
    assert dose.overdue == []


@pytest.mark.django_db
def test_completing_after_a_handover_counts_up_to_the_last_mentors_end(
    enrolled, site, mentor, supervisor, monkeypatch
):
    """Found in review: the day they left was the first mentor's last day
    (the open assignment's NULL end was ignored), so contacts after the
    handover were not planned and the share read 100 %."""
    second = MentorFactory(user__username="second", sites=[site])
    from django.utils import timezone

    monkeypatch.setattr(
        timezone, "now", lambda: dt.datetime(2026, 11, 2, 17, tzinfo=dt.UTC)
    )
    assignment_hand_over(
        actor=supervisor, participant=enrolled, mentor=second, on=D(2026, 11, 2)
    )
    for day in (D(2026, 10, 25), D(2026, 11, 1), D(2026, 11, 8), D(2026, 11, 15)):
        _met(second if day > D(2026, 11, 1) else mentor, enrolled, day)
    _set(
        enrolled, supervisor, Participant.Status.COMPLETED, D(2026, 11, 16), monkeypatch
    )
    [dose] = doses_for(
        [_loaded(enrolled)], now=dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    ).values()
    assert (dose.planned, dose.delivered) == (4, 4)


@pytest.mark.django_db
def test_a_participant_without_a_cohort_still_counts_contacts_and_minutes(site, mentor):
    """Found in review: only participants with a cohort had their contacts
    read, so a "No cohort" row showed 0 contacts and 0 minutes."""
    loose = ParticipantFactory(site=site, study_id="NYC-0390")
    for day in (1, 8, 15):
        _met(mentor, loose, D(2026, 11, day), duration_minutes=20)
    [dose] = doses_for(
        [_loaded(loose)], now=dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    ).values()
    assert (dose.planned, dose.contacts, dose.minutes) == (0, 3, 60)


@pytest.mark.django_db
def test_a_paused_participant_is_not_flagged(enrolled, supervisor, monkeypatch):
    """Found in review: a contact due just before a pause, its window running
    into the pause, was flagged overdue while they were paused."""
    enrolled.cohort.window_days = 3
    enrolled.cohort.save()
    _set(enrolled, supervisor, Participant.Status.PAUSED, D(2026, 11, 3), monkeypatch)
    [dose] = doses_for(
        [_loaded(enrolled)], now=dt.datetime(2026, 11, 3, 20, tzinfo=dt.UTC)
    ).values()
    assert [s.state for s in dose.slots][:2] == [MISSED, OVERDUE]
    assert dose.overdue == []


def test_dates_near_the_end_of_the_calendar_plan_what_fits():
    """Found in review: an enrolment in 9999 (an import accepts it) made the
    schedule overflow, a 500 on My week, the digest and the report."""
    dose = dose_compute(
        participant_id=1,
        cohort=Cohort(planned_contacts=500, contact_every_days=30, window_days=3),
        enrolled_on=D(9999, 11, 1),
        today=D(2026, 11, 19),
    )
    assert dose.planned == 2  # 1 Nov and 1 Dec 9999; 31 Dec + 3 days is past it
    # And at the calendar's start (second review): a window before year 1.
    first = dose_compute(
        participant_id=1,
        cohort=Cohort(planned_contacts=2, contact_every_days=7, window_days=3),
        enrolled_on=D(1, 1, 1),
        today=D(2026, 11, 19),
    )
    assert [slot.opens for slot in first.slots] == [D(1, 1, 1), D(1, 1, 5)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "instant, state",
    [
        # 9 Mar 2026, 03:30 UTC: 23:30 EDT on the 8th (clocks went forward at
        # 02:00 that morning); the contact due on the 8th is still open.
        (dt.datetime(2026, 3, 9, 3, 30, tzinfo=dt.UTC), OPEN),
        # 04:30 UTC is 00:30 EDT on the 9th: its window (0 days) has closed.
        (dt.datetime(2026, 3, 9, 4, 30, tzinfo=dt.UTC), MISSED),
    ],
)
def test_a_window_closes_at_the_sites_midnight_after_spring_forward(
    weekly, site, mentor, instant, state
):
    spring = ParticipantFactory(
        site=site, cohort=weekly, study_id="NYC-0310", enrolled_on=D(2026, 3, 1)
    )
    [dose] = doses_for([_loaded(spring)], now=instant).values()
    assert dose.slots[1].due == D(2026, 3, 8)
    assert dose.slots[1].state == state

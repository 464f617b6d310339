"""Invariants the database enforces, whatever code path writes."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from logs_app.models import InteractionLog
from mentors.models import Assignment
from participants.models import Cohort, Participant
from tests.factories import InteractionLogFactory, ParticipantFactory


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_study_ids_are_unique(site):
    ParticipantFactory(study_id="NYC-0100", site=site)
    assert refused(lambda: Participant.objects.create(study_id="NYC-0100", site=site))
    assert refused(lambda: Participant.objects.create(study_id="", site=site))


def test_dates_are_ordered(site, mentor, participant):
    assert refused(
        lambda: Cohort.objects.create(
            site=site,
            name="Late",
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 1),
        )
    )
    assert refused(
        lambda: Assignment.objects.create(
            mentor=mentor,
            participant=participant,
            start_date=dt.date(2026, 5, 1),
            end_date=dt.date(2026, 4, 30),
        )
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"duration_minutes": 0},
        {"duration_minutes": 601},
        {"co_ppm": 151},
        {"cigarettes_per_day": 121},
        {"mode": ""},  # a filed log says how the contact happened
        {"submitted_at": None},
        {"is_voided": True, "void_reason": ""},
        {"version": 0},
    ],
)
def test_log_bounds_hold_in_the_database(mentor, participant, fields):
    assert refused(
        lambda: InteractionLogFactory(mentor=mentor, participant=participant, **fields)
    )


def test_a_draft_may_be_incomplete(mentor):
    log = InteractionLog.objects.create(mentor=mentor)
    assert log.status == InteractionLog.Status.DRAFT

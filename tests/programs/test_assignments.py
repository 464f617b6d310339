"""Issue 17, assignments: a site's lead assigns participants to mentors, ends an
assignment with a reason and hands a participant over (history kept, one
mentor a day), with a warning at the site's caseload level. After a handover
the new mentor sees the participant's progress, not the earlier mentor's
narratives or reflections; the earlier mentor keeps their own logs, read-only,
and no longer opens the participant's page."""

import datetime as dt
import threading
import time
import uuid

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from mentors.models import Assignment
from programs.assignments import (
    AssignmentRefused,
    CaseloadFull,
    assignment_end,
    assignment_hand_over,
    assignment_start,
    caseloads,
)
from tests.conftest import client_for
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")
NOW = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)  # 15:00 in New York
TODAY = dt.date(2026, 11, 19)


@pytest.fixture
def lead(site, supervisor):
    site.lead = supervisor
    site.save()
    return supervisor


@pytest.fixture
def second_mentor(site, supervisor):
    return MentorFactory(
        user__username="second", user__first_name="Sam", sites=[site],
        supervisor=supervisor,
    )  # fmt: skip


def _post_assign(client, participant, **data):
    form = {f"assign-{k}": v for k, v in data.items()}
    return client.post(reverse("participant_assign", args=[participant.pk]), form)


# --- assigning -----------------------------------------------------------------------
def test_a_lead_assigns_a_new_participant_and_it_is_audited(lead, site, mentor):
    fresh = ParticipantFactory(site=site, study_id="NYC-0100")
    response = _post_assign(client_for(lead), fresh, mentor=mentor.pk, day="2026-11-20")
    assert response.status_code == 302
    assignment = Assignment.objects.get(participant=fresh)
    assert (assignment.mentor, assignment.start_date, assignment.end_date) == (
        mentor,
        dt.date(2026, 11, 20),
        None,
    )
    event = AuditEvent.objects.get(action="assignment.started")
    assert event.actor_id == lead.pk
    assert event.details["participant"] == fresh.pk
    assert event.details["mentor"] == mentor.pk


def test_a_participant_with_a_mentor_is_handed_over_not_assigned_twice(
    lead, participant, mentor, second_mentor
):
    with pytest.raises(AssignmentRefused, match="hand them over"):
        assignment_start(
            actor=lead, participant=participant, mentor=second_mentor, start=TODAY
        )
    assert participant.assignments.count() == 1


def test_a_mentor_from_another_site_is_refused(lead, site, other_mentor):
    fresh = ParticipantFactory(site=site, study_id="NYC-0101")
    response = _post_assign(
        client_for(lead), fresh, mentor=other_mentor.pk, day="2026-11-20"
    )
    # Not even offered: the list holds the site's mentors only.
    assert response.status_code == 400
    assert not Assignment.objects.filter(participant=fresh).exists()
    with pytest.raises(AssignmentRefused, match="does not work at New York"):
        assignment_start(
            actor=lead, participant=fresh, mentor=other_mentor, start=TODAY
        )


def test_caseload_warning_asks_for_confirmation_and_keeps_the_choice(
    lead, site, mentor, participant
):
    """At the site's level (here 2), the lead must tick "Assign anyway"; the
    form comes back with the mentor and the day still chosen."""
    site.caseload_limit = 2
    site.save()
    AssignmentFactory(
        mentor=mentor,
        participant=ParticipantFactory(site=site, study_id="NYC-0002"),
        start_date=dt.date(2026, 3, 1),
    )
    fresh = ParticipantFactory(site=site, study_id="NYC-0102")
    client = client_for(lead)
    response = _post_assign(client, fresh, mentor=mentor.pk, day="2026-11-20")
    assert response.status_code == 400
    html = response.content.decode()
    assert "already mentors 2 participants; New York warns at 2" in html
    assert f'<option value="{mentor.pk}" selected>' in html
    assert 'value="2026-11-20"' in html
    assert not Assignment.objects.filter(participant=fresh).exists()
    response = _post_assign(
        client, fresh, mentor=mentor.pk, day="2026-11-20", confirm_caseload="on"
    )
    assert response.status_code == 302
    assert (
        AuditEvent.objects.get(action="assignment.started").details["caseload_before"]
        == 2
    )


def test_an_ended_assignment_does_not_count_towards_the_caseload(
    lead, site, mentor, participant
):
    site.caseload_limit = 1
    site.save()
    assignment_end(
        actor=lead,
        assignment=participant.assignments.get(),
        end=dt.date(2026, 11, 1),
        reason=Assignment.EndReason.COMPLETED,
    )
    fresh = ParticipantFactory(site=site, study_id="NYC-0103")
    assignment_start(actor=lead, participant=fresh, mentor=mentor, start=TODAY)
    assert Assignment.objects.filter(participant=fresh, mentor=mentor).exists()


# --- ending ---------------------------------------------------------------------
def test_ending_needs_a_reason_and_a_day_after_the_start(lead, participant):
    assignment = participant.assignments.get()
    url = reverse("assignment_end", args=[assignment.pk])
    client = client_for(lead)
    response = client.post(url, {"end-end": "2026-11-19", "end-reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(url, {"end-end": "2025-12-01", "end-reason": "completed"})
    assert response.status_code == 400
    assert "cannot be before the first (2026-01-05)" in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.end_date is None
    response = client.post(url, {"end-end": "2026-11-19", "end-reason": "completed"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert (assignment.end_date, assignment.end_reason) == (
        TODAY,
        Assignment.EndReason.COMPLETED,
    )
    event = AuditEvent.objects.get(action="assignment.ended")
    assert event.details["reason"] == "completed"
    assert event.details["end_before"] is None


# --- handing over ---------------------------------------------------------------
def test_a_handover_ends_the_old_assignment_the_day_before_and_keeps_history(
    lead, participant, mentor, second_mentor
):
    response = _post_assign(
        client_for(lead), participant, mentor=second_mentor.pk, day="2026-11-23"
    )
    assert response.status_code == 302
    old, new = participant.assignments.order_by("start_date")
    assert (old.mentor, old.end_date, old.end_reason) == (
        mentor,
        dt.date(2026, 11, 22),
        Assignment.EndReason.REASSIGNED,
    )
    assert (new.mentor, new.start_date, new.end_date) == (
        second_mentor,
        dt.date(2026, 11, 23),
        None,
    )
    # One mentor each day.
    for day in (dt.date(2026, 11, 22), dt.date(2026, 11, 23)):
        assert (
            Assignment.objects.filter(participant=participant).active_on(day).count()
            == 1
        )
    handed = AuditEvent.objects.get(action="assignment.handed_over")
    assert (handed.details["from_mentor"], handed.details["to_mentor"]) == (
        mentor.pk,
        second_mentor.pk,
    )
    assert AuditEvent.objects.filter(action="assignment.ended").count() == 1
    page = client_for(lead).get(reverse("participant_lifecycle", args=[participant.pk]))
    html = page.content.decode()
    assert "Handed over to another mentor" in html
    assert "22 Nov 2026" in html and "23 Nov 2026" in html


@pytest.mark.parametrize(
    "day, message",
    [
        ("2026-11-10", "must be after 2026-11-10"),
        ("2026-11-09", "must be after 2026-11-10"),
        # A month back at most: a handover backdated further would turn the
        # earlier mentor's logs of those months read-only after the fact.
        ("2026-10-18", "Choose a day from 2026-10-19 to 2027-11-20"),
        ("2027-11-21", "Choose a day from 2026-10-19 to 2027-11-20"),
    ],
)
def test_a_handover_on_or_before_the_current_start_or_far_off_is_refused(
    lead, site, mentor, second_mentor, day, message
):
    fresh = ParticipantFactory(site=site, study_id="NYC-0104")
    AssignmentFactory(
        mentor=mentor, participant=fresh, start_date=dt.date(2026, 11, 10)
    )
    response = _post_assign(client_for(lead), fresh, mentor=second_mentor.pk, day=day)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert fresh.assignments.count() == 1


def test_an_ended_assignment_keeps_its_end_and_reason(
    lead, participant, mentor, second_mentor
):
    """Ending it again would have rewritten a handover's reason."""
    assignment_hand_over(
        actor=lead, participant=participant, mentor=second_mentor,
        on=dt.date(2026, 11, 10),
    )  # fmt: skip
    old = participant.assignments.get(mentor=mentor)
    with pytest.raises(AssignmentRefused, match="ended on 2026-11-09"):
        assignment_end(
            actor=lead, assignment=old, end=dt.date(2026, 11, 1),
            reason=Assignment.EndReason.MATCH,
        )  # fmt: skip
    old.refresh_from_db()
    assert (old.end_date, old.end_reason) == (
        dt.date(2026, 11, 9),
        Assignment.EndReason.REASSIGNED,
    )


def test_handing_over_to_the_same_mentor_is_refused(lead, participant, mentor):
    with pytest.raises(AssignmentRefused, match="already mentors NYC-0001"):
        assignment_hand_over(
            actor=lead, participant=participant, mentor=mentor, on=TODAY
        )


def test_a_handover_above_the_caseload_needs_confirmation(
    lead, site, participant, second_mentor
):
    site.caseload_limit = 0
    site.save()
    with pytest.raises(CaseloadFull):
        assignment_hand_over(
            actor=lead, participant=participant, mentor=second_mentor, on=TODAY
        )
    # Nothing half-done: the old assignment is still open.
    assert participant.assignments.get().end_date is None


# --- what each mentor sees after a handover -------------------------------------
@pytest.fixture
def handed_over(lead, participant, mentor, second_mentor):
    """NYC-0001's contacts with `mentor`, then a handover to `second_mentor`
    on 16 November."""
    earlier = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 10),
        narrative="Talked about the night shifts at the bakery.",
        reflection_feelings="I felt tired after this one.",
        co_ppm=17,
        status="submitted",
    )
    assignment_hand_over(
        actor=lead, participant=participant, mentor=second_mentor,
        on=dt.date(2026, 11, 16),
    )  # fmt: skip
    return earlier


def test_the_new_mentor_sees_progress_but_not_the_earlier_narratives(
    handed_over, participant, second_mentor
):
    client = client_for(second_mentor.user)
    page = client.get(reverse("participant_detail", args=[participant.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    # The course so far, with what the earlier mentor recorded...
    assert page.context["progress"].co_points == [(dt.date(2026, 11, 10), 17)]
    assert page.context["progress"].meetings == 1
    assert "an earlier mentor" in html
    # ...but not their words, and no link to their log.
    assert "night shifts" not in html
    assert "felt tired" not in html
    assert reverse("log_detail", args=[handed_over.pk]) not in html
    # The earlier mentor's log itself stays theirs.
    log_page = client.get(reverse("log_detail", args=[handed_over.pk]))
    assert log_page.status_code == 404


def test_the_earlier_mentor_keeps_their_logs_read_only_and_loses_the_page(
    handed_over, participant, mentor
):
    client = client_for(mentor.user)
    assert (
        client.get(reverse("participant_detail", args=[participant.pk])).status_code
        == 404
    )
    log_page = client.get(reverse("log_detail", args=[handed_over.pk]))
    assert log_page.status_code == 200
    assert "night shifts" in log_page.content.decode()
    edit = client.get(reverse("log_edit", args=[handed_over.pk]))
    assert edit.status_code == 403
    assert "assignment with this participant has ended" in edit.content.decode()


def test_before_the_handover_day_the_earlier_mentor_still_edits(
    lead, participant, mentor, second_mentor, monkeypatch
):
    """A handover planned for next week changes nothing until then."""
    log = InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 18)
    )
    assignment_hand_over(
        actor=lead, participant=participant, mentor=second_mentor,
        on=dt.date(2026, 11, 25),
    )  # fmt: skip
    client = client_for(mentor.user)
    assert client.get(reverse("log_edit", args=[log.pk])).status_code == 200
    assert (
        client.get(reverse("participant_detail", args=[participant.pk])).status_code
        == 200
    )
    # 07:00 on the 25th in New York; 04:59 UTC is still the 24th there.
    for instant, status in (
        (dt.datetime(2026, 11, 25, 4, 59, tzinfo=dt.UTC), 200),
        (dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC), 403),
    ):
        monkeypatch.setattr(timezone, "now", lambda instant=instant: instant)
        fresh = client_for(mentor.user)  # a session of that day
        assert fresh.get(reverse("log_edit", args=[log.pk])).status_code == status


def test_a_completed_participant_leaves_their_mentor_able_to_finish_a_log(
    lead, participant, mentor
):
    """No one after them: a returned log can still be corrected (the form's
    own rule keeps the date inside the assignment)."""
    log = InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=dt.date(2026, 11, 2)
    )
    assignment_end(
        actor=lead,
        assignment=participant.assignments.get(),
        end=dt.date(2026, 11, 5),
        reason=Assignment.EndReason.COMPLETED,
    )
    assert (
        client_for(mentor.user).get(reverse("log_edit", args=[log.pk])).status_code
        == 200
    )


# --- who may do it ---------------------------------------------------------------
def test_a_lead_of_another_site_cannot_touch_the_assignment(
    participant, other_site, other_supervisor, second_mentor
):
    other_site.lead = other_supervisor
    other_site.save()
    client = client_for(other_supervisor)
    response = _post_assign(
        client, participant, mentor=second_mentor.pk, day="2026-11-23"
    )
    assert response.status_code == 404
    end = client.post(
        reverse("assignment_end", args=[participant.assignments.get().pk]),
        {"end-end": "2026-11-19", "end-reason": "other"},
    )
    assert end.status_code == 404
    assert participant.assignments.get().end_date is None


# --- caseloads ------------------------------------------------------------------
def test_caseload_page_counts_todays_participants_in_constant_queries(
    lead, site, mentor, participant, second_mentor, django_assert_num_queries
):
    site.caseload_limit = 2
    site.save()
    client = client_for(lead)
    client.get(reverse("caseload_list"))
    with django_assert_num_queries(QUERIES_CASELOADS):
        first = client.get(reverse("caseload_list"))
    for i in range(4):
        extra = MentorFactory(user__username=f"m{i}", sites=[site])
        for j in range(3):
            AssignmentFactory(
                mentor=extra,
                participant=ParticipantFactory(site=site, study_id=f"NYC-9{i}{j}"),
            )
    AssignmentFactory(
        mentor=mentor,
        participant=ParticipantFactory(site=site, study_id="NYC-0777"),
        start_date=dt.date(2026, 12, 1),  # not yet
    )
    with django_assert_num_queries(QUERIES_CASELOADS):
        second = client.get(reverse("caseload_list"))
    assert first.status_code == second.status_code == 200
    loads = {load.mentor.pk: load for load in second.context["caseloads"]}
    assert (loads[mentor.pk].active, loads[mentor.pk].limit) == (1, 2)
    assert loads[second_mentor.pk].active == 0
    assert sum(load.over for load in loads.values()) == 4
    assert "Over the warning level" in second.content.decode()


# session, user, groups, the lead's sites, the mentors with their counts, the
# mentors' warning levels.
QUERIES_CASELOADS = 6


def test_caseloads_take_the_lowest_level_of_the_leads_sites(
    site, other_site, mentor, participant
):
    other_site.caseload_limit = 3
    other_site.save()
    mentor.sites.add(other_site)
    [load] = caseloads([site, other_site], TODAY)
    assert (load.active, load.limit) == (1, 3)


# --- a race ------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_leads_handing_over_at_once_give_the_participant_one_mentor(
    site, supervisor, mentor, participant, second_mentor
):
    """Both read the same current assignment; the second waits for the
    first's lock on the participant, then finds the first's handover and is
    refused (PostgreSQL: a real concurrent request). Without the lock both
    ended the same assignment and the participant had two mentors."""
    if connection.vendor != "postgresql":
        pytest.skip("a real concurrent lock needs PostgreSQL")
    third = MentorFactory(user__username="third", sites=[site])
    first_done, results = threading.Event(), {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = assignment_hand_over(
                    actor=supervisor, participant=participant, mentor=second_mentor,
                    on=TODAY,
                )  # fmt: skip
                first_done.set()
                time.sleep(1)  # the second request reads and waits meanwhile
        finally:
            first_done.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    assert first_done.wait(30)
    with pytest.raises(AssignmentRefused, match="must be after"):
        assignment_hand_over(
            actor=supervisor, participant=participant, mentor=third, on=TODAY
        )
    thread.join(30)
    active = Assignment.objects.filter(participant=participant).active_on(TODAY)
    assert [a.mentor for a in active] == [second_mentor]
    assert AuditEvent.objects.filter(action="assignment.handed_over").count() == 1


def test_after_a_handover_a_draft_cannot_be_finished_by_its_key_either(
    lead, participant, mentor, second_mentor
):
    """Found in review: the read-only rule lived only on the edit page; a new
    log form (or an autosave, or a phone's outbox) reusing a draft's key
    reached it and filed it with a new narrative."""
    from django.core.exceptions import ValidationError

    from tests.factories import log_values, save_log

    key = uuid.uuid4()
    values = log_values(participant, contact_date=dt.date(2026, 11, 2))
    draft = save_log(mentor, values, submit=False, key=key).log
    assignment_hand_over(
        actor=lead, participant=participant, mentor=second_mentor,
        on=dt.date(2026, 11, 10),
    )  # fmt: skip
    for submit in (False, True):
        with pytest.raises(ValidationError, match="handed over to another mentor"):
            save_log(
                mentor, {**values, "narrative": "Changed."}, submit=submit, key=key
            )
    # A new log about them, for a day of the old assignment: refused too.
    with pytest.raises(ValidationError, match="handed over to another mentor"):
        save_log(mentor, values, submit=True)
    # Nor moved to a participant the mentor still has (second review).
    other = ParticipantFactory(site=participant.site, study_id="NYC-0105")
    AssignmentFactory(mentor=mentor, participant=other, start_date=dt.date(2026, 11, 1))
    with pytest.raises(ValidationError, match="NYC-0001 was handed over"):
        save_log(mentor, {**values, "participant": other}, submit=True, key=key)
    draft.refresh_from_db()
    assert (draft.status, draft.narrative) == ("draft", values["narrative"])
    assert draft.participant == participant
    # Through the page, the message is next to the participant.
    response = client_for(mentor.user).post(
        reverse("log_create"),
        {
            "idempotency_key": str(key), "participant": participant.pk,
            "contact_date": "2026-11-02", "mode": "phone", "outcome": "no_answer",
            "action": "submit",
        },
    )  # fmt: skip
    assert response.status_code in (400, 403)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_leaving_skips_a_planned_one_day_assignment(lead, site, mentor, monkeypatch):
    """Second review: completing a participant whose only assignment was a
    planned one-day one (ended on its first day) asked to end it again, was
    refused, and the page answered 500."""
    from participants.models import Participant
    from programs.lifecycle import participant_lifecycle_set

    later = ParticipantFactory(site=site, study_id="NYC-0106")
    AssignmentFactory(
        mentor=mentor, participant=later,
        start_date=dt.date(2026, 12, 1), end_date=dt.date(2026, 12, 1),
    )  # fmt: skip
    participant_lifecycle_set(
        actor=lead, participant=later, status=Participant.Status.COMPLETED,
        research_consent=False, reason="protocol",
    )  # fmt: skip
    assert later.assignments.get().end_date == dt.date(2026, 12, 1)

"""Filing a log: validation, draft → submit → edit, history, autosave (REL-1),
conflicts (REL-2) and double submits (REL-3)."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from logs_app.models import InteractionLog, LogAutosave, LogRevision, Topic
from logs_app.review import log_review
from mentors.models import Assignment
from tests.factories import (
    AssignmentFactory,
    ParticipantFactory,
    log_form,
    log_values,
    save_log,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

NARRATIVE = "We met at the library and made a plan for the morning cravings."


def complete(who, **overrides) -> dict:
    """The log form for a meeting in the library about cravings."""
    usual = {
        "place": "Library",
        "topics": [Topic.objects.get(code="cravings_triggers").pk],
        "narrative": NARRATIVE,
    }
    return log_form(who, **usual | overrides)


def errors(response) -> dict:
    return response.context["form"].errors


# --- the happy path
def test_mentor_submits_a_complete_log_and_sees_it_in_my_week(
    as_user, mentor, participant
):
    client = as_user(mentor.user)
    response = client.post(reverse("log_create"), complete(participant))
    log = InteractionLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("log_detail", args=[log.pk])
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.mentor == mentor
    assert log.submitted_at is not None
    assert [t.code for t in log.topics.all()] == ["cravings_triggers"]
    # 10:30 in New York on 18 Nov is 15:30 UTC.
    assert log.occurred_at == dt.datetime(2026, 11, 18, 15, 30, tzinfo=dt.UTC)
    assert list(log.revisions.values_list("action", flat=True)) == ["submitted"]

    week = client.get(reverse("my_week"))
    assert week.context["week"].week_logs == [log]
    assert week.context["week"].participants[0].last_contact == dt.date(2026, 11, 18)
    assert week.context["week"].participants[0].days_since == 1


def test_detail_page_shows_log_and_records_the_view(as_user, mentor, log):
    response = as_user(mentor.user).get(reverse("log_detail", args=[log.pk]))
    assert response.status_code == 200
    assert log.narrative in response.content.decode()
    assert (
        AuditEvent.objects.filter(action="log.view", object_id=str(log.pk)).count() == 1
    )


def test_user_text_is_escaped_on_the_detail_page(as_user, mentor, participant):
    client = as_user(mentor.user)
    client.post(
        reverse("log_create"),
        complete(
            participant, narrative="<script>alert(1)</script> we talked a lot today"
        ),
    )
    log = InteractionLog.objects.get()
    html = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- validation: messages next to fields, input kept
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("duration_minutes", "0", "between 1 and 600"),
        ("duration_minutes", "601", "between 1 and 600"),
        ("co_ppm", "151", "between 0 and 150"),
        ("cigarettes_per_day", "121", "between 0 and 120"),
        ("contact_date", "2026-11-20", "can't be in the future"),
        ("narrative", "ok fine", "at least a sentence"),
        ("narrative", "", "Write a few sentences"),
        ("mode", "", "how you connected"),
        ("participant", "", "who the contact was with"),
        ("duration_minutes", "abc", "whole number"),
    ],
)
def test_invalid_submission_shows_error_by_field_and_keeps_input(
    as_user, mentor, participant, field, value, message
):
    data = complete(participant, **{field: value, "place": "Corner café ☕"})
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert response.status_code == 400
    assert message in " ".join(errors(response)[field])
    assert InteractionLog.objects.count() == 0
    html = response.content.decode()
    assert "Corner café ☕" in html
    if field != "narrative":
        assert NARRATIVE in html


def test_start_time_later_today_is_in_the_future(as_user, mentor, participant):
    # 15:00 in New York now; 16:00 today has not happened yet.
    data = complete(participant, contact_date="2026-11-19", start_time="16:00")
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert "can't be in the future" in " ".join(errors(response)["start_time"])


def test_today_in_a_site_ahead_of_utc_is_not_the_future(
    as_user, other_mentor, other_participant
):
    # 20:00 UTC on 19 Nov is 07:00 on 20 Nov in Sydney: the 20th is today there.
    data = complete(other_participant, contact_date="2026-11-20", start_time="06:30")
    response = as_user(other_mentor.user).post(reverse("log_create"), data)
    assert response.status_code == 302, errors(response)


def test_date_outside_the_assignment_is_refused(as_user, mentor, participant):
    Assignment.objects.filter(participant=participant).update(
        end_date=dt.date(2026, 6, 30)
    )
    data = complete(participant, contact_date="2026-11-18")
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert "was not assigned to you on this date" in " ".join(
        errors(response)["contact_date"]
    )


def test_participant_never_assigned_to_the_mentor_is_not_a_choice(
    as_user, mentor, site
):
    stranger = ParticipantFactory(site=site)
    AssignmentFactory(participant=stranger)
    response = as_user(mentor.user).post(reverse("log_create"), complete(stranger))
    assert "participant" in errors(response)
    assert InteractionLog.objects.count() == 0


def test_attempt_needs_only_the_few_fields_that_make_sense(
    as_user, mentor, participant
):
    data = complete(
        participant,
        outcome="no_answer",
        mode="phone",
        start_time="",
        duration_minutes="",
        narrative="",
        co_ppm="12",
        topics=[Topic.objects.first().pk],
    )
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert response.status_code == 302, errors(response)
    log = InteractionLog.objects.get()
    assert log.status == InteractionLog.Status.SUBMITTED
    assert log.outcome == "no_answer"
    # Meeting-only answers do not stick to an attempt.
    assert log.co_ppm is None
    assert log.topics.count() == 0


# --- drafts and edits
def test_draft_saves_with_partial_data(as_user, mentor, participant):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "participant": participant.pk,
        "narrative": "Half a thought",
        "action": "draft",
    }
    response = as_user(mentor.user).post(reverse("log_create"), data)
    log = InteractionLog.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("log_edit", args=[log.pk])
    assert log.status == InteractionLog.Status.DRAFT
    assert log.narrative == "Half a thought"
    assert log.submitted_at is None


def test_draft_still_refuses_malformed_values(as_user, mentor, participant):
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "duration_minutes": "900",
        "narrative": "Half a thought",
        "action": "draft",
    }
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert response.status_code == 400
    assert "duration_minutes" in errors(response)
    assert "Half a thought" in response.content.decode()


def test_draft_then_submit_keeps_one_log(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant, action="draft")
    client.post(reverse("log_create"), data)
    log = InteractionLog.objects.get()
    data.update(action="submit", version=str(log.version))
    response = client.post(reverse("log_edit", args=[log.pk]), data)
    assert response.status_code == 302
    log.refresh_from_db()
    assert InteractionLog.objects.count() == 1
    assert log.status == InteractionLog.Status.SUBMITTED
    assert list(log.revisions.values_list("action", flat=True)) == [
        "created",
        "submitted",
    ]


def test_editing_a_submitted_log_keeps_previous_values_with_who_and_when(
    as_user, mentor, participant, frozen_now
):
    client = as_user(mentor.user)
    data = complete(participant)
    client.post(reverse("log_create"), data)
    log = InteractionLog.objects.get()
    edited = dict(
        data, narrative=NARRATIVE + " We also set a quit date.", version=log.version
    )
    edited["duration_minutes"] = "50"
    response = client.post(reverse("log_edit", args=[log.pk]), edited)
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.version == 2
    assert log.duration_minutes == 50
    revision = log.revisions.get(action=LogRevision.Action.EDITED)
    assert revision.actor == mentor.user
    assert revision.at == frozen_now
    assert revision.changes == {
        "duration_minutes": [45, 50],
        "narrative": [NARRATIVE, NARRATIVE + " We also set a quit date."],
    }
    page = client.get(reverse("log_detail", args=[log.pk])).content.decode()
    assert "We also set a quit date." in page and "Edited" in page


def test_reviewed_log_is_locked_for_its_mentor(as_user, mentor, log, supervisor):
    log_review(actor=supervisor, log=log, expected_version=1, approve=True)
    client = as_user(mentor.user)
    assert client.get(reverse("log_edit", args=[log.pk])).status_code == 403
    response = client.post(
        reverse("log_edit", args=[log.pk]), complete(log.participant)
    )
    assert response.status_code == 403
    log.refresh_from_db()
    assert log.version == 2  # the review's own bump; the mentor's POST changed nothing
    assert log.status == InteractionLog.Status.REVIEWED


def test_returned_log_can_be_edited_and_resubmitted(as_user, mentor, log):
    InteractionLog.objects.filter(pk=log.pk).update(
        status=InteractionLog.Status.RETURNED
    )
    data = complete(
        log.participant, idempotency_key=str(log.idempotency_key), version="1"
    )
    response = as_user(mentor.user).post(reverse("log_edit", args=[log.pk]), data)
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


# --- REL-3: double submit
def test_double_submit_creates_one_log(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant)
    first = client.post(reverse("log_create"), data)
    second = client.post(reverse("log_create"), data, follow=True)
    assert first.status_code == 302
    assert InteractionLog.objects.count() == 1
    assert "already submitted" in second.content.decode()
    assert LogRevision.objects.count() == 1


def test_double_click_on_save_draft_is_harmless(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant, action="draft")
    client.post(reverse("log_create"), data)
    log = InteractionLog.objects.get()
    again = client.post(reverse("log_edit", args=[log.pk]), data)  # same stale form
    assert again.status_code == 302
    log.refresh_from_db()
    assert log.version == 1


# --- REL-2: conflicts
def test_stale_edit_gets_a_conflict_and_keeps_the_typing(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant)
    client.post(reverse("log_create"), data)
    log = InteractionLog.objects.get()
    # Tab A and tab B open the form at version 1; tab B saves first.
    client.post(
        reverse("log_edit", args=[log.pk]),
        dict(data, version="1", place="Tab B place"),
    )
    response = client.post(
        reverse("log_edit", args=[log.pk]),
        dict(data, version="1", narrative="Tab A wrote this longer summary of it all."),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Tab A wrote this longer summary of it all." in html
    assert "saved somewhere else" in html
    log.refresh_from_db()
    assert log.place == "Tab B place"
    assert log.narrative == NARRATIVE
    # The form now carries the stored version: saving again keeps tab A's text.
    assert response.context["form"]["version"].value() == str(log.version)


# --- REL-1: autosave
def test_autosave_creates_then_updates_one_draft_and_submit_files_it(
    as_user, mentor, participant
):
    client = as_user(mentor.user)
    key = str(uuid.uuid4())
    first = client.post(
        reverse("log_autosave_new"),
        {"idempotency_key": key, "participant": participant.pk, "narrative": "We met"},
    )
    assert first.status_code == 200
    body = first.json()
    log = InteractionLog.objects.get()
    assert body["log"] == log.pk and body["status"] == "saved"
    assert log.status == InteractionLog.Status.DRAFT
    assert log.narrative == "We met"

    second = client.post(
        body["autosave_url"],
        {
            "idempotency_key": key,
            "version": body["version"],
            "participant": participant.pk,
            "narrative": "We met at the park",
            "co_ppm": "999",  # not well-formed yet: the rest is still kept
        },
    )
    assert second.status_code == 200
    log.refresh_from_db()
    assert log.narrative == "We met at the park"
    assert log.co_ppm is None
    assert LogRevision.objects.filter(log=log, action="edited").count() == 0

    final = complete(participant, idempotency_key=key, version=second.json()["version"])
    response = client.post(reverse("log_create"), final)
    assert response.status_code == 302
    assert InteractionLog.objects.count() == 1
    log.refresh_from_db()
    assert log.status == InteractionLog.Status.SUBMITTED


def test_autosave_of_a_filed_log_waits_aside_and_comes_back(as_user, mentor, log):
    client = as_user(mentor.user)
    typed = complete(
        log.participant,
        idempotency_key=str(log.idempotency_key),
        version="1",
        narrative="Typing an update when the tab closed",
    )
    response = client.post(reverse("log_autosave", args=[log.pk]), typed)
    assert response.status_code == 200
    log.refresh_from_db()
    assert log.narrative != typed["narrative"]  # the filed log is unchanged
    assert log.version == 1
    assert LogAutosave.objects.filter(log=log, user=mentor.user).exists()

    page = client.get(reverse("log_edit", args=[log.pk]))
    assert "Typing an update when the tab closed" in page.content.decode()
    assert "brought back changes" in page.content.decode()

    client.post(reverse("log_edit", args=[log.pk]), typed)
    log.refresh_from_db()
    assert log.narrative == "Typing an update when the tab closed"
    assert not LogAutosave.objects.exists()


def test_autosave_with_a_stale_version_reports_a_conflict(as_user, mentor, participant):
    client = as_user(mentor.user)
    key = str(uuid.uuid4())
    body = client.post(
        reverse("log_autosave_new"), {"idempotency_key": key, "narrative": "one"}
    ).json()
    client.post(
        body["autosave_url"],
        {"idempotency_key": key, "version": "1", "narrative": "two"},
    )
    stale = client.post(
        body["autosave_url"],
        {"idempotency_key": key, "version": "1", "narrative": "three"},
    )
    assert stale.status_code == 409
    assert InteractionLog.objects.get().narrative == "two"


def test_autosave_after_submit_does_not_reopen_the_log(as_user, mentor, participant):
    client = as_user(mentor.user)
    data = complete(participant)
    client.post(reverse("log_create"), data)
    late = client.post(reverse("log_autosave_new"), data)
    assert late.json()["status"] == "filed"
    assert InteractionLog.objects.get().status == InteractionLog.Status.SUBMITTED


def test_autosave_of_a_filed_log_ignores_an_impossible_version(as_user, mentor, log):
    """Found by fuzzing: a version no log ever had (here one too large for any
    integer column) is taken as the current one, never stored (INP)."""
    response = as_user(mentor.user).post(
        reverse("log_autosave", args=[log.pk]),
        {"version": str(2**63), "narrative": "Still typing"},
    )
    assert response.status_code == 200
    assert LogAutosave.objects.get(log=log).base_version == log.version


# --- retired options
def test_a_retired_option_stays_on_logs_that_use_it_and_only_there(
    as_user, mentor, participant
):
    client = as_user(mentor.user)
    retired = Topic.objects.get(code="cravings_triggers")
    other = Topic.objects.filter(is_active=True).exclude(pk=retired.pk).first()
    client.post(reverse("log_create"), complete(participant))
    log = InteractionLog.objects.get()
    Topic.objects.filter(pk=retired.pk).update(is_active=False)

    # Editing the log that uses it: still offered, still ticked, and saving
    # keeps it (the retired option is not silently dropped).
    form = client.get(reverse("log_edit", args=[log.pk])).context["form"]
    offered = list(form.fields["topics"].queryset)
    assert retired in offered and other in offered
    assert len(offered) == len(set(offered))  # no duplicate choices
    response = client.post(
        reverse("log_edit", args=[log.pk]),
        complete(participant, version=log.version, topics=[retired.pk, other.pk]),
    )
    assert response.status_code == 302
    assert set(log.topics.all()) == {retired, other}

    # A new log is not offered it, and posting it anyway is refused by the field.
    new_form = client.get(reverse("log_create")).context["form"]
    assert retired not in new_form.fields["topics"].queryset
    response = client.post(
        reverse("log_create"), complete(participant, topics=[retired.pk])
    )
    assert response.status_code == 400  # the form again, with the message
    assert "topics" in errors(response)


# --- the assignment rule in the service (issue 11, finding 11)
def _service_values(participant, day: dt.date) -> dict:
    return log_values(
        participant,
        contact_date=day,
        start_time=dt.time(10, 30),
        duration_minutes=45,
        mode="in_person",
        narrative=NARRATIVE,
    )


def test_log_save_refuses_a_date_outside_the_assignment(mentor, participant):
    """Issue 11 finding 11: "the participant was assigned to this mentor on the
    contact date" holds for code that calls log_save directly, not only for the
    form: the service refuses, on the participant field, and writes nothing."""
    from django.core.exceptions import ValidationError

    Assignment.objects.filter(participant=participant).update(
        end_date=dt.date(2026, 6, 30)
    )
    for submit in (False, True):
        with pytest.raises(ValidationError) as caught:
            save_log(
                mentor,
                _service_values(participant, dt.date(2026, 11, 18)),
                submit=submit,
            )
        assert "participant" in caught.value.message_dict
    assert InteractionLog.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="log.").exists()


def test_log_save_refuses_a_participant_never_assigned_to_the_mentor(
    mentor, other_participant
):
    """Issue 11 finding 11: another mentor's participant is refused by the
    service itself."""
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        save_log(
            mentor,
            _service_values(other_participant, dt.date(2026, 11, 18)),
            submit=True,
        )
    assert "participant" in caught.value.message_dict
    assert InteractionLog.objects.count() == 0


def test_log_save_accepts_a_date_inside_an_ended_assignment(mentor, participant):
    """Issue 11 finding 11: a late log for a contact while the assignment still
    ran is fine, and so is a draft without a date yet."""
    Assignment.objects.filter(participant=participant).update(
        end_date=dt.date(2026, 6, 30)
    )
    result = save_log(
        mentor, _service_values(participant, dt.date(2026, 6, 30)), submit=True
    )
    assert result.log.status == InteractionLog.Status.SUBMITTED
    draft = save_log(
        mentor,
        {"participant": participant, "narrative": "Started typing"},
        submit=False,
    )
    assert draft.created


def test_form_keeps_its_message_next_to_the_date(as_user, mentor, participant):
    """Issue 11 finding 11: with the rule also in the service, the form still
    names the assignment periods next to the date, and the typing is kept."""
    Assignment.objects.filter(participant=participant).update(
        end_date=dt.date(2026, 6, 30)
    )
    data = complete(participant, contact_date="2026-11-18")
    response = as_user(mentor.user).post(reverse("log_create"), data)
    assert response.status_code == 400
    assert "(assigned: 05 Jan 2026 – 30 Jun 2026)" in " ".join(
        errors(response)["contact_date"]
    )
    assert response.context["form"]["narrative"].value() == NARRATIVE


def test_autosave_with_a_participant_outside_the_stored_date_keeps_the_typing(
    as_user, mentor, participant, site
):
    """Issue 11 finding 11: the draft's autosave keeps saving the narrative while
    the mentor picks a participant whose assignment does not cover the stored
    date (the pair stays the one the service accepted) (REL-1)."""
    ended = ParticipantFactory(site=site)
    AssignmentFactory(
        mentor=mentor,
        participant=ended,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 6, 30),
    )
    client = as_user(mentor.user)
    key = str(uuid.uuid4())
    first = client.post(
        reverse("log_autosave_new"),
        {
            "idempotency_key": key,
            "participant": participant.pk,
            "contact_date": "2026-11-18",
            "narrative": "First words",
        },
    )
    assert first.status_code == 200, first.content
    log = InteractionLog.objects.get()
    second = client.post(
        reverse("log_autosave", args=[log.pk]),
        {
            "idempotency_key": key,
            "version": str(first.json()["version"]),
            "participant": ended.pk,
            "contact_date": "2026-11-18",
            "narrative": "First words and then some more",
        },
    )
    assert second.status_code == 200, second.content
    log.refresh_from_db()
    assert log.narrative == "First words and then some more"
    assert (log.participant, log.contact_date) == (participant, dt.date(2026, 11, 18))

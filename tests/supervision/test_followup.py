"""Changing follow-up items (issue 14): the lifecycle, the required note,
optimistic locking, audit rows without the note's text, and who may see an
item (supervision.permissions)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404

from audit.models import AuditEvent
from core.roles import Role
from supervision import followup
from supervision.models import FollowUpItem
from supervision.permissions import (
    followups_visible_to,
    get_followup_for_user,
    require_followup_user,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
NOTE = "Called Jay's mentor the same evening; crisis line number shared."


def _events(item, action):
    return AuditEvent.objects.filter(
        action=action, object_type="followupitem", object_id=str(item.pk)
    )


# --- the lifecycle -----------------------------------------------------------------
def test_start_moves_open_to_in_progress_and_audits(item, supervisor):
    followup.followup_start(actor=supervisor, item=item, expected_version=1)
    item.refresh_from_db()
    assert item.state == FollowUpItem.State.IN_PROGRESS
    assert item.version == 2
    event = _events(item, "followup.start").get()
    assert event.actor == supervisor
    assert event.details == {"from": "open", "to": "in_progress"}


def test_resolve_records_note_when_and_who(item, supervisor, frozen_now):
    followup.followup_resolve(
        actor=supervisor, item=item, expected_version=1, note=f"  {NOTE}  "
    )
    item.refresh_from_db()
    assert item.state == FollowUpItem.State.RESOLVED
    assert item.resolution_note == NOTE
    assert item.resolved_at == frozen_now
    assert item.resolved_by == supervisor


def test_resolve_audit_row_names_the_notes_length_never_its_text(item, supervisor):
    followup.followup_resolve(
        actor=supervisor, item=item, expected_version=1, note=NOTE
    )
    event = _events(item, "followup.resolve").get()
    assert event.details["note"] == f"{len(NOTE)} chars"
    assert "crisis" not in str(event.details)
    assert (event.site_id, event.mentor_id) == (item.site_id, item.mentor_id)


@pytest.mark.parametrize("note", ["", "   \n\t "])
def test_resolve_without_a_note_is_refused_and_changes_nothing(item, supervisor, note):
    with pytest.raises(ValidationError) as exc:
        followup.followup_resolve(
            actor=supervisor, item=item, expected_version=1, note=note
        )
    assert "note" in exc.value.error_dict
    item.refresh_from_db()
    assert (item.state, item.version) == (FollowUpItem.State.OPEN, 1)
    assert not _events(item, "followup.resolve").exists()


def test_database_refuses_a_resolved_item_without_note(item):
    # The service is not the only guard: the model's check constraint is.
    with pytest.raises(IntegrityError):
        FollowUpItem.objects.filter(pk=item.pk).update(
            state="resolved", resolved_at=dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
        )


def test_reopen_clears_the_resolved_date_and_keeps_the_note(item, supervisor):
    followup.followup_resolve(
        actor=supervisor, item=item, expected_version=1, note=NOTE
    )
    followup.followup_reopen(actor=supervisor, item=item, expected_version=2)
    item.refresh_from_db()
    assert item.state == FollowUpItem.State.OPEN
    assert item.resolved_at is None and item.resolved_by is None
    assert item.resolution_note == NOTE  # the resolve form starts from it again
    assert item.version == 3


def test_reopen_of_an_open_item_is_refused(item, supervisor):
    with pytest.raises(ValidationError):
        followup.followup_reopen(actor=supervisor, item=item, expected_version=1)


def test_start_of_a_resolved_item_is_refused(item, supervisor):
    followup.followup_resolve(
        actor=supervisor, item=item, expected_version=1, note=NOTE
    )
    with pytest.raises(ValidationError):
        followup.followup_start(actor=supervisor, item=item, expected_version=2)


# --- reassigning ---------------------------------------------------------------------
def test_reassign_to_the_site_lead_and_back(item, supervisor, lead):
    followup.followup_reassign(
        actor=supervisor, item=item, expected_version=1, to=followup.REASSIGN_TO_LEAD
    )
    item.refresh_from_db()
    assert item.owner == lead
    event = _events(item, "followup.reassign").get()
    assert event.details["owner_from"] == supervisor.pk
    assert event.details["owner_to"] == lead.pk
    followup.followup_reassign(
        actor=lead, item=item, expected_version=2, to=followup.REASSIGN_TO_SUPERVISOR
    )
    item.refresh_from_db()
    assert item.owner == supervisor


def test_reassign_to_a_lead_the_site_does_not_have_is_refused(item, supervisor):
    with pytest.raises(ValidationError) as exc:
        followup.followup_reassign(
            actor=supervisor, item=item, expected_version=1, to="lead"
        )
    assert "to" in exc.value.error_dict
    item.refresh_from_db()
    assert item.owner == supervisor


def test_reassign_to_the_current_owner_is_refused(item, supervisor):
    with pytest.raises(ValidationError):
        followup.followup_reassign(
            actor=supervisor, item=item, expected_version=1, to="supervisor"
        )


def test_reassign_to_anyone_else_is_refused(item, supervisor):
    with pytest.raises(ValidationError):
        followup.followup_reassign(
            actor=supervisor, item=item, expected_version=1, to="42"
        )


# --- optimistic locking (REL-2) ------------------------------------------------------
def test_a_stale_version_changes_nothing_and_says_so(item, supervisor, lead):
    followup.followup_start(
        actor=lead, item=FollowUpItem.objects.get(), expected_version=1
    )
    with pytest.raises(followup.StaleFollowUp) as exc:
        followup.followup_resolve(
            actor=supervisor, item=item, expected_version=1, note=NOTE
        )
    assert exc.value.item.version == 2
    item.refresh_from_db()
    assert item.state == FollowUpItem.State.IN_PROGRESS
    assert item.resolution_note == ""
    assert not _events(item, "followup.resolve").exists()


def test_the_change_and_its_audit_row_are_one_transaction(
    item, supervisor, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(followup, "audit_record", broken)
    with pytest.raises(RuntimeError):
        followup.followup_resolve(
            actor=supervisor, item=item, expected_version=1, note=NOTE
        )
    item.refresh_from_db()
    assert (item.state, item.version) == (FollowUpItem.State.OPEN, 1)


# --- who sees items ----------------------------------------------------------------
def test_owner_supervisor_and_site_lead_see_the_item(item, supervisor, lead):
    assert get_followup_for_user(supervisor, item.pk) == item
    assert get_followup_for_user(lead, item.pk) == item


def test_an_owner_who_no_longer_supervises_still_sees_their_item(item, mentor):
    former = UserFactory(roles=[Role.SUPERVISOR])
    FollowUpItem.objects.filter(pk=item.pk).update(owner=former)
    assert get_followup_for_user(former, item.pk).pk == item.pk


@pytest.mark.parametrize(
    "who",
    ["mentor", "other_mentor", "other_supervisor", "staff", "admin_user", "nobody"],
)
def test_no_one_else_sees_an_item(request, item, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    with pytest.raises(Http404):
        get_followup_for_user(user, item.pk)
    assert not followups_visible_to(user).exists()


def test_a_lead_of_another_site_does_not_see_the_item(item, other_site):
    other_lead = UserFactory(roles=[Role.SUPERVISOR], sites=[other_site])
    other_site.lead = other_lead
    other_site.save()
    assert not followups_visible_to(other_lead).exists()


def test_site_lead_without_supervisor_role_may_open_the_list(item, site):
    lead = UserFactory(username="lead_only", roles=[Role.RESEARCH])
    site.lead = lead
    site.save()
    require_followup_user(lead)  # no PermissionDenied

"""The follow-up item pages (issue 14): the list (order, overdue, filters,
constant queries), the item page (history, forms, a stale form keeps the
typed note), and the panels on the log pages."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from logs_app.services import log_save
from supervision.models import FollowUpItem
from tests.factories import InteractionLogFactory, log_values
from tests.supervision.factories import FollowUpItemFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
NOTE = "Phoned the care coordinator the same day; safety plan reviewed."


def _items(mentor, participant, n, **kwargs):
    return [
        FollowUpItemFactory(
            log=InteractionLogFactory(mentor=mentor, participant=participant), **kwargs
        )
        for _ in range(n)
    ]


# --- the list ------------------------------------------------------------------------
def test_list_shows_own_open_items_first_and_marks_overdue(
    as_user, supervisor, lead, mentor, participant
):
    theirs = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=mentor, participant=participant),
        owner=lead,
        due_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    mine_later = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=mentor, participant=participant),
        due_at=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
    )
    mine_overdue = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=mentor, participant=participant),
        due_at=dt.datetime(2026, 11, 18, tzinfo=dt.UTC),
    )
    response = as_user(supervisor).get(reverse("followup_list"))
    assert response.status_code == 200
    items = list(response.context["page"].object_list)
    assert items == [mine_overdue, mine_later, theirs]
    assert [i.is_overdue for i in items] == [True, False, True]
    assert b"Overdue" in response.content


def test_list_filters_by_state_kind_and_mentor(
    as_user, supervisor, mentor, participant, site
):
    from tests.factories import MentorFactory

    second = MentorFactory(sites=[site], supervisor=supervisor)
    safety = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=mentor, participant=participant)
    )
    concern = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=second, participant=participant),
        kind=FollowUpItem.Kind.CONCERN,
    )
    done = FollowUpItemFactory(
        log=InteractionLogFactory(mentor=mentor, participant=participant),
        state="resolved",
        resolution_note=NOTE,
        resolved_at=dt.datetime(2026, 11, 18, tzinfo=dt.UTC),
    )
    client = as_user(supervisor)

    def shown(**params):
        return list(client.get(reverse("followup_list"), params).context["page"])

    assert shown() == [safety, concern]  # open or in progress by default
    assert shown(state="resolved") == [done]
    assert set(shown(state="all")) == {safety, concern, done}
    assert shown(kind="concern") == [concern]
    assert shown(mentor=str(second.pk)) == [concern]
    # A value that is not understood is ignored, never a 500.
    assert shown(mentor="x", kind="nope", state="??") == [safety, concern]


def test_site_lead_sees_the_sites_items(as_user, lead, item, other_log):
    FollowUpItemFactory(log=other_log)  # another site's
    response = as_user(lead).get(reverse("followup_list"))
    assert list(response.context["page"]) == [item]


def test_list_shows_no_item_of_another_supervisor(as_user, other_supervisor, item):
    response = as_user(other_supervisor).get(reverse("followup_list"))
    assert list(response.context["page"]) == []
    assert b"No follow-up items match" in response.content


def test_list_query_count_does_not_grow_with_items(
    as_user, supervisor, mentor, participant, django_assert_num_queries
):
    _items(mentor, participant, 3)
    client = as_user(supervisor)
    client.get(reverse("followup_list"))  # warm the session and the roles
    # session, user, roles, mentor choices, count, page: the same with 3 or 12.
    with django_assert_num_queries(6):
        client.get(reverse("followup_list"))
    _items(mentor, participant, 9)
    with django_assert_num_queries(6):
        response = client.get(reverse("followup_list"))
    assert len(response.context["page"].object_list) == 12


# --- the item page -------------------------------------------------------------------
def test_item_page_shows_due_in_site_time_and_audits_the_view(
    as_user, supervisor, item
):
    response = as_user(supervisor).get(reverse("followup_detail", args=[item.pk]))
    assert response.status_code == 200
    # 04:59 UTC is 23:59 the evening before in New York.
    assert "Mon 16 Nov 2026 23:59 EST" in response.content.decode()
    assert reverse("log_review", args=[item.log_id]) in response.content.decode()
    assert AuditEvent.objects.filter(
        action="followup.view", object_id=str(item.pk), actor=supervisor
    ).exists()


def test_resolving_from_the_page_shows_note_and_history(as_user, supervisor, item):
    client = as_user(supervisor)
    url = reverse("followup_resolve", args=[item.pk])
    response = client.post(url, {"version": "1", "note": NOTE}, follow=True)
    page = response.content.decode()
    assert "Resolved. The mentor sees that it was followed up." in page
    assert NOTE in page
    assert "Reopen" in page
    assert [e.action for e in response.context["history"]] == ["followup.resolve"]


def test_resolving_without_a_note_says_why_and_keeps_the_item_open(
    as_user, supervisor, item
):
    response = as_user(supervisor).post(
        reverse("followup_resolve", args=[item.pk]), {"version": "1", "note": "  "}
    )
    assert response.status_code == 400
    assert "Write what was done" in response.content.decode()
    item.refresh_from_db()
    assert item.state == "open"


def test_a_stale_resolve_keeps_the_typed_note_and_says_what_happened(
    as_user, supervisor, lead, item
):
    as_user(lead).post(reverse("followup_start", args=[item.pk]), {"version": "1"})
    response = as_user(supervisor).post(
        reverse("followup_resolve", args=[item.pk]), {"version": "1", "note": NOTE}
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this item" in page
    assert NOTE in page  # still in the box
    form = response.context["resolve_form"]
    assert form["version"].value() == "2"  # a second press goes through
    item.refresh_from_db()
    assert item.state == "in_progress"


def test_start_reopen_and_reassign_from_the_page(as_user, supervisor, lead, item):
    client = as_user(supervisor)
    client.post(reverse("followup_start", args=[item.pk]), {"version": "1"})
    response = client.post(
        reverse("followup_reassign", args=[item.pk]),
        {"version": "2", "to": "lead"},
        follow=True,
    )
    assert "Handed to" in response.content.decode()
    item.refresh_from_db()
    assert (item.state, item.owner) == ("in_progress", lead)


def test_reassign_to_a_missing_lead_shows_the_reason(as_user, supervisor, item):
    response = as_user(supervisor).post(
        reverse("followup_reassign", args=[item.pk]), {"version": "1", "to": "lead"}
    )
    assert response.status_code == 400
    assert "no site lead" in response.content.decode()


def test_forged_owner_field_changes_nothing(as_user, supervisor, item, staff):
    # AZ-5: the new owner is worked out, never posted.
    as_user(supervisor).post(
        reverse("followup_reassign", args=[item.pk]),
        {"version": "1", "to": "supervisor", "owner": str(staff.pk)},
    )
    item.refresh_from_db()
    assert item.owner == supervisor


@pytest.mark.parametrize("who", ["mentor", "other_supervisor", "staff", "admin_user"])
def test_others_get_404_and_a_post_changes_nothing(request, as_user, item, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client = as_user(user)
    assert client.get(reverse("followup_detail", args=[item.pk])).status_code == 404
    response = client.post(
        reverse("followup_resolve", args=[item.pk]), {"version": "1", "note": NOTE}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == "open"
    assert (
        AuditEvent.objects.filter(
            actor=user, action="access.denied", outcome="404"
        ).count()
        == 2
    )


# --- the panels on the log pages -----------------------------------------------------
def test_review_page_lists_the_logs_items_with_links(as_user, supervisor, item):
    response = as_user(supervisor).get(reverse("log_review", args=[item.log_id]))
    page = response.content.decode()
    assert reverse("followup_detail", args=[item.pk]) in page
    assert "Safety flag" in page and "Open" in page


def test_mentor_sees_state_and_date_never_the_note(as_user, supervisor, mentor, item):
    client = as_user(mentor.user)
    page = client.get(reverse("log_detail", args=[item.log_id])).content.decode()
    assert "What you raised" in page and "Open" in page
    as_user(supervisor).post(
        reverse("followup_resolve", args=[item.pk]), {"version": "1", "note": NOTE}
    )
    page = client.get(reverse("log_detail", args=[item.log_id])).content.decode()
    assert "Your supervisor followed up on 19 Nov" in page
    assert NOTE not in page
    assert reverse("followup_detail", args=[item.pk]) not in page


def test_research_staff_see_no_items_on_the_log_page(as_user, supervisor, staff, item):
    as_user(supervisor).post(
        reverse("followup_resolve", args=[item.pk]), {"version": "1", "note": NOTE}
    )
    response = as_user(staff).get(reverse("log_detail", args=[item.log_id]))
    assert response.status_code == 200
    page = response.content.decode()
    assert NOTE not in page
    assert 'id="followups-h"' not in page
    assert reverse("followup_detail", args=[item.pk]) not in page
    assert "What you raised" not in page


def test_item_history_shows_its_opening_and_a_flag_taken_off(
    as_user, supervisor, mentor, participant
):
    """The item page's history names every audited change of the item,
    including the ones filing makes (opened, the mentor unticking the flag)."""

    def file(**values):
        return log_save(
            actor=mentor.user,
            mentor=mentor,
            values=log_values(participant, **values),
            idempotency_key=uuid.uuid4() if log is None else log.idempotency_key,
            log=log,
            expected_version=log.version if log else None,
            submit=True,
        ).log

    log = None
    log = file(safety_concern=True)
    item = FollowUpItem.objects.get(log=log)
    file(safety_concern=False)
    html = as_user(supervisor).get(reverse("followup_detail", args=[item.pk]))
    history = html.content.decode().split("History", 1)[1]
    assert "Opened" in history
    assert "The mentor took the flag off the log" in history

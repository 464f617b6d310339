"""The supervision agenda carries open follow-up items (issue 14, "What was
found": concerns vanish between weeks)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from supervision import meetings
from supervision.models import FollowUpItem
from tests.factories import InteractionLogFactory
from tests.supervision.factories import FollowUpItemFactory

NY = zoneinfo.ZoneInfo("America/New_York")


def _ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


@pytest.fixture
def concern(mentor, participant):
    """A week-47 concern (contact Tue 17 Nov, filed that evening), still open."""
    log = InteractionLogFactory(
        mentor=mentor,
        participant=participant,
        contact_date=dt.date(2026, 11, 17),
        reflection_concerns="Worried about the boundaries of the role.",
    )
    return FollowUpItemFactory(
        log=log,
        kind=FollowUpItem.Kind.CONCERN,
        opened_at=_ny(2026, 11, 17, 19, 0),
        due_at=_ny(2026, 11, 24, 10, 0),
    )


def _carried(client, week: str | None = None) -> list:
    params = {"week": week} if week else {}
    return client.get(reverse("supervision_agenda"), params).context["carried"]


def test_finding_concerns_vanish_between_weeks(as_user, supervisor, concern):
    """Finding: "a week-47 concern still waiting in the queue is not on the
    week-48 agenda". It is now, and on every later agenda until resolved."""
    client = as_user(supervisor)
    week47 = client.get(reverse("supervision_agenda"), {"week": "2026-W47"})
    assert [log.pk for log in week47.context["logs"]] == [concern.log_id]
    assert week47.context["carried"] == []  # it is this week's own log
    assert _carried(client, "2026-W48") == [concern]
    assert _carried(client, "2027-W03") == [concern]
    page = client.get(reverse("supervision_agenda"), {"week": "2026-W48"})
    assert reverse("followup_detail", args=[concern.pk]) in page.content.decode()
    assert "Raised in 2026-W47" in page.content.decode()
    # Due in the site's time, named, as on the item list (a team across time
    # zones read it in the first mentor's zone, unnamed).
    assert "due Tue 24 Nov 10:00 EST" in page.content.decode()


def test_a_resolved_item_shows_in_its_last_week_then_leaves(
    as_user, supervisor, concern
):
    FollowUpItem.objects.filter(pk=concern.pk).update(
        state="resolved",
        resolution_note="Talked it through in supervision.",
        resolved_at=_ny(2026, 11, 25, 11, 0),  # Wednesday of week 48
    )
    client = as_user(supervisor)
    assert [i.state for i in _carried(client, "2026-W48")] == ["resolved"]
    assert _carried(client, "2026-W49") == []


def test_an_item_is_not_on_agendas_before_it_was_raised(as_user, supervisor, concern):
    assert _carried(as_user(supervisor), "2026-W46") == []


def test_carried_across_the_dst_change_in_site_time(
    as_user, supervisor, mentor, participant
):
    """New York leaves daylight time on Sun 1 Nov 2026. A safety item raised
    late on that Sunday (04:30 UTC on Monday, in standard time) is on week
    44's agenda (which ends at 05:00 UTC, not at 04:00 as in daylight time);
    one raised just after midnight on Monday is not. Both carry into week 45's
    agenda, seen on the Tuesday with the default week. Their logs are from
    week 43, so both are carried, not the week's own logs."""
    late_sunday = FollowUpItemFactory(
        log=InteractionLogFactory(
            mentor=mentor,
            participant=participant,
            contact_date=dt.date(2026, 10, 21),
            safety_concern=True,
        ),
        opened_at=_ny(2026, 11, 1, 23, 30),  # 04:30 UTC on Monday
        due_at=_ny(2026, 11, 1, 23, 59),
    )
    early_monday = FollowUpItemFactory(
        log=InteractionLogFactory(
            mentor=mentor,
            participant=participant,
            contact_date=dt.date(2026, 10, 22),
            safety_concern=True,
        ),
        opened_at=_ny(2026, 11, 2, 0, 30),
        due_at=_ny(2026, 11, 2, 23, 59),
    )
    client = as_user(supervisor)
    assert _carried(client, "2026-W44") == [late_sunday]
    with time_machine.travel(_ny(2026, 11, 3, 9, 0), tick=False):
        response = client.get(reverse("supervision_agenda"))
        assert response.context["week_label"] == "2026-W45"
        assert response.context["carried"] == [late_sunday, early_monday]


def test_another_supervisors_items_never_carry_into_my_agenda(
    as_user, other_supervisor, concern
):
    assert _carried(as_user(other_supervisor), "2026-W48") == []


def test_agenda_query_count_does_not_grow_with_items(
    as_user, supervisor, mentor, participant, django_assert_num_queries
):
    def add(n):
        for day in range(n):
            FollowUpItemFactory(
                log=InteractionLogFactory(
                    mentor=mentor,
                    participant=participant,
                    # Even: the week's own logs (W46); odd: carried from W45.
                    contact_date=dt.date(2026, 11, 9 if day % 2 == 0 else 2)
                    + dt.timedelta(days=day % 7),
                    safety_concern=True,
                ),
                opened_at=_ny(2026, 11, 2, 12, 0),
            )

    add(3)
    client = as_user(supervisor)
    client.get(reverse("supervision_agenda"), {"week": "2026-W46"})
    # session, user, roles, mentors, their sites, the week's logs, their
    # comments, their items, the carried items, the open meeting actions: the
    # same with 3 or 12.
    with django_assert_num_queries(10):
        client.get(reverse("supervision_agenda"), {"week": "2026-W46"})
    add(9)
    with django_assert_num_queries(10):
        response = client.get(reverse("supervision_agenda"), {"week": "2026-W46"})
    logs, carried = response.context["logs"], response.context["carried"]
    assert len(logs) + len(carried) == 12 and logs and carried


def test_open_meeting_actions_carry_into_the_agenda_until_done(
    as_user, supervisor, mentor
):
    """Issue 14: actions agreed in a meeting appear on the next agenda until
    done, and the agenda links to planning a meeting with each mentor."""
    meeting = meetings.meeting_plan(
        actor=supervisor, mentor=mentor, planned_for=_ny(2026, 11, 16, 10, 0)
    )
    action = meetings.meeting_action_add(
        actor=supervisor, meeting=meeting, text="Call the clinic about NRT"
    )
    client = as_user(supervisor)
    page = client.get(reverse("supervision_agenda"), {"week": "2026-W48"})
    assert [a.pk for a in page.context["open_actions"]] == [action.pk]
    html = page.content.decode()
    assert "Call the clinic about NRT" in html
    assert reverse("meeting_plan", args=[mentor.pk]) in html
    meetings.meeting_action_done(actor=supervisor, action=action)
    page = client.get(reverse("supervision_agenda"), {"week": "2026-W48"})
    assert page.context["open_actions"] == []
    assert "Call the clinic about NRT" not in page.content.decode()

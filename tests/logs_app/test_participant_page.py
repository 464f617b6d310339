"""The participant progress page: who may open it, what it works out from a
small, known set of logs, and a query count that does not grow with the logs.

The clock is fixed (conftest NOW): Thursday 19 Nov 2026, 15:00 in New York."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from logs_app.models import InteractionLog
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

SVG = "{http://www.w3.org/2000/svg}"
MET = InteractionLog.Outcome.MET
NOV = dt.date(2026, 11, 1)  # NOV + n is n days after 1 Nov


def _url(participant) -> str:
    return reverse("participant_detail", args=[participant.pk])


def _day(n: int) -> dt.date:
    return NOV + dt.timedelta(days=n - 1)


def _log(mentor, participant, day: int, **fields) -> InteractionLog:
    fields.setdefault("submitted_at", dt.datetime(2026, 11, 18, tzinfo=dt.UTC))
    return InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=_day(day), **fields
    )


# --- who may open it ---------------------------------------------------------------
def test_anonymous_is_sent_to_login(client, participant):
    response = client.get(_url(participant))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_assigned_mentor_gets_200(as_user, mentor, participant):
    assert as_user(mentor.user).get(_url(participant)).status_code == 200


def test_mentors_supervisor_gets_200(as_user, supervisor, participant):
    assert as_user(supervisor).get(_url(participant)).status_code == 200


def test_admin_gets_200(as_user, admin_user, participant):
    assert as_user(admin_user).get(_url(participant)).status_code == 200


def test_former_mentor_gets_404_but_still_reads_their_own_logs(
    as_user, site, supervisor, participant
):
    """Issue 11 finding 17: months after the assignment ended, a former mentor
    no longer opens the participant's page (with the preferred name); their
    own past logs stay readable."""
    former = MentorFactory(sites=[site], supervisor=supervisor)
    AssignmentFactory(
        mentor=former,
        participant=participant,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 3, 1),
    )
    old_log = InteractionLogFactory(
        mentor=former, participant=participant, contact_date=dt.date(2026, 2, 2)
    )
    client = as_user(former.user)

    assert client.get(_url(participant)).status_code == 404
    assert client.get(reverse("log_detail", args=[old_log.pk])).status_code == 200
    # Their supervisor still follows the participant's history.
    page = as_user(supervisor).get(_url(participant))
    assert page.status_code == 200
    assert old_log in page.context["progress"].logs


def test_mentor_whose_assignment_ends_today_at_the_site_gets_200(
    as_user, other_mentor, other_participant
):
    """Issue 11 finding 17: "ended" is the site's day. NOW is 20:00 UTC on
    19 Nov, already Friday 20 Nov in Sydney: an assignment ending 20 Nov still
    runs there, one ending 19 Nov has ended."""
    assignment = other_participant.assignments.get()
    for end, expected in ((dt.date(2026, 11, 20), 200), (dt.date(2026, 11, 19), 404)):
        assignment.end_date = end
        assignment.save()
        response = as_user(other_mentor.user).get(_url(other_participant))
        assert response.status_code == expected, end


def test_a_future_assignment_opens_the_page(as_user, site, participant):
    """Issue 11 finding 17: a mentor about to start with someone may read up."""
    starting = MentorFactory(sites=[site])
    AssignmentFactory(
        mentor=starting, participant=participant, start_date=dt.date(2026, 12, 1)
    )
    assert as_user(starting.user).get(_url(participant)).status_code == 200


def test_other_mentor_gets_404(as_user, other_mentor, participant):
    assert as_user(other_mentor.user).get(_url(participant)).status_code == 404


def test_unassigned_mentor_with_the_same_supervisor_gets_404(
    as_user, site, supervisor, participant
):
    peer = MentorFactory(sites=[site], supervisor=supervisor)

    assert as_user(peer.user).get(_url(participant)).status_code == 404


def test_other_supervisor_gets_404(as_user, other_supervisor, participant):
    assert as_user(other_supervisor).get(_url(participant)).status_code == 404


def test_research_staff_get_404(as_user, staff, participant):
    # Staff may know the participant exists (their site) but not this page.
    assert as_user(staff).get(_url(participant)).status_code == 404


def test_user_without_role_gets_404(as_user, nobody, participant):
    assert as_user(nobody).get(_url(participant)).status_code == 404


def test_unknown_participant_gets_404(as_user, mentor, participant):
    missing = reverse("participant_detail", args=[participant.pk + 1000])
    assert as_user(mentor.user).get(missing).status_code == 404


def test_post_gets_405(as_user, mentor, participant):
    assert as_user(mentor.user).post(_url(participant)).status_code == 405


def test_viewing_is_audited(as_user, mentor, participant):
    as_user(mentor.user).get(_url(participant))

    event = AuditEvent.objects.get(action="participant.view")
    assert event.actor == mentor.user
    assert event.object_id == str(participant.pk)


# --- what it shows -----------------------------------------------------------------
@pytest.fixture
def history(mentor, participant):
    """Five filed contacts by `mentor` in November, plus two that must not count:
    - Mon 2 Nov  met: CO 20, 15 a day, thinking about quitting, goal A
    - Fri 6 Nov  no answer (an attempt: no measures, no goal)
    - Mon 9 Nov  met: CO 14, 10 a day, getting ready, goal A partly met, goal B,
                 quit date 1 Dec set
    - Thu 12 Nov met: CO 15, getting ready (no change), goal B met, no new goal
    - Mon 16 Nov met: CO 9, 6 a day, quitting now, goal C
    - Tue 17 Nov met, voided (CO 99)        - left out
    - Wed 18 Nov met, a draft (CO 3)        - left out"""
    stage = InteractionLog.Stage
    goal = InteractionLog.GoalOutcome
    _log(
        mentor,
        participant,
        2,
        co_ppm=20,
        cigarettes_per_day=15,
        stage_of_change=stage.CONTEMPLATION,
        weekly_goal="Goal A: delay the first cigarette",
    )
    _log(
        mentor,
        participant,
        6,
        outcome=InteractionLog.Outcome.NO_ANSWER,
        mode=InteractionLog.Mode.PHONE,
        duration_minutes=5,
    )
    _log(
        mentor,
        participant,
        9,
        co_ppm=14,
        cigarettes_per_day=10,
        stage_of_change=stage.PREPARATION,
        last_goal_outcome=goal.PARTLY,
        weekly_goal="Goal B: call the quitline",
        quit_date=dt.date(2026, 12, 1),
    )
    _log(
        mentor,
        participant,
        12,
        co_ppm=15,
        stage_of_change=stage.PREPARATION,
        last_goal_outcome=goal.MET,
    )
    _log(
        mentor,
        participant,
        16,
        co_ppm=9,
        cigarettes_per_day=6,
        stage_of_change=stage.ACTION,
        weekly_goal="Goal C: wear the patch every morning",
    )
    _log(
        mentor,
        participant,
        17,
        co_ppm=99,
        is_voided=True,
        void_reason="Entered twice",
        weekly_goal="VOIDED GOAL",
    )
    _log(
        mentor,
        participant,
        18,
        status=InteractionLog.Status.DRAFT,
        submitted_at=None,
        co_ppm=3,
        weekly_goal="DRAFT GOAL",
    )


def _page(as_user, user, participant):
    response = as_user(user).get(_url(participant))
    assert response.status_code == 200
    return response


def _chart_points(svg: str) -> list[tuple[float, float, str]]:
    root = ET.fromstring(svg)
    return [
        (float(c.get("cx")), float(c.get("cy")), c.find(f"{SVG}title").text)
        for c in root.iter(f"{SVG}circle")
    ]


def test_figures_from_a_known_history(as_user, mentor, participant, history):
    response = _page(as_user, mentor.user, participant)
    progress = response.context["progress"]

    # Drafts and voided logs are left out; newest first.
    assert [log.contact_date for log in progress.logs] == [
        _day(16),
        _day(12),
        _day(9),
        _day(6),
        _day(2),
    ]
    assert progress.meetings == 4
    # Today in New York is Thu 19 Nov; the last meeting was Mon 16 Nov (the
    # draft of Wed 18 Nov and the voided log of Tue 17 Nov do not count).
    assert progress.today == _day(19)
    assert progress.last_contact == _day(16)
    assert progress.days_since == 3
    # No quit date on the participant: the one set at the 9 Nov meeting.
    assert progress.quit_date == dt.date(2026, 12, 1)
    assert progress.quit_date_set_on == _day(9)
    assert progress.current_mentors == [mentor]
    assert progress.is_current_mentor


def test_goal_is_paired_with_the_next_meetings_outcome(
    as_user, mentor, participant, history
):
    goals = _page(as_user, mentor.user, participant).context["progress"].goals

    # Newest first. Goal A's outcome is recorded at 9 Nov (the 6 Nov attempt
    # does not ask about goals); goal B's at 12 Nov; goal C has no next meeting.
    assert [
        (g.log.contact_date, g.log.weekly_goal[:6], g.outcome, g.has_next_meeting)
        for g in goals
    ] == [
        (_day(16), "Goal C", "", False),
        (_day(9), "Goal B", "met", True),
        (_day(2), "Goal A", "partly", True),
    ]


def test_goals_are_shown_with_how_they_went(as_user, mentor, participant, history):
    html = _page(as_user, mentor.user, participant).content.decode()

    assert "Goal C: wear the patch every morning" in html
    assert "not recorded yet" in html
    assert "Partly met" in html
    assert "VOIDED GOAL" not in html
    assert "DRAFT GOAL" not in html


def test_co_chart_has_a_point_per_reading(as_user, mentor, participant, history):
    response = _page(as_user, mentor.user, participant)

    assert response.context["progress"].co_points == [
        (_day(2), 20),
        (_day(9), 14),
        (_day(12), 15),
        (_day(16), 9),
    ]
    points = _chart_points(response.context["co_chart"])
    assert [title for _x, _y, title in points] == [
        "CO (ppm): 20 on 2 Nov 2026",
        "CO (ppm): 14 on 9 Nov 2026",
        "CO (ppm): 15 on 12 Nov 2026",
        "CO (ppm): 9 on 16 Nov 2026",
    ]
    xs = [x for x, _y, _t in points]
    assert xs == sorted(xs)
    # The charts are inline in the page, without style attributes (CSP).
    html = response.content.decode()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "style=" not in html


def test_cigarettes_chart_skips_meetings_without_a_count(
    as_user, mentor, participant, history
):
    response = _page(as_user, mentor.user, participant)

    assert response.context["progress"].cigarette_points == [
        (_day(2), 15),
        (_day(9), 10),
        (_day(16), 6),
    ]
    assert len(_chart_points(response.context["cigarette_chart"])) == 3


def test_stage_changes_are_listed_once_each(as_user, mentor, participant, history):
    progress = _page(as_user, mentor.user, participant).context["progress"]

    assert [(c.on, c.stage) for c in progress.stage_changes] == [
        (_day(2), "contemplation"),
        (_day(9), "preparation"),
        (_day(16), "action"),
    ]


def test_timeline_links_to_each_log_without_narratives(
    as_user, supervisor, participant, history
):
    response = _page(as_user, supervisor, participant)
    html = response.content.decode()

    for log in response.context["progress"].logs:
        assert reverse("log_detail", args=[log.pk]) in html
    assert "Tried – no answer" in html
    assert "We met at the clinic" not in html  # the factory's narrative


def test_preferred_name_shown_to_mentor_and_supervisor(
    as_user, mentor, supervisor, participant
):
    for user in (mentor.user, supervisor):
        assert "Jay" in _page(as_user, user, participant).content.decode()


def test_preferred_name_not_shown_to_an_admin_who_does_not_work_with_them(
    as_user, admin_user, participant
):
    # DESIGN: the preferred name is for the assigned mentor and their supervisor.
    assert "Jay" not in _page(as_user, admin_user, participant).content.decode()


def test_supervisor_sees_every_mentors_logs_a_mentor_only_their_own(
    as_user, site, mentor, supervisor, participant
):
    co_mentor = MentorFactory(sites=[site], supervisor=supervisor)
    AssignmentFactory(
        mentor=co_mentor, participant=participant, start_date=dt.date(2026, 11, 1)
    )
    _log(mentor, participant, 9)
    _log(co_mentor, participant, 16)

    supervisor_view = _page(as_user, supervisor, participant).context["progress"]
    mentor_view = _page(as_user, mentor.user, participant).context["progress"]

    assert len(supervisor_view.logs) == 2
    assert supervisor_view.current_mentors == [mentor, co_mentor]
    assert not supervisor_view.is_current_mentor
    assert [log.mentor for log in mentor_view.logs] == [mentor]
    assert mentor_view.days_since == 10  # from what the mentor can see


def test_today_is_the_sites(as_user, other_mentor, other_participant):
    # NOW is 20:00 UTC on 19 Nov: already Friday 20 Nov, 07:00, in Sydney.
    _log(other_mentor, other_participant, 19)

    progress = _page(as_user, other_mentor.user, other_participant).context["progress"]

    assert progress.today == _day(20)
    assert progress.days_since == 1


def test_participants_own_quit_date_comes_first(as_user, mentor, participant):
    participant.quit_date = dt.date(2026, 11, 30)
    participant.save()
    _log(mentor, participant, 9, quit_date=dt.date(2026, 12, 1))

    progress = _page(as_user, mentor.user, participant).context["progress"]

    assert progress.quit_date == dt.date(2026, 11, 30)
    assert progress.quit_date_set_on is None


def test_no_logs_shows_an_empty_state(as_user, mentor, participant):
    response = _page(as_user, mentor.user, participant)
    html = response.content.decode()

    assert "No contacts logged yet" in html
    assert "<svg" not in html
    assert response.context["progress"].days_since is None


def test_my_week_links_to_the_participant_page(as_user, mentor, participant):
    response = as_user(mentor.user).get(reverse("my_week"))

    assert _url(participant) in response.content.decode()


# --- queries -----------------------------------------------------------------------
@pytest.mark.parametrize("n", [3, 30])
def test_queries_do_not_grow_with_logs(
    n, client, site, mentor, supervisor, participant, django_assert_num_queries
):
    """Viewed by the supervisor, with logs alternating between two mentors (so a
    query per row for a mentor or their user would show), every third one an
    attempt, all with measures and goals."""
    co_mentor = MentorFactory(sites=[site], supervisor=supervisor)
    AssignmentFactory(
        mentor=co_mentor, participant=participant, start_date=dt.date(2026, 1, 5)
    )
    for i in range(n):
        _log(
            mentor if i % 2 else co_mentor,
            participant,
            1 + i % 18,
            outcome=InteractionLog.Outcome.NO_SHOW if i % 3 == 0 else MET,
            co_ppm=10 + i,
            cigarettes_per_day=i,
            stage_of_change=InteractionLog.Stage.choices[i % 5][0],
            weekly_goal=f"Goal {i}",
            last_goal_outcome=InteractionLog.GoalOutcome.MET,
        )
    client.force_login(supervisor)

    # 1. session  2. user  3. the user's groups (user_roles, then cached)
    # 4. the participant with site and cohort, scoped (visible_to + assignments)
    # 5. the audit event (insert)
    # 6. current assignments with mentor and user
    # 7. the participant's filed logs the user may read, with mentor and user
    with django_assert_num_queries(7):
        response = client.get(_url(participant))

    assert response.status_code == 200
    assert len(response.context["progress"].logs) == n


# --- long histories ----------------------------------------------------------------
def test_long_history_lists_the_newest_contacts_and_links_to_all(
    as_user, mentor, participant
):
    """Three years of weekly contacts would make a page nobody reads to the
    end (and that took 300 ms to render at program scale): the newest 20
    contacts and 10 goals are listed, every figure still counts them all, and
    a link opens the whole history on the log list, filtered."""
    for day in range(1, 31):
        _log(mentor, participant, day, weekly_goal=f"Goal of day {day}")
    client = as_user(mentor.user)
    response = client.get(_url(participant))
    html = response.content.decode()
    progress = response.context["progress"]

    assert progress.meetings == 30
    assert len(progress.logs) == 30
    assert [log.contact_date for log in progress.recent_logs] == [
        _day(d) for d in range(30, 10, -1)
    ]
    assert len(re.findall(r'href="/logs/\d+/"', html)) == 20
    assert f'href="/logs/?participant={participant.pk}"' in html
    assert "All 30 contacts" in html
    assert "The 10 most recent of 30 goals." in html
    assert "Goal of day 30" in html and "Goal of day 20" not in html

    # The link's target lists all 30, oldest on the second page.
    listed = client.get(reverse("log_list"), {"participant": participant.pk})
    assert listed.context["page"].paginator.count == 30


def test_short_history_has_no_all_contacts_link(as_user, mentor, participant):
    for day in range(1, 4):
        _log(mentor, participant, day, weekly_goal="Walk")
    html = as_user(mentor.user).get(_url(participant)).content.decode()

    assert f"/logs/?participant={participant.pk}" not in html
    assert "most recent of" not in html

"""The supervisor dashboards: team week, role mix, engagement gaps and
reflections. Each figure is checked against a small known data set, with the
expected numbers worked out by hand in comments.

The clock is frozen (conftest NOW): Thursday 19 Nov 2026, 20:00 UTC, which is
Thursday 15:00 in New York and Friday 20 Nov 07:00 in Sydney. The current ISO
week is 2026-W47: Monday 16 Nov to Sunday 22 Nov."""

import datetime as dt

import pytest
from django.urls import reverse

from core.roles import Role
from logs_app.models import InteractionLog, RoleFunction
from participants.models import Participant
from tests.factories import (
    AssignmentFactory,
    InteractionLogFactory,
    MentorFactory,
    ParticipantFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("frozen_now")

S = InteractionLog.Status
O = InteractionLog.Outcome  # noqa: E741
D = dt.date
PAGES = ["team_week", "role_mix", "engagement_gaps", "team_reflections"]


def _log(mentor, participant, day: dt.date, **fields) -> InteractionLog:
    """A filed log; `status=S.DRAFT` gives a draft, `is_voided=True` a voided log."""
    fields.setdefault("status", S.SUBMITTED)
    if fields["status"] == S.DRAFT:
        fields["submitted_at"] = None
    if fields["status"] == S.REVIEWED:
        fields.setdefault("reviewed_at", dt.datetime(2026, 11, 19, tzinfo=dt.UTC))
        fields.setdefault("reviewed_by", mentor.supervisor)
    if fields.get("is_voided"):
        fields.setdefault("void_reason", "Entered twice")
    if fields.get("outcome", O.MET) != O.MET:
        fields.setdefault("duration_minutes", None)
    functions = fields.pop("functions", [])
    log = InteractionLogFactory(
        mentor=mentor, participant=participant, contact_date=day, **fields
    )
    if functions:
        log.role_functions.set(RoleFunction.objects.filter(code__in=functions))
    return log


JAN_5 = D(2026, 1, 5)


def _assigned(mentor, study_id: str, site, start=JAN_5, end=None, **kw):
    participant = ParticipantFactory(study_id=study_id, site=site, **kw)
    AssignmentFactory(
        mentor=mentor, participant=participant, start_date=start, end_date=end
    )
    return participant


@pytest.fixture
def team(mentor, supervisor, site, other_site):
    """The supervisor's team: Avery (`mentor`, New York), Blake (Sydney) and
    Casey (New York, no one assigned and nothing logged). Names fix the order."""
    mentor.user.first_name = "Avery"
    mentor.user.save()
    blake = MentorFactory(
        user__first_name="Blake", sites=[other_site], supervisor=supervisor
    )
    casey = MentorFactory(user__first_name="Casey", sites=[site], supervisor=supervisor)
    return mentor, blake, casey


def _get(client, name: str, **params):
    return client.get(reverse(name), params)


# --- Team week ---------------------------------------------------------------------
@pytest.fixture
def week_data(team, participant, site, other_site, other_mentor, other_participant):
    """Known logs around 2026-W47 (Mon 16 – Sun 22 Nov)."""
    avery, blake, _casey = team
    p1 = participant  # NYC-0001, assigned to Avery since 5 Jan
    p2 = _assigned(avery, "NYC-0002", site, start=D(2026, 11, 22))  # from Sunday
    p3 = _assigned(avery, "NYC-0003", site, end=D(2026, 11, 15))  # ended Sunday before
    _assigned(avery, "NYC-0004", site, start=D(2026, 11, 23))  # from the next Monday
    q1 = _assigned(blake, "SYD-0011", other_site)
    q2 = _assigned(blake, "SYD-0012", other_site, end=D(2026, 11, 16))  # ends Monday

    # Avery, counted:
    _log(avery, p1, D(2026, 11, 16), duration_minutes=60, reflection_feelings="Tired")
    _log(
        avery,
        p1,
        D(2026, 11, 22),  # Sunday: still W47
        status=S.REVIEWED,
        duration_minutes=45,
        # A concern (issue 14: its own field; a question is not counted).
        concern="Worried about their housing",
    )
    _log(avery, p2, D(2026, 11, 18), outcome=O.NO_ANSWER)
    _log(
        avery,
        p2,
        D(2026, 11, 19),
        status=S.RETURNED,
        duration_minutes=45,
        safety_concern=True,
    )
    # Avery, not counted:
    _log(avery, p1, D(2026, 11, 15), duration_minutes=60)  # Sunday of W46
    _log(avery, p1, D(2026, 11, 23), duration_minutes=60)  # Monday of W48
    _log(avery, p1, D(2026, 11, 17), status=S.DRAFT, reflection_feelings="Draft")
    _log(avery, p2, D(2026, 11, 17), is_voided=True, duration_minutes=90)
    _log(avery, p3, D(2026, 11, 10), duration_minutes=60)  # W46
    # Blake (Sydney), counted:
    _log(
        blake,
        q1,
        D(2026, 11, 16),
        duration_minutes=90,
        reflection_feelings="Hard day",
        reflection_concerns="Should I call their GP?",
        concern="They seemed low.",
    )
    _log(blake, q2, D(2026, 11, 20), outcome=O.CANCELLED)
    _log(blake, q2, D(2026, 11, 21), outcome=O.NO_SHOW, status=S.REVIEWED)
    _log(blake, q1, D(2026, 11, 22), duration_minutes=30, safety_concern=True)
    # Another supervisor's mentor: never on this supervisor's page.
    _log(other_mentor, other_participant, D(2026, 11, 18), safety_concern=True)
    return team


def _figures(figures) -> dict:
    return {
        "met": figures.met,
        "attempted": figures.attempted,
        "hours": figures.hours,
        "seen": figures.seen,
        "assigned": figures.assigned,
        "reflections": figures.reflections,
        "concerns": figures.concerns,
        "safety": figures.safety,
        "awaiting": figures.awaiting,
    }


def test_team_week_figures_by_hand(week_data, supervisor, as_user):
    response = _get(as_user(supervisor), "team_week", week="2026-W47")

    assert response.status_code == 200
    team = response.context["team"]
    assert (team.week_start, team.week_end) == (D(2026, 11, 16), D(2026, 11, 22))
    assert [str(row.mentor) for row in team.rows] == ["Avery", "Blake", "Casey"]
    avery, blake, casey = (_figures(row.figures) for row in team.rows)
    # Avery: met Mon 16 (60 min), Sun 22 (45), Thu 19 (45) = 3 met, 150 min = 2.5 h;
    # tried Wed 18 (no answer) = 1. Seen NYC-0001 and NYC-0002 = 2; assigned in
    # the week: NYC-0001 and NYC-0002 (from Sunday) = 2 (NYC-0003 ended the Sunday
    # before, NYC-0004 starts the Monday after). Reflections: Mon 16 (feelings),
    # Sun 22 (concerns) = 2; concerns 1 (Sun 22); safety 1 (Thu 19); awaiting
    # review: Mon 16 and Wed 18 are submitted = 2 (Sun 22 reviewed, Thu 19 returned).
    # The draft, the voided log and the logs of Sun 15 and Mon 23 are left out.
    assert avery == {
        "met": 3,
        "attempted": 1,
        "hours": 2.5,
        "seen": 2,
        "assigned": 2,
        "reflections": 2,
        "concerns": 1,
        "safety": 1,
        "awaiting": 2,
    }
    # Blake: met Mon 16 (90) and Sun 22 (30) = 2, 120 min = 2.0 h; tried Fri 20
    # (cancelled) and Sat 21 (no-show) = 2. Seen SYD-0011 only = 1; assigned
    # SYD-0011 and SYD-0012 (ends Monday 16) = 2. Reflections 1 and concerns 1
    # (Mon 16 has both); safety 1 (Sun 22); awaiting: Mon 16, Fri 20, Sun 22 = 3.
    assert blake == {
        "met": 2,
        "attempted": 2,
        "hours": 2.0,
        "seen": 1,
        "assigned": 2,
        "reflections": 1,
        "concerns": 1,
        "safety": 1,
        "awaiting": 3,
    }
    assert casey == {
        "met": 0,
        "attempted": 0,
        "hours": 0.0,
        "seen": 0,
        "assigned": 0,
        "reflections": 0,
        "concerns": 0,
        "safety": 0,
        "awaiting": 0,
    }
    # Totals: 3+2 met, 1+2 tried, 150+120 = 270 min = 4.5 h, seen 2+1, assigned
    # 2+2, reflections 2+1, concerns 1+1, safety 1+1, awaiting 2+3.
    assert _figures(team.totals) == {
        "met": 5,
        "attempted": 3,
        "hours": 4.5,
        "seen": 3,
        "assigned": 4,
        "reflections": 3,
        "concerns": 2,
        "safety": 2,
        "awaiting": 5,
    }
    content = response.content.decode()
    assert "Team total" in content
    assert "4.5" in content and "3 of 4" in content
    assert reverse("review_queue") in content


def test_team_week_neighbouring_weeks(week_data, supervisor, as_user):
    client = as_user(supervisor)
    # W46 (9–15 Nov): Avery met NYC-0003 on Tue 10 and NYC-0001 on Sun 15.
    w46 = _get(client, "team_week", week="2026-W46").context["team"]
    assert (w46.rows[0].figures.met, w46.rows[0].figures.minutes) == (2, 120)
    # W48 (23–29 Nov): Avery's Monday 23 only.
    w48 = _get(client, "team_week", week="2026-w48").context["team"]
    assert w48.week_start == D(2026, 11, 23)
    assert w48.totals.met == 1


def test_team_week_defaults_to_the_current_week(week_data, supervisor, as_user):
    response = _get(as_user(supervisor), "team_week")

    week = response.context["week"]
    assert week.label == "2026-W47"
    assert week.previous_label == "2026-W46"
    assert week.next_label is None  # no link into the future
    content = response.content.decode()
    assert 'type="week"' in content and 'value="2026-W47"' in content
    assert "?week=2026-W46" in content


def test_past_week_links_to_the_next_one(team, supervisor, as_user):
    week = _get(as_user(supervisor), "team_week", week="2026-W40").context["week"]
    assert (week.previous_label, week.next_label) == ("2026-W39", "2026-W41")


@pytest.mark.parametrize(
    "value", ["2026-W99", "banana", "2026-W", "W47", "1999-W01", "2026-W47x"]
)
def test_bad_week_falls_back_to_this_week_with_a_message(
    value, team, supervisor, as_user
):
    response = _get(as_user(supervisor), "team_week", week=value)

    assert response.status_code == 200
    assert response.context["week"].label == "2026-W47"
    assert [str(m) for m in response.context["messages"]] == [
        f"We could not read the week “{value}”. Showing this week instead."
    ]


def test_week_input_is_escaped_in_the_message(team, supervisor, as_user):
    response = _get(as_user(supervisor), "team_week", week="<b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in response.content.decode()
    assert "<b>x</b>" not in response.content.decode()


# --- Role mix ----------------------------------------------------------------------
@pytest.fixture
def mix_data(team, participant):
    """Avery's met contacts over the 12 weeks W36 (Mon 31 Aug) – W47 (Sun 22 Nov).
    Blake and Casey logged nothing."""
    avery, _blake, _casey = team
    p = participant
    # First half, W36–W41:
    _log(avery, p, D(2026, 9, 1), functions=["cessation", "relationship"])  # W36
    _log(avery, p, D(2026, 9, 8), functions=["cessation"])  # W37
    _log(avery, p, D(2026, 9, 15))  # W38, no function ticked: still a contact
    _log(avery, p, D(2026, 9, 16), functions=["companionship"])  # W38
    _log(avery, p, D(2026, 9, 29), outcome=O.NO_ANSWER)  # W40, not met
    # Last half, W42–W47:
    _log(avery, p, D(2026, 11, 10), functions=["companionship", "cessation"])  # W46
    _log(avery, p, D(2026, 11, 17), functions=["companionship"])  # W47
    _log(avery, p, D(2026, 11, 18), functions=["health_life"])  # W47
    # Left out: a draft, a voided log, and the Sunday before W36.
    _log(avery, p, D(2026, 11, 19), functions=["cessation"], status=S.DRAFT)
    _log(avery, p, D(2026, 11, 19), functions=["cessation"], is_voided=True)
    _log(avery, p, D(2026, 8, 30), functions=["cessation"])
    return team


def test_role_mix_counts_and_cessation_summary(mix_data, supervisor, as_user):
    response = _get(as_user(supervisor), "role_mix", week="2026-W47")

    assert response.status_code == 200
    mix = response.context["mix"]
    assert mix.week_labels == [f"W{n}" for n in range(36, 48)]
    assert mix.week_starts[0] == D(2026, 8, 31)
    assert [f.code for f in mix.functions] == [
        "cessation",
        "relationship",
        "companionship",
        "health_life",
        "advocacy",
    ]
    avery = mix.mentors[0]
    #              W36 37 38 39 40 41 42 43 44 45 46 47
    assert avery.met == [1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2]
    assert {row.function.code: row.counts for row in avery.functions} == {
        "cessation": [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        "relationship": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        "companionship": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1],
        "health_life": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        "advocacy": [0] * 12,
    }
    # Cessation: 2 of 4 met contacts in W36–W41 = 50 %; 1 of 3 in W42–W47 = 33 %.
    assert avery.cessation_before == pytest.approx(0.5)
    assert avery.cessation_after == pytest.approx(1 / 3)
    sections = response.context["sections"]
    assert sections[0]["summary"] == (
        "Working on quitting smoking: 50 % → 33 % of met contacts "
        "(W36–W41 → W42–W47), down 17 points."
    )
    assert sections[0]["chart"] is not None
    # Blake and Casey: no contacts, no chart and no summary.
    assert [s["chart"] for s in sections[1:]] == [None, None]
    assert [s["summary"] for s in sections[1:]] == [None, None]
    content = response.content.decode()
    assert content.count("<svg") == 1
    assert "<details" in content and "Met contacts" in content
    assert "No meetings logged in these 12 weeks." in content


def test_role_mix_shows_a_retired_function_only_where_used(
    mix_data, supervisor, as_user
):
    RoleFunction.objects.filter(code__in=["relationship", "advocacy"]).update(
        is_active=False
    )
    mix = _get(as_user(supervisor), "role_mix", week="2026-W47").context["mix"]
    # relationship was used in W36, so it stays; advocacy never was.
    assert [f.code for f in mix.functions] == [
        "cessation",
        "relationship",
        "companionship",
        "health_life",
    ]


def test_role_mix_of_an_earlier_week(mix_data, supervisor, as_user):
    # Ending W41: weeks W30–W41; the last half W36–W41 holds the first four
    # contacts (cessation 2 of 4 = 50 %) and the first half only Sun 30 Aug
    # (W35, cessation 1 of 1 = 100 %).
    response = _get(as_user(supervisor), "role_mix", week="2026-W41")
    avery = response.context["mix"].mentors[0]
    assert avery.met == [0, 0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 0]
    assert (avery.cessation_before, avery.cessation_after) == (1.0, 0.5)
    assert response.context["sections"][0]["summary"].endswith("down 50 points.")


# --- Engagement gaps ---------------------------------------------------------------
@pytest.fixture
def gap_data(team, participant, site, other_site, other_mentor, other_participant):
    """Today is Thu 19 Nov in New York, Fri 20 Nov in Sydney."""
    avery, blake, _casey = team
    # NYC-0001 (Avery since 5 Jan): met Fri 6 Nov → 13 days ago in New York.
    _log(avery, participant, D(2026, 11, 6))
    # NYC-0002: never met (a no-answer, a draft and a voided log don't count).
    p2 = _assigned(avery, "NYC-0002", site)
    _log(avery, p2, D(2026, 11, 18), outcome=O.NO_ANSWER)
    _log(avery, p2, D(2026, 11, 17), status=S.DRAFT)
    _log(avery, p2, D(2026, 11, 16), is_voided=True)
    # NYC-0003: assigned from Fri 20 Nov, which is tomorrow in New York.
    _assigned(avery, "NYC-0003", site, start=D(2026, 11, 20))
    # NYC-0004: assignment ended 1 Nov.
    _assigned(avery, "NYC-0004", site, end=D(2026, 11, 1))
    # NYC-0005: met Fri 30 Oct → 20 days ago.
    p5 = _assigned(avery, "NYC-0005", site)
    _log(avery, p5, D(2026, 10, 30))
    # NYC-0006: withdrawn from the program, never met.
    _assigned(avery, "NYC-0006", site, status=Participant.Status.WITHDRAWN)
    # SYD-0011 (Blake): met Fri 6 Nov → 14 days ago in Sydney (today 20 Nov).
    q1 = _assigned(blake, "SYD-0011", other_site)
    _log(blake, q1, D(2026, 11, 6))
    # SYD-0012: assigned from Fri 20 Nov = today in Sydney; never met.
    _assigned(blake, "SYD-0012", other_site, start=D(2026, 11, 20))
    # SYD-0013: assignment ended Thu 19 Nov, yesterday in Sydney.
    _assigned(blake, "SYD-0013", other_site, end=D(2026, 11, 19))
    # SYD-0001 belongs to the other supervisor's mentor and was never met.
    return team


def _gap_rows(response) -> list[tuple[str, str, int | None]]:
    return [
        (g.participant.study_id, str(g.mentor), g.days_since)
        for g in response.context["gaps"]
    ]


def test_gaps_default_14_days_per_site_today(gap_data, supervisor, as_user):
    response = _get(as_user(supervisor), "engagement_gaps")

    assert response.status_code == 200
    assert response.context["days"] == 14
    # Never met first (by study ID), then longest gap. NYC-0001 is 13 days in New
    # York; SYD-0011, met the same day, is 14 days in Sydney.
    assert _gap_rows(response) == [
        ("NYC-0002", "Avery", None),
        ("SYD-0012", "Blake", None),
        ("NYC-0005", "Avery", 20),
        ("SYD-0011", "Blake", 14),
    ]
    first = response.context["gaps"][2]
    assert first.last_contact == D(2026, 10, 30)
    content = response.content.decode()
    assert "never" in content
    assert reverse("participant_detail", args=[first.participant.pk]) in content


def test_gaps_days_parameter(gap_data, supervisor, as_user):
    client = as_user(supervisor)
    assert _gap_rows(_get(client, "engagement_gaps", days="13"))[-1] == (
        "NYC-0001",
        "Avery",
        13,
    )
    assert [row[0] for row in _gap_rows(_get(client, "engagement_gaps", days=30))] == [
        "NYC-0002",
        "SYD-0012",
    ]


@pytest.mark.parametrize("value", ["abc", "0", "366", "-3", "7.5"])
def test_gaps_bad_days_fall_back_to_14_with_a_message(
    value, gap_data, supervisor, as_user
):
    response = _get(as_user(supervisor), "engagement_gaps", days=value)

    assert response.status_code == 200
    assert response.context["days"] == 14
    assert len(_gap_rows(response)) == 4
    assert [str(m) for m in response.context["messages"]] == [
        "Days without contact must be a whole number from 1 to 365, "
        "so this shows 14 days."
    ]


def test_other_supervisor_gaps_show_only_their_mentors(
    gap_data, other_supervisor, other_mentor, as_user
):
    response = _get(as_user(other_supervisor), "engagement_gaps")
    assert _gap_rows(response) == [("SYD-0001", str(other_mentor), None)]


# --- Reflections -------------------------------------------------------------------
@pytest.fixture
def reflection_data(team, participant, other_site, other_mentor, other_participant):
    avery, blake, _casey = team
    q1 = _assigned(blake, "SYD-0011", other_site)
    _log(
        avery,
        participant,
        D(2026, 11, 17),
        reflection_feelings="<script>alert(1)</script>\nIt brought back my first week.",
    )
    _log(blake, q1, D(2026, 11, 20), reflection_feelings="Proud of them today.")
    # Left out: no feelings (concerns only), a draft, a voided log, another
    # supervisor's mentor, and the week before.
    _log(avery, participant, D(2026, 11, 18), reflection_concerns="Concern only")
    _log(
        avery, participant, D(2026, 11, 18), status=S.DRAFT, reflection_feelings="Draft"
    )
    _log(
        avery, participant, D(2026, 11, 18), is_voided=True, reflection_feelings="Void"
    )
    _log(
        other_mentor,
        other_participant,
        D(2026, 11, 18),
        reflection_feelings="Not your mentor",
    )
    _log(avery, participant, D(2026, 11, 10), reflection_feelings="Last week")
    return team


def test_reflections_show_filled_feelings_of_own_mentors(
    reflection_data, supervisor, as_user
):
    response = _get(as_user(supervisor), "team_reflections")

    assert response.status_code == 200
    logs = list(response.context["page"].object_list)
    # Newest first: Blake's Fri 20, then Avery's Tue 17.
    assert [(log.contact_date, str(log.mentor)) for log in logs] == [
        (D(2026, 11, 20), "Blake"),
        (D(2026, 11, 17), "Avery"),
    ]
    content = response.content.decode()
    assert "Proud of them today." in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)" not in content
    assert 'class="log-text' in content
    assert reverse("log_review", args=[logs[0].pk]) in content
    for hidden in ("Concern only", "Draft", "Void", "Not your mentor", "Last week"):
        assert hidden not in content


def test_reflections_of_another_week(reflection_data, supervisor, as_user):
    response = _get(as_user(supervisor), "team_reflections", week="2026-W46")
    assert [log.reflection_feelings for log in response.context["page"]] == [
        "Last week"
    ]


def test_reflections_are_paginated_by_25(team, participant, supervisor, as_user):
    avery = team[0]
    for i in range(27):
        _log(avery, participant, D(2026, 11, 16), reflection_feelings=f"Note {i}")
    client = as_user(supervisor)

    first = _get(client, "team_reflections", week="2026-W47")
    second = _get(client, "team_reflections", week="2026-W47", page=2)

    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 2
    assert "?week=2026-W47&amp;page=2" in first.content.decode()


# --- Who sees what -----------------------------------------------------------------
@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(name, client):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("role", ["mentor", "staff", "nobody"])
def test_mentors_research_staff_and_no_role_get_403(
    name, role, request, as_user, mentor
):
    user = request.getfixturevalue(role)
    response = as_user(getattr(user, "user", user)).get(reverse(name))
    assert response.status_code == 403


@pytest.mark.parametrize("name", PAGES)
def test_post_is_not_allowed(name, supervisor, as_user):
    assert as_user(supervisor).post(reverse(name)).status_code == 405


def test_other_supervisor_sees_only_their_mentors(
    week_data, other_supervisor, other_mentor, as_user
):
    team = _get(as_user(other_supervisor), "team_week").context["team"]
    assert [row.mentor for row in team.rows] == [other_mentor]
    # other_mentor's one log: met, 60 min, a safety flag, awaiting review.
    assert (team.totals.met, team.totals.safety, team.totals.awaiting) == (1, 1, 1)


def test_admin_sees_every_mentor(week_data, admin_user, other_mentor, as_user):
    team = _get(as_user(admin_user), "team_week").context["team"]
    names = [str(row.mentor) for row in team.rows]
    assert set(names) == {"Avery", "Blake", "Casey", str(other_mentor)}
    # The supervisor's 5 met contacts plus other_mentor's 1.
    assert team.totals.met == 6


def test_supervisor_who_is_also_a_mentor_sees_only_supervised_mentors(
    week_data, supervisor, as_user
):
    """Their own logs are not part of their team (they are not their own mentee)."""
    MentorFactory(user=supervisor, supervisor=None)
    team = _get(as_user(supervisor), "team_week").context["team"]
    assert [str(row.mentor) for row in team.rows] == ["Avery", "Blake", "Casey"]


@pytest.mark.parametrize("name", PAGES)
def test_supervisor_without_mentors_sees_empty_pages(name, db, as_user):
    lonely = UserFactory(roles=[Role.SUPERVISOR])
    response = as_user(lonely).get(reverse(name))
    assert response.status_code == 200
    assert "No mentors are linked to you yet." in response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_team_navigation_links_every_team_page(name, team, supervisor, as_user):
    content = as_user(supervisor).get(reverse(name)).content.decode()
    for target in [*PAGES, "review_queue", "supervision_agenda"]:
        assert f'href="{reverse(target)}' in content
    assert 'aria-current="page"' in content


# --- Queries -----------------------------------------------------------------------
ROW_COUNTS = [1, 8]


@pytest.fixture
def many(supervisor, site, other_site):
    """n mentors of `supervisor`, alternating between the two sites, each with 3
    participants, each with 3 logs this week (met with role functions and a
    reflection, no answer, met with a safety flag), 2 earlier in the 12 weeks,
    and one participant not met for a month — so that a query per mentor,
    participant, log or role function would show."""

    def make(n: int) -> None:
        for i in range(n):
            where = site if i % 2 == 0 else other_site
            who = MentorFactory(sites=[where], supervisor=supervisor)
            for j in range(3):
                p = _assigned(who, f"M{i}-{j}", where)
                _log(
                    who,
                    p,
                    D(2026, 11, 16),
                    functions=["cessation", "companionship"],
                    reflection_feelings="Tired",
                )
                _log(who, p, D(2026, 11, 17), outcome=O.NO_ANSWER)
                _log(
                    who, p, D(2026, 11, 18), safety_concern=True, functions=["advocacy"]
                )
                _log(who, p, D(2026, 9, 1), functions=["cessation"])
                _log(who, p, D(2026, 10, 1), reflection_feelings="Earlier")
            _log(who, _assigned(who, f"M{i}-gap", where), D(2026, 10, 19))

    return make


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_team_week_queries(n, many, supervisor, client, django_assert_num_queries):
    many(n)
    client.force_login(supervisor)
    # 1. session  2. user  3. the user's groups (user_roles, then cached)
    # 4. supervised mentors + their users  5. their sites (prefetched)
    # 6. the week's log figures, grouped by mentor
    # 7. participants assigned during the week, grouped by mentor
    with django_assert_num_queries(7):
        response = client.get(reverse("team_week"))
    assert len(response.context["team"].rows) == n
    assert response.context["team"].totals.met == 6 * n


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_role_mix_queries(n, many, supervisor, client, django_assert_num_queries):
    many(n)
    client.force_login(supervisor)
    # 1. session  2. user  3. the user's groups
    # 4. supervised mentors + their users  5. their sites (prefetched)
    # 6. one row per (met log, role function) over the 12 weeks
    # 7. the role functions
    with django_assert_num_queries(7):
        response = client.get(reverse("role_mix"))
    assert len(response.context["sections"]) == n
    # Per mentor in W47: 3 participants × 2 met logs = 6 contacts.
    assert response.context["mix"].mentors[-1].met[-1] == 6


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_engagement_gaps_queries(
    n, many, supervisor, client, django_assert_num_queries
):
    many(n)
    client.force_login(supervisor)
    # 1. session  2. user  3. the user's groups
    # 4. supervised mentors + their users  5. their sites (prefetched)
    # 6. active assignments + participant, site, mentor, user, with last contact
    with django_assert_num_queries(6):
        response = client.get(reverse("engagement_gaps"))
    # One participant per mentor was last met on 19 Oct: 32 days ago in Sydney
    # (today 20 Nov; odd mentors), 31 in New York (today 19 Nov; even mentors).
    assert [g.days_since for g in response.context["gaps"]] == [32] * (n // 2) + [
        31
    ] * ((n + 1) // 2)


@pytest.mark.parametrize("n", ROW_COUNTS)
def test_reflections_queries(n, many, supervisor, client, django_assert_num_queries):
    many(n)
    client.force_login(supervisor)
    # 1. session  2. user  3. the user's groups
    # 4. supervised mentors + their users  5. their sites (prefetched)
    # 6. COUNT of the week's reflections (the paginator)
    # 7. the page of logs + participant, mentor and mentor's user
    with django_assert_num_queries(7):
        response = client.get(reverse("team_reflections"))
    assert response.context["page"].paginator.count == 3 * n


def test_role_mix_summary_without_contacts_in_one_half(team, supervisor, as_user):
    blake = team[1]
    q1 = _assigned(blake, "SYD-0011", blake.sites.get())
    _log(blake, q1, D(2026, 11, 17), functions=["companionship"])  # W47 only
    sections = _get(as_user(supervisor), "role_mix").context["sections"]
    # No met contact in W36–W41; 0 of 1 in W42–W47 served cessation.
    assert sections[1]["summary"] == (
        "Working on quitting smoking: – → 0 % of met contacts (W36–W41 → W42–W47)."
    )

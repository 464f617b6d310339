"""Every page that shows "this week" by default picks it in the team's or the
mentor's time zone, never the server's (issue 12: one owner of the week)."""

import datetime as dt

import time_machine
from django.urls import reverse


def test_agenda_default_week_is_the_teams_week_not_the_servers(
    as_user, supervisor, mentor
):
    """Issue 12, "the default week is computed in server time in one view and
    site time elsewhere": at 22:00 on Sunday in New York it is already Monday
    on the server (UTC). The agenda, like the team pages, shows the New York
    team's week that is ending, not the server's new one."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)):
        agenda = as_user(supervisor).get(reverse("supervision_agenda"))
        team = as_user(supervisor).get(reverse("team_week"))
    assert agenda.context["week_label"] == "2026-W47"
    assert agenda.context["week_label"] == team.context["week"].label

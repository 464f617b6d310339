"""Supervisor dashboards: the team's week, the role-function mix, engagement
gaps and the mentors' reflections. Supervisors see the mentors they supervise,
program admins every mentor; anyone else gets a 403 (get_supervised_mentors)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import charts
from core.params import parse_int
from core.timeutils import iso_week_bounds, iso_week_label, parse_iso_week
from logs_app.permissions import get_supervised_mentors
from logs_app.selectors_dashboard import (
    MentorRoleMix,
    RoleMix,
    engagement_gap_list,
    role_mix_get,
    team_reflection_list,
    team_today,
    team_week_get,
)

DEFAULT_GAP_DAYS = 14
GAP_DAYS_RANGE = range(1, 366)


@dataclass(frozen=True)
class ChosenWeek:
    start: dt.date
    end: dt.date
    current_start: dt.date

    @property
    def label(self) -> str:
        return iso_week_label(self.start)

    @property
    def current_label(self) -> str:
        return iso_week_label(self.current_start)

    @property
    def previous_label(self) -> str:
        return iso_week_label(self.start - dt.timedelta(weeks=1))

    @property
    def next_label(self) -> str | None:
        if self.start >= self.current_start:
            return None  # nothing is logged in the future
        return iso_week_label(self.start + dt.timedelta(weeks=1))

    @property
    def is_current(self) -> bool:
        return self.start == self.current_start


def _chosen_week(request: HttpRequest, today: dt.date) -> ChosenWeek:
    """The `?week=2026-W47` of the request; this week when absent, and this
    week with a message when it is not a week we can show."""
    current_start, _sunday = iso_week_bounds(today)
    value = request.GET.get("week", "").strip()
    week = parse_iso_week(value) if value else None
    if week is None:
        if value:
            messages.warning(
                request,
                _("We could not read the week “%(value)s”. Showing this week instead.")
                % {"value": value[:40]},
            )
        week = iso_week_bounds(today)
    return ChosenWeek(start=week[0], end=week[1], current_start=current_start)


def _gap_days(request: HttpRequest) -> int:
    value = request.GET.get("days", "").strip()
    if not value:
        return DEFAULT_GAP_DAYS
    days = parse_int(value, low=GAP_DAYS_RANGE[0], high=GAP_DAYS_RANGE[-1])
    if days is not None:
        return days
    messages.warning(
        request,
        _(
            "Days without contact must be a whole number from %(low)s to %(high)s, "
            "so this shows %(default)s days."
        )
        % {
            "low": GAP_DAYS_RANGE[0],
            "high": GAP_DAYS_RANGE[-1],
            "default": DEFAULT_GAP_DAYS,
        },
    )
    return DEFAULT_GAP_DAYS


@require_GET
def team_week(request: HttpRequest) -> HttpResponse:
    mentors = list(get_supervised_mentors(request.user))
    week = _chosen_week(request, team_today(mentors))
    team = team_week_get(
        user=request.user, mentors=mentors, week=(week.start, week.end)
    )
    return render(request, "logs_app/team_week.html", {"team": team, "week": week})


@require_GET
def role_mix(request: HttpRequest) -> HttpResponse:
    mentors = list(get_supervised_mentors(request.user))
    week = _chosen_week(request, team_today(mentors))
    mix = role_mix_get(user=request.user, mentors=mentors, last_monday=week.start)
    return render(
        request,
        "logs_app/role_mix.html",
        {"mix": mix, "week": week, "sections": _role_mix_sections(mix)},
    )


def _role_mix_sections(mix: RoleMix) -> list[dict]:
    """Per mentor: the stacked chart and a one-line summary of how the share
    of cessation work moved between the first and the last half of the weeks."""
    sections = []
    for item in mix.mentors:
        chart = None
        if item.has_contacts:
            chart = charts.stacked_bars(
                title=_("Role functions by week: %(mentor)s") % {"mentor": item.mentor},
                categories=mix.week_labels,
                series=[(row.function.label, row.counts) for row in item.functions],
            )
        sections.append(
            {"item": item, "chart": chart, "summary": _cessation_summary(mix, item)}
        )
    return sections


def _percent(share: float | None) -> str:
    if share is None:
        return "–"
    return _("%(n)s %%") % {"n": round(share * 100)}


def _cessation_summary(mix: RoleMix, item: MentorRoleMix) -> str | None:
    if mix.cessation is None or not item.has_contacts:
        return None
    labels, half = mix.week_labels, len(mix.week_labels) // 2
    summary = _(
        "%(function)s: %(before)s → %(after)s of met contacts "
        "(%(first)s–%(mid)s → %(next)s–%(last)s)"
    ) % {
        "function": mix.cessation.label,
        "before": _percent(item.cessation_before),
        "after": _percent(item.cessation_after),
        "first": labels[0],
        "mid": labels[half - 1],
        "next": labels[half],
        "last": labels[-1],
    }
    if item.cessation_before is None or item.cessation_after is None:
        return _("%(summary)s.") % {"summary": summary}
    points = round(item.cessation_after * 100) - round(item.cessation_before * 100)
    if points < 0:
        change = _("down %(n)s points") % {"n": -points}
    elif points > 0:
        change = _("up %(n)s points") % {"n": points}
    else:
        change = _("no change")
    return _("%(summary)s, %(change)s.") % {"summary": summary, "change": change}


@require_GET
def engagement_gaps(request: HttpRequest) -> HttpResponse:
    mentors = list(get_supervised_mentors(request.user))
    days = _gap_days(request)
    gaps = engagement_gap_list(user=request.user, mentors=mentors, min_days=days)
    return render(
        request,
        "logs_app/engagement_gaps.html",
        {"gaps": gaps, "days": days, "has_mentors": bool(mentors)},
    )


@require_GET
def reflections(request: HttpRequest) -> HttpResponse:
    mentors = list(get_supervised_mentors(request.user))
    week = _chosen_week(request, team_today(mentors))
    logs = team_reflection_list(
        user=request.user, mentors=mentors, week=(week.start, week.end)
    )
    page = Paginator(logs, settings.PEERLOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "logs_app/team_reflections.html",
        {"page": page, "week": week, "has_mentors": bool(mentors)},
    )

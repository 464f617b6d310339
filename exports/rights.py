"""Who may export, at which level, from which sites (EXP-1): checked once per
export request (exports.request) and again when a job runs (AZ-9)."""

from __future__ import annotations

from django.db.models import QuerySet

from core.roles import Role, user_roles
from exports.filters import ExportFilters
from exports.models import LEVEL_RANK, ExportLevel, ExportRight
from mentors.models import Mentor
from participants.models import Cohort, Site

EXPORT_ROLES = frozenset({Role.RESEARCH, Role.ADMIN})


def export_level_for(user) -> str:
    """The highest level `user` may export at now. Research staff: their
    ExportRight (none without one). Program admins: full. "Full" is honoured
    for admins only; anyone else is capped at "text"."""
    roles = user_roles(user)
    if not roles & EXPORT_ROLES:
        return ExportLevel.NONE
    if Role.ADMIN in roles:
        # Admins grant export rights, themselves included: a default below
        # "full" would protect nothing.
        return ExportLevel.FULL
    right = ExportRight.objects.filter(user=user).only("level").first()
    level = right.level if right else ExportLevel.NONE
    if level == ExportLevel.FULL:
        return ExportLevel.TEXT
    return level


def level_allows(granted: str, wanted: str) -> bool:
    return (
        wanted != ExportLevel.NONE
        and LEVEL_RANK[ExportLevel(wanted)] <= LEVEL_RANK[ExportLevel(granted)]
    )


def levels_up_to(granted: str) -> list[tuple[str, str]]:
    return [
        (value, label)
        for value, label in ExportLevel.choices
        if value != ExportLevel.NONE and level_allows(granted, value)
    ]


def export_sites(user) -> QuerySet[Site]:
    """Sites `user` may filter on: all for admins, granted sites for staff."""
    roles = user_roles(user)
    if Role.ADMIN in roles:
        return Site.objects.all()
    if Role.RESEARCH in roles:
        return Site.objects.filter(access_grants__user=user).distinct()
    return Site.objects.none()


class ExportRefused(Exception):
    """The user may not export this (level above their right, or filters that
    reach outside their scope)."""


def export_check(
    *, user, level: str, filters: ExportFilters, granted: str | None = None
) -> None:
    """Raise ExportRefused unless `user` may export at `level` now and every
    filter names something within their scope. Called when the export is asked
    for and again when a job runs (AZ-9). `granted`: the user's level, when the
    caller has just read it (an export request reads it once)."""
    granted = export_level_for(user) if granted is None else granted
    if not level_allows(granted, level):
        raise ExportRefused(f"level {level!r} is above the export right {granted!r}")
    sites = export_sites(user)
    if filters.sites and sites.filter(pk__in=filters.sites).count() != len(
        set(filters.sites)
    ):
        raise ExportRefused("a site outside the user's scope")
    if filters.cohorts and Cohort.objects.filter(
        pk__in=filters.cohorts, site__in=sites
    ).count() != len(set(filters.cohorts)):
        raise ExportRefused("a cohort outside the user's scope")
    if filters.mentors and Mentor.objects.visible_to(user).filter(
        pk__in=filters.mentors
    ).count() != len(set(filters.mentors)):
        raise ExportRefused("a mentor outside the user's scope")

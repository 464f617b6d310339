"""Relative times in plain words for templates (core.timeutils)."""

import datetime as dt

from django import template

from core.timeutils import ago_text, days_ago_text

register = template.Library()


@register.filter
def days_ago(days: int | None) -> str:
    """`item.days_since|days_ago` → "today", "yesterday", "3 days ago"."""
    return "" if days is None else days_ago_text(days)


@register.filter
def ago(then: dt.datetime | None) -> str:
    """`log.updated_at|ago` → "just now", "5 minutes ago", "yesterday"."""
    return "" if then is None else ago_text(then)

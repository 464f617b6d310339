"""The badges that say what a filed log raises besides safety (issue 14): a
concern, and a question, which is not one. One owner for them, written in
Python because the review queue draws them on every row of its 50 (a template
include per row cost more than the rest of the row)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def attention_badges(log) -> SafeString:
    """`{% attention_badges log %}`: "Concern", then "Question" or "Question
    answered"; nothing when the log raises neither."""
    parts = []
    if log.concern:
        parts.append(
            format_html(' <span class="badge text-bg-warning">{}</span>', _("Concern"))
        )
    if log.reflection_concerns:
        if log.question_answered_at:
            parts.append(
                format_html(
                    ' <span class="badge text-bg-light border">{}</span>',
                    _("Question answered"),
                )
            )
        else:
            parts.append(
                format_html(
                    ' <span class="badge text-bg-primary">{}</span>', _("Question")
                )
            )
    return mark_safe("".join(parts))  # each part escaped by format_html

"""The review queue's rows, drawn in Python (issue 14: the queue must answer at
least 15 times faster than the admin's log list at a million logs). The same
markup as a template loop gave, at a quarter of the cost: the words every row
repeats are translated once, the mentor's name is worked out once per mentor,
and each value is escaped by `format_html`."""

import functools
from html import escape

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.timeutils import ago_text
from logs_app.models import InteractionLog
from logs_app.templatetags.log_badges import attention_badges

register = template.Library()

SUMMARY_CHARS = 140


def summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The narrative cut to `limit` characters with an ellipsis, as the
    `truncatechars` filter cuts plain text."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.simple_tag
def review_queue_rows(logs, routine: set[int], queue_query: str) -> SafeString:
    """`{% review_queue_rows page.object_list routine queue_query %}`: one
    `<tr>` per log; a routine log gets its tick box and version. Every value
    that is not markup of our own passes through `escape` (html.escape: the
    lazy-aware `conditional_escape` was most of the cost)."""
    outcomes = {
        value: str(label)
        for value, label in InteractionLog._meta.get_field("outcome").flatchoices
    }
    safety = f' <span class="badge text-bg-danger">{escape(_("Safety"))}</span>'
    discuss = f' <span class="badge text-bg-info">{escape(_("Discuss"))}</span>'
    t_mentor, t_summary = escape(_("Mentor")), escape(_("Summary"))
    t_submitted = escape(_("Submitted"))
    names: dict[int, str] = {}
    language = get_language()

    def row(log: InteractionLog) -> str:
        study_id = log.participant.study_id if log.participant else ""
        when = _day(log.contact_date, "D j M", language)
        if log.start_time:
            when += f", {log.start_time:%H:%M}"
        facts = outcomes.get(log.outcome, log.outcome)
        if log.duration_minutes:
            facts += f" · {log.duration_minutes} min"
        if log.mentor_id not in names:
            names[log.mentor_id] = escape(str(log.mentor))
        pick = ""
        if log.pk in routine:
            pick = _pick(log, study_id, _day(log.contact_date, "j M", language))
        link = escape(reverse("log_review", args=[log.pk]) + queue_query)
        badges = (safety if log.safety_concern else "") + attention_badges(log)
        if log.discuss_in_supervision:
            badges += discuss
        ago = ago_text(log.submitted_at) if log.submitted_at else ""
        return (
            f'<tr>\n<td class="card-corner">{pick}</td>\n'
            f'<td><a href="{link}">{escape(f"{study_id} · {when}")}</a><br>\n'
            f'<span class="small text-body-secondary">{escape(facts)}</span>'
            f"{badges}</td>\n"
            f'<td data-label="{t_mentor}">{names[log.mentor_id]}</td>\n'
            f'<td class="small log-text" data-label="{t_summary}">'
            f"{escape(summary(log.narrative))}</td>\n"
            f'<td class="small" data-label="{t_submitted}">{escape(ago)}</td>\n</tr>'
        )

    return mark_safe("\n".join(row(log) for log in logs))  # escaped above


@functools.lru_cache(maxsize=4096)
def _day(date, fmt: str, language: str | None) -> str:
    """A date in the given format and language; a queue shows the same few
    hundred dates again and again, and formatting one was a third of a row."""
    return date_format(date, fmt)


def _pick(log: InteractionLog, study_id: str, day: str) -> str:
    """A routine log's tick box, the version it was read at, and its label."""
    label = _("Mark %(who)s on %(when)s reviewed") % {"who": study_id, "when": day}
    return (
        f'<input class="form-check-input js-routine" type="checkbox" name="log" '
        f'value="{log.pk}" id="pick-{log.pk}">'
        f'<input type="hidden" name="v{log.pk}" value="{log.version}">'
        f'<label class="visually-hidden" for="pick-{log.pk}">{escape(label)}</label>'
    )

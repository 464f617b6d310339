"""Agreement figures in words: a value with its interval, or why it is not
defined (analysis.views_agreement.REASONS)."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from analysis.agreement import Estimate
from analysis.views_agreement import reason_text

register = template.Library()


def _figure(value: float, percent: bool) -> str:
    if percent:
        return _("%(value)s%%") % {"value": number_format(round(value * 100, 1))}
    return number_format(round(value, 2), decimal_pos=2)


@register.simple_tag
def estimate(value: Estimate, percent: bool = False) -> SafeString:
    """`{% estimate result.kappa %}` → "0.72 (0.61–0.83)"; undefined → the reason."""
    if value is None or value.value is None:
        return format_html(
            '<span class="small text-body-secondary">{}</span>',
            reason_text(value) or _("not defined"),
        )
    if value.low is None or value.high is None:
        return format_html("{}", _figure(value.value, percent))
    return format_html(
        '{} <span class="small text-body-secondary text-nowrap">({}–{})</span>',
        _figure(value.value, percent),
        _figure(value.low, percent),
        _figure(value.high, percent),
    )


@register.filter
def as_percent(value: float | None) -> str:
    return "" if value is None else _figure(value, True)


@register.filter
def get_reason(reasons: dict, reason) -> str:
    return reasons.get(str(reason), "") if reason else ""

"""Template helpers for form rendering (issue 7: template costs).

`option_attrs` writes an option's HTML attributes the way crispy-bootstrap5's
`layout/attrs.html` does, in Python: that template was included once per
checkbox and radio option, and the log form has about forty of them."""

import json
from html import escape

from django import template
from django.utils.safestring import SafeString

from core.error_summary import error_summary, problem_count_texts

register = template.Library()


@register.filter
def option_attrs(attrs: dict) -> SafeString:
    """` name="value"` for each attribute; a bare ` name` for True; nothing for
    False. Values are escaped, as the template's autoescaping did."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {escape(str(name))}")
        else:
            parts.append(f' {escape(str(name))}="{escape(str(value))}"')
    return SafeString("".join(parts))


@register.filter
def problems(form) -> list:
    """`form|problems`: the error summary's lines (core.error_summary)."""
    return error_summary(form)


@register.simple_tag
def problem_counts_json() -> str:
    """The error summary's heading for each count, as JSON for a data attribute
    (escaped there by autoescaping): static/js/error-summary.js reads it."""
    return json.dumps(problem_count_texts(), ensure_ascii=False)

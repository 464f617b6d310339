"""The GOV.UK-style error summary of a form: one line per problem, each linking
to the field it is about (issue 13). Plain data for `core/_error_summary.html`."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import ngettext

# The summary's heading for a count the browser makes (static/js/error-summary.js,
# a log the phone's outbox brings back refused): the page carries the heading
# for each count up to this, each in the language's own plural form. The log
# form has fewer than 30 fields and the server gives one message per field.
COUNT_TEXTS_UP_TO = 60


@dataclass(frozen=True)
class Problem:
    message: str
    anchor: str  # the id of the input the link moves to; "" when none


def error_summary(form: forms.BaseForm) -> list[Problem]:
    """The form's errors in the order its fields are declared (the order the
    page shows them), non-field errors first. A radio or checkbox group links
    to its first option: the group's label names no single input."""
    problems = [Problem(str(message), "") for message in form.non_field_errors()]
    for name in form.fields:
        if name not in form.errors:
            continue
        bound = form[name]
        anchor = "" if bound.is_hidden else bound.id_for_label or f"{bound.auto_id}_0"
        problems.extend(Problem(str(message), anchor) for message in bound.errors)
    return problems


def problem_count_text(n: int) -> str:
    """The summary's heading: the same words as `core/_error_summary.html`."""
    return ngettext("There is %(n)s problem", "There are %(n)s problems", n) % {"n": n}


def problem_count_texts(up_to: int = COUNT_TEXTS_UP_TO) -> dict[int, str]:
    """The heading for each count from 1, for a summary built in the browser:
    plural forms differ by language, so the browser is given the words, not
    the rule."""
    return {n: problem_count_text(n) for n in range(1, up_to + 1)}

"""The GOV.UK-style error summary of a form: one line per problem, each linking
to the field it is about (issue 13). Plain data for `core/_error_summary.html`."""

from dataclasses import dataclass

from django import forms


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

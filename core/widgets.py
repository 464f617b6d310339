"""Select widgets that render their options in Python.

Django renders every <option> through its own template include; with a few
thousand choices (a national program's mentor list on the export page) that
was over half a second per page. These widgets write the same markup as
Python strings joined once: every label and value is escaped (the standard
library's `html.escape`, quotes included); only the markup we write is marked
safe."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString


class FastSelectMixin:
    """The markup of Django's select.html, without a template per option.
    Option groups are supported; `choices` may be a ModelChoiceIterator."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        selected = {str(item) for item in self.format_value(value)}
        parts = []
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(
                    format_html(
                        '<optgroup label="{}">{}</optgroup>',
                        option_value,
                        self._options(label, selected),
                    )
                )
            else:
                parts.append(self._options([(option_value, label)], selected))
        return format_html(
            "<select{}>{}</select>", flatatt(final), SafeString("".join(parts))
        )

    @staticmethod
    def _options(choices, selected: set[str]) -> SafeString:
        # The standard library's escape (quotes included), once per string:
        # format_html per option cost more than the rest of the page.
        parts = []
        for value, label in choices:
            text = "" if value is None else str(value)
            parts.append(
                f'<option value="{escape(text)}"'
                f"{' selected' if text in selected else ''}>{escape(str(label))}"
                "</option>"
            )
        return SafeString("".join(parts))


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastSelectMultiple(FastSelectMixin, forms.SelectMultiple):
    pass

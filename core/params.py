"""Whole numbers and ids typed into a query string or a form (issue 11,
finding 9): one parser for every view and form that reads one itself.

ASCII digits only, and no more than a database integer column holds: `int()`
reads "٣" (Arabic-Indic three) and " +1_000", `str.isdigit()` passes "³" and
then `int()` fails, and a 20-digit id overflows SQLite inside the driver."""

import re

from django import forms

# The largest value of a 64-bit signed column (PostgreSQL bigint, SQLite INTEGER).
MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}", re.ASCII)


def parse_int(value: object, *, low: int = 1, high: int = MAX_ID) -> int | None:
    """The whole number `value` spells in ASCII digits (an int is taken as it
    is), if it lies in [low, high]; None for anything else: signs, spaces,
    underscores, other scripts' digits. Ids start at 1."""
    text = (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    )
    if not isinstance(text, str) or _DIGITS.fullmatch(text) is None:
        return None
    number = int(text)
    return number if low <= number <= high else None


class BoundedChoices(forms.ModelMultipleChoiceField):
    """Refuses what is not an id before querying with it: Django checks each
    value alone (and survives a huge one) but then asks for all of them with
    `pk__in`, where a number no column holds overflowed SQLite's driver (a 500)."""

    def _check_values(self, value):
        for pk in value:
            if parse_int(pk) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)

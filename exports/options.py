"""The option lists of the form (techniques, topics, role functions) as the
export writes them: codes, labels, one-hot column names. Which lists there are,
their questions and their names in the files: the log's field catalogue
(logs_app.fields.OPTION_LISTS)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from logs_app.fields import OPTION_LISTS
from logs_app.models import InteractionLog


@dataclass(frozen=True)
class OptionList:
    """One multi-select of the form, as exported."""

    key: str  # option_list value in the long file
    field: str  # InteractionLog m2m field
    prefix: str  # one-hot column prefix
    model: type
    question: Any  # the form's label
    options: tuple[tuple[int, str, str, int, bool], ...]  # id, code, label, pos, active

    @property
    def through(self):
        return getattr(InteractionLog, self.field).through

    @property
    def through_fk(self) -> str:
        return f"{self.model._meta.model_name}_id"

    def codes(self) -> list[str]:
        return sorted(code for _pk, code, *_rest in self.options)

    def bit_of(self) -> dict[int, int]:
        """Option id → bit number, in code order (the one-hot column order)."""
        order = {code: i for i, code in enumerate(self.codes())}
        return {pk: order[code] for pk, code, *_rest in self.options}


def option_sets() -> list[OptionList]:
    """The option lists with every option, retired ones included (old logs
    keep them), so the columns only change when an option is added. One query
    per list."""
    lists = []
    for spec in OPTION_LISTS:
        model = InteractionLog._meta.get_field(spec.name).related_model
        options = model.objects.order_by("code").values_list(
            "pk", "code", "label", "position", "is_active"
        )
        lists.append(
            OptionList(
                key=spec.export_key,
                field=spec.name,
                prefix=spec.export_prefix,
                model=model,
                question=spec.question,
                options=tuple(options),
            )
        )
    return lists


def one_hot_name(prefix: str, code: str) -> str:
    # Variable names R, Stata and SPSS accept: letters, digits, underscores.
    return prefix + re.sub(r"[^0-9A-Za-z_]", "_", code)

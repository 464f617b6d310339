"""The three option lists of the form (techniques, topics, role functions) as
the export writes them: codes, labels, one-hot column names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from logs_app.models import InteractionLog, RoleFunction, Technique, Topic


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
    """The three option lists with every option, retired ones included (old logs
    keep them), so the columns only change when an option is added. 3 queries."""
    specs = [
        ("technique", "techniques", "tech_", Technique, _("What you did together")),
        ("topic", "topics", "topic_", Topic, _("What you talked about")),
        (
            "role_function",
            "role_functions",
            "role_",
            RoleFunction,
            _("What this contact was mostly about for you as a mentor"),
        ),
    ]
    return [
        OptionList(
            key=key,
            field=name,
            prefix=prefix,
            model=model,
            question=question,
            options=tuple(
                model.objects.order_by("code").values_list(
                    "pk", "code", "label", "position", "is_active"
                )
            ),
        )
        for key, name, prefix, model, question in specs
    ]


def one_hot_name(prefix: str, code: str) -> str:
    # Variable names R, Stata and SPSS accept: letters, digits, underscores.
    return prefix + re.sub(r"[^0-9A-Za-z_]", "_", code)

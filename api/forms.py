"""The form that asks for a personal access token (issue 16): validation and
normalisation only. The level and the sites are offered within the user's
export right; a forged level or site is still parsed, so it gets a clear
error next to its field (and the view audits the refusal)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import CodeForm
from api.models import MAX_DAYS
from core.params import BoundedChoices
from exports.models import ExportLevel
from exports.rights import export_sites, level_allows, levels_up_to

DEFAULT_DAYS = 30


class FreshCodeInput(forms.TextInput):
    """A one-time code is never typed back into the page: after a refusal
    the person types the code their app shows now."""

    def format_value(self, value: Any) -> None:
        return None


class TokenForm(CodeForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “Nightly pull into R”."),
    )
    level = forms.ChoiceField(
        label=_("What it may read"),
        choices=[c for c in ExportLevel.choices if c[0] != ExportLevel.NONE],
        widget=forms.RadioSelect,
    )
    sites = BoundedChoices(
        label=_("Sites"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one site."),
            "invalid_choice": _("Choose sites among your own."),
        },
    )
    days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=_("1 to %(max)s days.") % {"max": MAX_DAYS},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    field_order = ["name", "level", "sites", "days", "code"]

    def __init__(self, *args: Any, user, granted: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.granted = granted
        sites = export_sites(user).order_by("name")
        self.fields["sites"].queryset = sites
        # Only the levels the user holds are shown; any other posted value is
        # parsed and refused in clean_level, next to the field.
        offered = levels_up_to(granted)
        self.fields["level"].widget.choices = offered
        self.fields["level"].initial = offered[0][0] if offered else None
        code = self.fields["code"]
        code.label = _("Code from your authenticator app")
        code.widget = FreshCodeInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name

    def clean_level(self) -> str:
        level = self.cleaned_data["level"]
        if not level_allows(self.granted, level):
            raise forms.ValidationError(_("This level is above your export right."))
        return level

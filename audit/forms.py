"""The audit viewer's filters (AUD-4). Validation only."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.timeutils import check_param_date


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("Who (username)"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"),
        max_length=40,
        required=False,
        help_text=_('A full action, or its start: "log." finds every log action.'),
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=20, required=False)
    date_from = forms.DateField(
        label=_("From (UTC date)"), required=False, validators=[check_param_date]
    )
    date_to = forms.DateField(
        label=_("To (UTC date)"), required=False, validators=[check_param_date]
    )
    object_type = forms.CharField(label=_("Object type"), max_length=40, required=False)
    object_id = forms.CharField(label=_("Object ID"), max_length=40, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ValidationError({"date_to": _("The end comes before the start.")})
        return data

from django import forms
from django.utils.translation import gettext_lazy as _

from programs.erasure import EraseReason


class ErasureForm(forms.Form):
    """Why, from a list (kept in the audit trail, so never free text about the
    person), and the study ID typed again, so the right person is erased."""

    reason = forms.ChoiceField(
        label=_("Why"),
        choices=EraseReason.choices,
        widget=forms.RadioSelect,
        help_text=_("Kept in the audit trail."),
        error_messages={"required": _("Choose why: it is kept in the audit trail.")},
    )
    study_id = forms.CharField(
        label=_("Type their study ID to confirm"),
        max_length=32,
        error_messages={"required": _("Type the study ID shown above to confirm.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args, participant, **kwargs):
        super().__init__(*args, **kwargs)
        self.participant = participant

    def clean_study_id(self) -> str:
        typed = self.cleaned_data["study_id"].strip()
        # Study IDs match whatever their case, as in imports.
        if typed.lower() != self.participant.study_id.lower():
            raise forms.ValidationError(
                _("This is not %(study_id)s's study ID: type it as shown above."),
                params={"study_id": self.participant.study_id},
            )
        return typed

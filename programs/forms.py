from django import forms
from django.utils.translation import gettext_lazy as _

from programs.import_files import MAX_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Participant file (CSV or Excel .xlsx)"),
        help_text=_(
            "Use the template's columns. Nothing is written until you have seen "
            "the preview and applied it."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload


class LifecycleForm(forms.Form):
    """A participant's status and research consent, and why they changed."""

    status = forms.ChoiceField(label=_("Status in the program"))
    research_consent = forms.BooleanField(
        label=_("Their consent covers research use"),
        required=False,
        help_text=_(
            "Untick when they withdraw it: their logs leave every later export "
            "and API pull, and their reflections leave analysis projects now."
        ),
    )
    reason = forms.ChoiceField(
        label=_("Why"),
        required=False,
        help_text=_(
            "Needed when consent changes or they withdraw. Kept in the audit trail."
        ),
    )

    def __init__(self, *args, participant, **kwargs):
        from participants.models import Participant
        from programs.lifecycle import Reason

        kwargs.setdefault(
            "initial",
            {
                "status": participant.status,
                "research_consent": participant.has_research_consent,
            },
        )
        super().__init__(*args, **kwargs)
        self.participant = participant
        self.fields["status"].choices = Participant.Status.choices
        self.fields["reason"].choices = [("", "—"), *Reason.choices]

    def clean(self):
        from participants.models import Participant

        data = super().clean()
        consent_changed = (
            data.get("research_consent") is not None
            and data["research_consent"] != self.participant.has_research_consent
        )
        withdrawing = (
            data.get("status") == Participant.Status.WITHDRAWN
            and self.participant.status != Participant.Status.WITHDRAWN
        )
        if (consent_changed or withdrawing) and not data.get("reason"):
            self.add_error("reason", _("Say why: it is kept in the audit trail."))
        return data

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

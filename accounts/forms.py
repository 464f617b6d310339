from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from the authenticator app, or (when `backup` is
    allowed) one of the printed backup codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def __init__(self, *args, backup: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.backup = backup
        if backup:
            self.fields["code"].help_text = _(
                "The 6 digits your app shows now, or one of your backup codes."
            )
        else:
            self.fields["code"].help_text = _("The 6 digits your app shows now.")
            self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split()).replace("-", "").lower()
        if code.isdigit() and len(code) == 6:
            return code
        if self.backup and code.isalnum() and len(code) == 8:
            return code
        raise forms.ValidationError(
            _("Type the 6 digits from your app, or a backup code.")
            if self.backup
            else _("Type the 6 digits from your app.")
        )

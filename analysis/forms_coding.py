"""Forms of screening and coding (issue 15): validation only. Code choices
are scoped to the project's active codes, so a retired code or another
project's code is refused with a field error."""

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.coding import active_codes
from analysis.screening import OTHER

CODE_REFUSED = _(
    "This code is retired or not part of this project's codebook. "
    "Reload the page to see the current codes."
)


class ScreenForm(forms.Form):
    """Include, or exclude with one of the project's reasons or another."""

    text = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    decision = forms.ChoiceField(
        choices=[("include", _("Include")), ("exclude", _("Exclude"))]
    )
    reason = forms.ChoiceField(
        label=_("Reason for excluding"),
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    other = forms.CharField(label=_("Other reason"), required=False, max_length=200)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        reasons = [(r, r) for r in project.exclusion_reasons]
        self.fields["reason"].choices = [*reasons, (OTHER, _("Other"))]

    def clean(self):
        data = super().clean()
        if data.get("decision") != "exclude":
            data["include"], data["why"] = True, ""
            return data
        data["include"] = False
        reason = data.get("reason")
        if not reason:
            self.add_error("reason", _("Choose why this text is excluded."))
        elif reason == OTHER:
            data["why"] = (data.get("other") or "").strip()
            if not data["why"]:
                self.add_error("other", _("Say why this text is excluded."))
        else:
            data["why"] = reason
        return data


class WholeCodesForm(forms.Form):
    codes = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": CODE_REFUSED,
            "invalid_pk_value": CODE_REFUSED,
        },
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"].queryset = active_codes(project)


class PassageForm(forms.Form):
    code = forms.ModelChoiceField(
        queryset=None,
        label=_("Code for the selected passage"),
        error_messages={"invalid_choice": CODE_REFUSED},
    )
    start = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    end = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, text, **kwargs):
        super().__init__(*args, **kwargs)
        self.length = len(text.body)
        self.fields["code"].queryset = active_codes(text.project)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start is None or end is None:
            raise forms.ValidationError(_("Select a passage of the text first."))
        if start >= end:
            raise forms.ValidationError(_("The passage is empty: select some text."))
        if end > self.length:
            raise forms.ValidationError(
                _("The passage goes past the end of the text (%(n)d characters).")
                % {"n": self.length}
            )
        return data


class MemoForm(forms.Form):
    body = forms.CharField(
        label=_("Your memo on this text"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

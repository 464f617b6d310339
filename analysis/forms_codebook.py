"""Forms of the codebook, consensus and quote pages: validation only; the
services (analysis.codebook, consensus, themes) make the changes."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from analysis.models import Category, Code, Project

COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Give a colour as #rrggbb."))
ROWS = {"rows": 3}


class ReasonForm(forms.Form):
    """Every codebook change says why; the reason is kept with the version."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        help_text=_("Kept in the codebook's history."),
    )


class CategoryForm(ReasonForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs=ROWS)
    )
    field_order = ["name", "description", "reason"]


class CodeForm(ReasonForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    definition = forms.CharField(
        label=_("Definition"), widget=forms.Textarea(attrs=ROWS)
    )
    when_to_use = forms.CharField(
        label=_("When to use"), required=False, widget=forms.Textarea(attrs=ROWS)
    )
    when_not_to_use = forms.CharField(
        label=_("When not to use"), required=False, widget=forms.Textarea(attrs=ROWS)
    )
    example = forms.CharField(
        label=_("Example"), required=False, widget=forms.Textarea(attrs=ROWS)
    )
    color = forms.CharField(
        label=_("Colour"),
        max_length=7,
        initial="#0d6efd",
        validators=[COLOUR],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    field_order = [
        "name",
        "category",
        "definition",
        "when_to_use",
        "when_not_to_use",
        "example",
        "color",
        "reason",
    ]

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # AZ-5: only this project's categories can be chosen.
        self.fields["category"].queryset = Category.objects.filter(project=project)


class ReorderForm(ReasonForm):
    """A place for every code; the codes are then sorted by their places."""

    def __init__(self, *args, codes: list[Code], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.codes = codes
        for place, code in enumerate(codes, start=1):
            self.fields[f"place_{code.pk}"] = forms.IntegerField(
                label=code.name, min_value=1, initial=place
            )
        self.order_fields([f"place_{c.pk}" for c in codes] + ["reason"])

    def order(self) -> list[int]:
        """Code ids by their new places (ties keep the old order)."""
        places = {c.pk: self.cleaned_data[f"place_{c.pk}"] for c in self.codes}
        return sorted(places, key=lambda pk: places[pk])


class SettleForm(forms.Form):
    applies = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("The code applies")), ("0", _("The code does not apply"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs=ROWS),
        help_text=_("Why; kept with the decision."),
    )


class QuoteForm(forms.Form):
    code = forms.ModelChoiceField(label=_("Code"), queryset=Code.objects.none())
    passage = forms.CharField(
        label=_("Passage"),
        required=False,
        widget=forms.Textarea(attrs=ROWS),
        help_text=_("Copy the words from the text; leave empty for the whole text."),
    )
    note = forms.CharField(
        label=_("Why this quote"), required=False, widget=forms.Textarea(attrs=ROWS)
    )

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(project=project)


class DisagreementFilter(forms.Form):
    code = forms.ModelChoiceField(
        label=_("Code"), queryset=Code.objects.none(), required=False
    )
    open = forms.BooleanField(label=_("Only unsettled"), required=False)

    def __init__(self, *args, project: Project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].queryset = Code.objects.filter(project=project)


class CodebookImportForm(forms.Form):
    """A REFI-QDA codebook (.qdc) to add to the codebook, and why."""

    MAX_BYTES = 5 * 1024 * 1024

    file = forms.FileField(
        label=_("REFI-QDA codebook (.qdc)"),
        help_text=_("Exported from NVivo, ATLAS.ti, MAXQDA, QualCoder or Peerlog."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload

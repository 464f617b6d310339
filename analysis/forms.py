"""Forms of the analysis pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from analysis.models import Project
from analysis.permissions import analysis_sites
from participants.models import Cohort


class ProjectForm(forms.ModelForm):
    """A new project: the question and the filters that choose its texts,
    within the sites where the creator may analyse."""

    class Meta:
        model = Project
        fields = [
            "name",
            "question",
            "field",
            "sites",
            "cohorts",
            "date_from",
            "date_to",
            "blinded",
            "double_screening",
        ]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 3}),
            "sites": forms.CheckboxSelectMultiple,
            "cohorts": forms.CheckboxSelectMultiple,
            "date_from": forms.DateInput(attrs={"type": "date"}),
            "date_to": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        sites = analysis_sites(user).order_by("name")
        self.fields["sites"].queryset = sites
        self.fields["cohorts"].queryset = Cohort.objects.filter(
            site__in=sites
        ).select_related("site")
        self.fields["cohorts"].required = False

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end comes before the start."))
        sites, cohorts = data.get("sites"), data.get("cohorts")
        if sites is not None and cohorts:
            outside = [c for c in cohorts if c.site not in sites]
            if outside:
                self.add_error("cohorts", _("Choose cohorts of the chosen sites only."))
        return data


class MemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    codes = forms.BooleanField(label=_("Codes texts"), required=False, initial=True)
    screens = forms.BooleanField(label=_("Screens texts"), required=False)
    adjudicates = forms.BooleanField(label=_("Settles disagreements"), required=False)

    def clean_username(self):
        name = self.cleaned_data["username"]
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user has this username."))
        return user

"""The export page's form: validation and normalisation only. Choices are
scoped to what the user may read (AZ-5); the level is checked by the export
service, so a tampered level is refused with 403 and audited (EXP-1)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.params import BoundedChoices
from core.timeutils import check_param_date
from core.widgets import FastSelectMultiple
from exports.filters import EXPORTABLE_STATUSES, ExportFilters
from exports.models import ExportJob, ExportLevel
from exports.rights import export_sites
from logs_app.models import InteractionLog
from mentors.models import Mentor
from participants.models import Cohort

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _MentorLabels(forms.models.ModelChoiceIterator):
    """(pk, name) pairs straight from the database, named as Mentor.__str__
    names them: a national program lists a few thousand mentors here, and
    building a Mentor and a User object for each was most of the page's time."""

    def __iter__(self):
        rows = self.queryset.values_list(
            "pk", "user__first_name", "user__last_name", "user__username"
        )
        for pk, first, last, username in rows:
            yield pk, f"{first} {last}".strip() or username


class MentorChoices(BoundedChoices):
    iterator = _MentorLabels


class CohortChoices(BoundedChoices):
    def label_from_instance(self, obj: Cohort) -> str:
        return f"{obj.site.name} · {obj.name}"


class ExportForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=DATE, validators=[check_param_date]
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=DATE, validators=[check_param_date]
    )
    sites = BoundedChoices(
        label=_("Sites"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: all your sites."),
    )
    cohorts = CohortChoices(
        label=_("Cohorts"),
        queryset=None,
        required=False,
        widget=FastSelectMultiple(attrs={"size": 4}),
    )
    mentors = MentorChoices(
        label=_("Mentors"),
        queryset=None,
        required=False,
        widget=FastSelectMultiple(attrs={"size": 4}),
    )
    outcomes = forms.MultipleChoiceField(
        label=_("What happened"),
        choices=InteractionLog.Outcome.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    statuses = forms.MultipleChoiceField(
        label=_("Review status"),
        choices=EXPORTABLE_STATUSES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    include_voided = forms.BooleanField(label=_("Include voided logs"), required=False)
    level = forms.ChoiceField(
        label=_("What to include"),
        choices=[c for c in ExportLevel.choices if c[0] != ExportLevel.NONE],
        initial=ExportLevel.CODED,
        widget=forms.RadioSelect,
    )
    format = forms.ChoiceField(
        label=_("File"),
        choices=ExportJob.Format.choices,
        initial=ExportJob.Format.CSV,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, user, offered_levels, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites = export_sites(user).order_by("name")
        self.fields["sites"].queryset = sites
        self.fields["cohorts"].queryset = (
            Cohort.objects.filter(site__in=sites)
            .select_related("site")
            .order_by("site__name", "start_date", "name")
        )
        self.fields["mentors"].queryset = (
            Mentor.objects.visible_to(user)
            .select_related("user")
            .order_by("user__first_name", "user__last_name", "user__username")
        )
        # Only the levels the user holds are shown; any other value posted is
        # still parsed, so the service can refuse it with 403 and audit it.
        self.fields["level"].widget.choices = offered_levels

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        return ExportFilters(
            since=data.get("since"),
            until=data.get("until"),
            sites=tuple(sorted(s.pk for s in data.get("sites") or [])),
            cohorts=tuple(sorted(c.pk for c in data.get("cohorts") or [])),
            mentors=tuple(sorted(m.pk for m in data.get("mentors") or [])),
            outcomes=tuple(sorted(data.get("outcomes") or [])),
            statuses=tuple(sorted(data.get("statuses") or [])),
            include_voided=bool(data.get("include_voided")),
        )

"""Forms of the meeting pages: validation and choices only. The choices are
scoped to the meeting's mentor, so another mentor's item or log is refused
next to its field (and the service checks again)."""

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from supervision.models import MeetingAction

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _person(user) -> str:
    return user.get_full_name() or user.get_username()


class _People(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


class _Items(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        day = date_format(obj.log.contact_date, "D j M") if obj.log.contact_date else ""
        return f"{obj.get_kind_display()} · {day} · {obj.get_state_display()}"


class _Logs(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        day = date_format(obj.contact_date, "D j M") if obj.contact_date else "—"
        return f"{day} · {obj.participant} · {obj.get_outcome_display()}"


class _Owner(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _person(obj)


def _not_this_mentors(what: str) -> dict:
    return {"invalid_choice": what, "invalid_pk_value": what}


class MeetingPlanForm(forms.Form):
    planned_for = forms.DateTimeField(
        label=_("When"),
        widget=_WHEN,
        help_text=_("In the mentor's site time."),
    )


class MeetingRecordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    held_at = forms.DateTimeField(label=_("Held on"), widget=_WHEN)
    attendees = _People(
        queryset=None,
        required=False,
        label=_("Who attended"),
        widget=forms.CheckboxSelectMultiple,
    )
    others_attending = forms.CharField(
        label=_("Others who attended"),
        required=False,
        max_length=200,
        help_text=_("Names or roles, for example: a peer mentor in training."),
    )
    items = _Items(
        queryset=None,
        required=False,
        label=_("Follow-up items discussed"),
        widget=forms.CheckboxSelectMultiple,
        error_messages=_not_this_mentors(
            _("Only this mentor's follow-up items can be attached.")
        ),
    )
    logs = _Logs(
        queryset=None,
        required=False,
        label=_("Logs discussed"),
        widget=forms.CheckboxSelectMultiple,
        error_messages=_not_this_mentors(
            _("Only this mentor's filed logs can be attached.")
        ),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The supervisor's notes. The mentor does not see them."),
    )

    def __init__(self, *args, people, items, logs, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = people
        self.fields["items"].queryset = items
        self.fields["logs"].queryset = logs


class MeetingActionForm(forms.ModelForm):
    owner = _Owner(queryset=None, required=False, label=_("Who"))

    class Meta:
        model = MeetingAction
        fields = ["text", "owner", "due_on"]
        labels = {"text": _("Action agreed"), "due_on": _("By when")}
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, people, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people
        self.fields["owner"].empty_label = _("No one named")

"""Forms for follow-up items: validation and normalisation only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.params import parse_int
from supervision.followup import REASSIGN_CHOICES
from supervision.models import FollowUpItem

ACTIVE = "active"  # open or in progress: the list's default


class FollowUpFilterForm(forms.Form):
    """The item list's filters, read from the query string. A value that is
    not understood is ignored (the list shows everything of that filter)."""

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            (ACTIVE, _("Open or in progress")),
            *FollowUpItem.State.choices,
            ("all", _("All")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *FollowUpItem.Kind.choices],
    )
    mentor = forms.ChoiceField(label=_("Mentor"), required=False, choices=[])

    def __init__(self, data, *, mentors) -> None:
        super().__init__(data)
        self.fields["mentor"].choices = [("", _("All mentors"))] + [
            (str(m.pk), str(m)) for m in mentors
        ]

    def filters(self) -> dict:
        """{'state', 'kind', 'mentor_id'}: the valid values, defaults for the rest."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "state": data.get("state") or ACTIVE,
            "kind": data.get("kind") or "",
            "mentor_id": parse_int(data.get("mentor") or ""),
        }


class FollowUpChangeForm(forms.Form):
    """Start or reopen: only the version the page was shown at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class FollowUpResolveForm(FollowUpChangeForm):
    note = forms.CharField(
        label=_("Follow-up note"),
        help_text=_(
            "What was done, by whom, and what comes next. Seen by the supervisor "
            "and the site lead; the mentor sees only that it was followed up."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        required=False,  # the service refuses an empty note, with its message
        strip=False,
    )


class FollowUpReassignForm(FollowUpChangeForm):
    to = forms.ChoiceField(
        label=_("Hand to"), choices=REASSIGN_CHOICES, widget=forms.RadioSelect
    )

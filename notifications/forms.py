from django import forms
from django.utils.translation import gettext_lazy

from notifications.models import NotificationPreference


class PreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["digest"]
        widgets = {"digest": forms.RadioSelect}
        labels = {"digest": gettext_lazy("Supervisor digest")}
        help_texts = {
            "digest": gettext_lazy(
                "A summary of your team: weekly (Monday morning) or daily. Reminders "
                "and safety alerts are always sent."
            )
        }

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import Role
from mentors.models import Assignment, Mentor
from participants.models import Cohort, Participant, Site
from programs.import_files import MAX_BYTES
from programs.lifecycle import Reason
from programs.models import Invitation


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


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class MentorsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, mentor):
        supervisor = mentor.supervisor
        if supervisor is None:
            return str(mentor)
        return _("%(mentor)s (now with %(supervisor)s)") % {
            "mentor": mentor,
            "supervisor": supervisor.get_full_name() or supervisor.get_username(),
        }


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"))
    sites = forms.ModelMultipleChoiceField(
        label=_("Sites"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    supervisor = PersonChoiceField(
        label=_("For a mentor: their supervisor"),
        queryset=None,
        required=False,
        empty_label=_("Choose later"),
    )
    mentors = MentorsChoiceField(
        label=_("For a supervisor: the mentors they supervise"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They take these mentors over from their present supervisor."),
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Invitation.Role.choices
        self.fields["sites"].queryset = sites
        if sites.count() == 1:
            self.fields["sites"].initial = list(sites)
        self.fields["supervisor"].queryset = (
            get_user_model()
            .objects.filter(
                groups__name=Role.SUPERVISOR,
                is_active=True,
                site_access__site__in=sites,
            )
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["mentors"].queryset = (
            Mentor.objects.filter(sites__in=sites, is_active=True)
            .distinct()
            .select_related("user", "supervisor")
            .prefetch_related("sites")
            .order_by("user__first_name", "user__last_name", "user__username")
        )

    def clean(self):
        data = super().clean()
        role, chosen = data.get("role"), set(data.get("sites") or ())
        supervisor, mentors = data.get("supervisor"), data.get("mentors") or []
        if supervisor and role != Invitation.Role.MENTOR:
            self.add_error("supervisor", _("Only a mentor has a supervisor."))
        elif (
            supervisor
            and chosen
            and not (set(Site.objects.filter(access_grants__user=supervisor)) & chosen)
        ):
            self.add_error(
                "supervisor", _("This supervisor works at none of the sites chosen.")
            )
        if mentors and role != Invitation.Role.SUPERVISOR:
            self.add_error("mentors", _("Only a supervisor supervises mentors."))
        elif mentors and chosen:
            elsewhere = [m for m in mentors if not set(m.sites.all()) & chosen]
            if elsewhere:
                self.add_error(
                    "mentors",
                    _("%(mentor)s works at none of the sites chosen.")
                    % {"mentor": elsewhere[0]},
                )
        return data

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Someone with this address has an account."))
        waiting = Invitation.objects.filter(
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        if waiting.exists():
            raise forms.ValidationError(
                _("An invitation to this address is waiting: resend it instead.")
            )
        return email


USERNAME = r"[a-z0-9][a-z0-9._-]{2,39}"


class AcceptForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        regex=rf"\A{USERNAME}\Z",
        help_text=_("3 to 40 lower-case letters, digits, “.”, “_” or “-”."),
        error_messages={
            "invalid": _("Use 3 to 40 lower-case letters, digits, “.”, “_” or “-”.")
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, invitation, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean_username(self):
        name = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=name).exists():
            raise forms.ValidationError(_("This username is taken: choose another."))
        return name

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            probe = get_user_model()(
                username=data.get("username", ""),
                email=self.invitation.email,
                first_name=self.invitation.first_name,
                last_name=self.invitation.last_name,
            )
            try:
                validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


ISO_DATE = ["%Y-%m-%d"]


class MentorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, mentor):
        return str(mentor)


class AssignForm(forms.Form):
    """Assign a mentor, or hand the participant over to another one."""

    mentor = MentorChoiceField(label=_("Mentor"), queryset=None, empty_label="—")
    day = forms.DateField(
        label=_("From"),
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A handover ends the current mentor's assignment the day before."),
    )
    confirm_caseload = forms.BooleanField(
        label=_("Assign anyway, above the caseload warning"), required=False
    )

    def __init__(self, *args, mentors, today, **kwargs):
        kwargs.setdefault("initial", {"day": today})
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentors


class EndAssignmentForm(forms.Form):
    end = forms.DateField(
        label=_("Last day"),
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reason = forms.ChoiceField(label=_("Why it ends"))

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {"end": today})
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "—"), *Assignment.EndReason.choices]


class CohortForm(forms.ModelForm):
    """A cohort and its protocol's planned contacts."""

    class Meta:
        model = Cohort
        fields = [
            "site",
            "name",
            "start_date",
            "end_date",
            "planned_contacts",
            "contact_every_days",
            "window_days",
            "planned_minutes",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }
        help_texts = {
            "window_days": _(
                "A contact this many days before or after the planned day still "
                "delivers it."
            ),
            "planned_minutes": _("Optional: the dose report compares minutes."),
        }

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites
        self.fields["site"].empty_label = None
        for name in ("start_date", "end_date"):
            # The date picker sends ISO; "03/01/2027" is March or January.
            self.fields[name].input_formats = ISO_DATE
        if self.instance.pk:
            # A cohort's participants are at its site: it never moves.
            self.fields["site"].disabled = True
        self.fields["planned_contacts"].widget.attrs["max"] = MAX_PLANNED
        self.fields["window_days"].widget.attrs["max"] = MAX_WINDOW
        self.fields["contact_every_days"].widget.attrs["max"] = MAX_EVERY

    def clean_planned_contacts(self):
        value = self.cleaned_data["planned_contacts"]
        if value > MAX_PLANNED:
            raise forms.ValidationError(
                _("At most %(n)s planned contacts.") % {"n": MAX_PLANNED}
            )
        return value

    def clean_contact_every_days(self):
        value = self.cleaned_data["contact_every_days"]
        if value < 1:
            raise forms.ValidationError(_("At least one day apart."))
        if value > MAX_EVERY:
            raise forms.ValidationError(
                _("At most %(n)s days apart.") % {"n": MAX_EVERY}
            )
        return value

    def clean_window_days(self):
        value = self.cleaned_data["window_days"]
        if value > MAX_WINDOW:
            raise forms.ValidationError(
                _("At most %(n)s days either side.") % {"n": MAX_WINDOW}
            )
        return value

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end cannot be before the start."))
        site = self.instance.site if self.instance.pk else data.get("site")
        name = data.get("name")
        if site and name:
            clash = Cohort.objects.filter(site=site, name__iexact=name.strip())
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "name", _("This site already has a cohort of that name.")
                )
        return data


MAX_PLANNED = 500
MAX_WINDOW = 60
MAX_EVERY = 366


class CaseloadLimitForm(forms.Form):
    caseload_limit = forms.IntegerField(label=_("Warn at"), min_value=1, max_value=200)

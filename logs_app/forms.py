"""The interaction log form: validation and normalisation only."""

import datetime as dt
import re
import uuid
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.params import BoundedChoices, parse_int
from core.timeutils import iso_week_label, local_instant, local_today, parse_iso_week
from core.widgets import FastSelect
from logs_app.fields import (
    BOUNDS,
    MEETING_ONLY_FIELDS,
    MEETING_REQUIRED,
    OPTION_LISTS,
    SUBMIT_REQUIRED,
)
from logs_app.models import InteractionLog, RoleFunction, Technique, Topic
from mentors.models import Assignment, Mentor, mentor_tz
from participants.models import Participant

QUESTIONS = {option.name: option.question for option in OPTION_LISTS}
MIN_NARRATIVE_WORDS = 3
MIN_NARRATIVE_CHARS = 15


class OfferedChoiceIterator(ModelChoiceIterator):
    """The choices listed: the field's `offered` queryset when it has one."""

    def __init__(self, field: "ParticipantChoiceField") -> None:
        super().__init__(field)
        if field.offered is not None:
            self.queryset = field.offered


class ParticipantChoiceField(forms.ModelChoiceField):
    """`queryset` is what the field accepts; `offered`, when set, the part of it
    the select lists (set it before `queryset`, which hands the widget its
    choices)."""

    widget = FastSelect  # a supervisor's filter lists hundreds of participants
    iterator = OfferedChoiceIterator
    offered = None

    def label_from_instance(self, obj: Participant) -> str:
        # The assigned mentor may see the preferred name (DESIGN: participants).
        if obj.preferred_name:
            return f"{obj.study_id} – {obj.preferred_name}"
        return obj.study_id


class OptionCheckboxes(BoundedChoices):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        return obj.label


class InteractionLogForm(forms.ModelForm):
    """One form for drafts and submissions. `submitting` switches on the full
    rules; a draft only needs values that are well-formed."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(),
        required=False,
        label=_("Participant"),
        empty_label=_("Choose…"),
        error_messages={
            "invalid_choice": _(
                "Choose one of the people assigned to you now. An assignment may "
                "have ended: ask your program admin."
            )
        },
    )
    techniques = OptionCheckboxes(
        queryset=Technique.objects.none(),
        required=False,
        label=QUESTIONS["techniques"],
    )
    topics = OptionCheckboxes(
        queryset=Topic.objects.none(), required=False, label=QUESTIONS["topics"]
    )
    role_functions = OptionCheckboxes(
        queryset=RoleFunction.objects.none(),
        required=False,
        label=QUESTIONS["role_functions"],
    )

    class Meta:
        model = InteractionLog
        # In the order the form shows them: the error summary lists problems
        # in this order, so its links run down the page.
        fields = [
            "participant",
            "outcome",
            "safety_concern",
            "contact_date",
            "start_time",
            "mode",
            "duration_minutes",
            "place",
            "techniques",
            "topics",
            "role_functions",
            "co_ppm",
            "cigarettes_per_day",
            "stage_of_change",
            "quit_date",
            "nrt_in_use",
            "last_goal_outcome",
            "weekly_goal",
            "narrative",
            "reflection_feelings",
            "reflection_concerns",
            "concern",
            "discuss_in_supervision",
        ]
        widgets = {
            "outcome": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "contact_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quit_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{
                name: forms.NumberInput(
                    attrs={"inputmode": "numeric", "min": bound.minimum}
                )
                for name, bound in BOUNDS.items()
            },
            "weekly_goal": forms.Textarea(attrs={"rows": 2}),
            "narrative": forms.Textarea(attrs={"rows": 5}),
            "reflection_feelings": forms.Textarea(attrs={"rows": 3}),
            "reflection_concerns": forms.Textarea(attrs={"rows": 3}),
            "concern": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "outcome": _("What happened?"),
            "contact_date": _("Date"),
            "start_time": _("Start time"),
            "duration_minutes": _("How long (minutes)"),
            "mode": _("How did you connect?"),
            "place": _("Where"),
            "weekly_goal": _("Goal agreed for this week"),
            "narrative": _("Summary of the contact"),
            "reflection_feelings": _(
                "How did this contact affect you? What came up for you as a mentor?"
            ),
            "reflection_concerns": _("Any questions for your supervisor?"),
            "concern": _("Anything about this contact that worries you?"),
            "discuss_in_supervision": _("I'd like to talk about this in supervision"),
            "safety_concern": _("I have a safety concern about this participant"),
        }
        help_texts = {
            "place": _("For example: coffee shop, clinic, their home. No addresses."),
            **{name: bound.hint for name, bound in BOUNDS.items() if bound.help_text},
            "narrative": _(
                "A few sentences: what you did and talked about, and how it went. "
                "Required when you submit."
            ),
            "reflection_feelings": _(
                "Optional. Only your supervisor reads this, and research staff if "
                "you agreed to that."
            ),
            "reflection_concerns": _(
                "Optional. Your supervisor answers it in the feedback on this log."
            ),
            "concern": _("Your supervisor will follow it up."),
            "safety_concern": _(
                "Your supervisor is told right away. If someone is in danger now, "
                "call emergency services first."
            ),
        }

    def __init__(
        self,
        *args: Any,
        mentor: Mentor,
        submitting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mentor = mentor
        self.submitting = submitting
        self.tz = mentor_tz(mentor)
        # The select lists the people assigned to the mentor today; the one a
        # log already names (an old log, a draft whose assignment ended) or the
        # one just sent stays listed with it. Anyone ever assigned is still
        # accepted: a meeting from before an assignment ended can be filed
        # late, and otherwise the date gets the message that says why (issue 13:
        # ended assignments were listed and found out only on submit).
        today = local_today(self.tz)
        offered = Q(
            pk__in=Assignment.objects.filter(mentor=mentor)
            .active_on(today)
            .values("participant")
        )
        chosen = [self.instance.participant_id, parse_int(self.data.get("participant"))]
        if any(chosen):
            offered |= Q(pk__in=[pk for pk in chosen if pk])
        accepted = (
            Participant.objects.filter(assignments__mentor=mentor)
            .select_related("site")
            .distinct()
            .order_by("study_id")
        )
        field = self.fields["participant"]
        field.offered = accepted.filter(offered)  # never anyone else's
        field.queryset = accepted
        for name, model in (
            ("techniques", Technique),
            ("topics", Topic),
            ("role_functions", RoleFunction),
        ):
            # Retired options stay selectable on logs that already use them.
            # A subquery on the link table's log index: joining the link table
            # and DISTINCT scanned every link (100 ms per list at 1,000,000 logs).
            current = (
                Q(pk__in=getattr(self.instance, name).values("pk"))
                if self.instance.pk
                else Q(pk__in=[])
            )
            self.fields[name].queryset = model.objects.filter(
                Q(is_active=True) | current
            )
        self.fields["outcome"].required = False
        self.fields["mode"].required = False
        # Radio buttons need no "empty" choice; selects say plainly what empty means.
        self.fields["mode"].choices = InteractionLog.Mode.choices
        for name in ("stage_of_change", "nrt_in_use", "last_goal_outcome"):
            self.fields[name].choices = [("", _("Not asked / not sure"))] + [
                choice for choice in self.fields[name].choices if choice[0]
            ]
        self.fields["contact_date"].widget.attrs["max"] = today.isoformat()
        # Marked for assistive technology, and on screen by peerlog.css (a
        # star after the question of a field with aria-required). Not
        # `required` fields: a draft may leave them empty; `_check_complete`
        # asks for them on submit. logform.js drops the marks from the
        # meeting's fields when the outcome is an attempt.
        for name in (*SUBMIT_REQUIRED, *MEETING_REQUIRED):
            self.fields[name].widget.attrs.update(
                {"required": True, "aria-required": "true"}
            )
        for name, bound in BOUNDS.items():
            self.fields[name].widget.attrs["max"] = bound.maximum
        if not self.is_bound and not self.initial.get("idempotency_key"):
            self.initial["idempotency_key"] = (
                self.instance.idempotency_key if self.instance.pk else uuid.uuid4()
            )
        if self.instance.pk and "version" not in self.initial:
            self.initial["version"] = self.instance.version
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    # --- field rules -----------------------------------------------------------
    def _clean_bounded(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        bound = BOUNDS[name]
        if value is not None and not bound.contains(value):
            raise forms.ValidationError(bound.error)
        return value

    def clean_duration_minutes(self) -> int | None:
        return self._clean_bounded("duration_minutes")

    def clean_co_ppm(self) -> int | None:
        return self._clean_bounded("co_ppm")

    def clean_cigarettes_per_day(self) -> int | None:
        return self._clean_bounded("cigarettes_per_day")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        participant: Participant | None = data.get("participant")
        day: dt.date | None = data.get("contact_date")
        start: dt.time | None = data.get("start_time")
        tz = participant.site.tzinfo if participant else self.tz
        now = timezone.now()

        if day is not None:
            if day > now.astimezone(tz).date():
                self.add_error("contact_date", _("The date can't be in the future."))
            elif start is not None and local_instant(day, start, tz) > now:
                self.add_error(
                    "start_time", _("The start time can't be in the future.")
                )
            elif participant is not None:
                self._check_assignment(participant, day)

        if not data.get("outcome"):
            data["outcome"] = InteractionLog.Outcome.MET
        if self.submitting:
            self._check_complete(data)
        return data

    def _check_assignment(self, participant: Participant, day: dt.date) -> None:
        assignments = list(
            Assignment.objects.filter(mentor=self.mentor, participant=participant)
        )
        if any(assignment.covers(day) for assignment in assignments):
            return
        periods = ", ".join(
            f"{a.start_date:%d %b %Y} – "
            + (f"{a.end_date:%d %b %Y}" if a.end_date else str(_("ongoing")))
            for a in sorted(assignments, key=lambda a: a.start_date)
        )
        self.add_error(
            "contact_date",
            _("%(who)s was not assigned to you on this date (assigned: %(periods)s).")
            % {"who": participant.study_id, "periods": periods},
        )

    def _check_complete(self, data: dict[str, Any]) -> None:
        is_attempt = data.get("outcome") in InteractionLog.ATTEMPT_OUTCOMES
        required = dict(SUBMIT_REQUIRED)
        if not is_attempt:
            required.update(MEETING_REQUIRED)
        for name, message in required.items():
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(name, message)
        narrative = (data.get("narrative") or "").strip()
        if not is_attempt and narrative and "narrative" not in self.errors:
            words = re.findall(r"\w+", narrative)
            if len(words) < MIN_NARRATIVE_WORDS or len(narrative) < MIN_NARRATIVE_CHARS:
                self.add_error(
                    "narrative",
                    _("Write at least a sentence about what happened."),
                )
        if is_attempt:
            for name in MEETING_ONLY_FIELDS:
                data[name] = _empty(name)


def _empty(name: str) -> Any:
    """A log field's empty value: no options, None where the column is
    nullable (numbers, dates), else the empty string."""
    field = InteractionLog._meta.get_field(name)
    if field.many_to_many:
        return []
    return None if field.null else ""


class WeekField(forms.CharField):
    """An ISO week as the browser's week input sends it ('2026-W47')."""

    def to_python(self, value: Any) -> tuple[dt.date, dt.date] | None:
        value = super().to_python(value)
        if not value:
            return None
        bounds = parse_iso_week(value)
        if bounds is None:
            raise forms.ValidationError(_("Enter a week like 2026-W47."))
        return bounds

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return iso_week_label(value[0])
        return value


class LogFilterForm(forms.Form):
    participant = ParticipantChoiceField(
        queryset=Participant.objects.none(), required=False, empty_label=_("Everyone")
    )
    week = WeekField(
        required=False,
        label=_("Week"),
        widget=forms.TextInput(attrs={"type": "week", "placeholder": "2026-W47"}),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", _("Any status")), *InteractionLog.Status.choices],
    )
    # Only for a supervisor (the mentors they supervise); removed otherwise.
    mentor = forms.ModelChoiceField(
        queryset=Mentor.objects.none(),
        required=False,
        label=_("Mentor"),
        empty_label=_("All mentors"),
    )

    def __init__(self, *args: Any, participants, mentors=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if mentors is None:
            del self.fields["mentor"]
        else:
            self.fields["mentor"].queryset = mentors
        self.fields["participant"].queryset = participants
        # Preferred names only on the mentor's own form; filters show study IDs.
        self.fields["participant"].label_from_instance = lambda obj: obj.study_id
        self.fields["participant"].label = _("Participant")
        self.fields["status"].label = _("Status")

    @property
    def refuses_whom(self) -> bool:
        """A participant or mentor outside those offered: the list is then
        empty, never wider (a foreign id must not fall back to everything)."""
        return bool({"participant", "mentor"} & set(self.errors))


class ReviewForm(forms.Form):
    """The supervisor's one box on the review page. Whichever button is pressed
    uses what is typed in it: mark reviewed, return for revision, or send it as
    feedback and decide later. (Two boxes, one per button, let a supervisor type
    into one and press the other's button, and the text was lost.)"""

    REVIEW, RETURN, FEEDBACK = "review", "return", "feedback"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    comment = forms.CharField(
        required=False,
        max_length=5000,
        label=_("Feedback for the mentor"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Start with what went well. It goes with whichever button you press: "
            "optional when you mark the log reviewed; needed when you return it, "
            "so the mentor knows what to change. Send feedback only shares it now "
            "and keeps the log in your queue."
        ),
    )
    # Set by the button pressed (name="action"); never shown as a field.
    action = forms.ChoiceField(
        choices=[
            (REVIEW, _("Mark reviewed")),
            (RETURN, _("Return for revision")),
            (FEEDBACK, _("Send feedback only")),
        ],
        error_messages={
            "required": _("Choose what to do: press one of the buttons."),
            "invalid_choice": _("Choose what to do: press one of the buttons."),
        },
    )


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this log voided?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For example: filed twice, or about the wrong participant. It is kept "
            "with the log and its history."
        ),
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

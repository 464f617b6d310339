"""The field catalogue (logs_app.fields) is the one list of the log's fields:
the model, the form, the history and the form's page agree with it."""

import itertools
import re

import pytest
from django.urls import reverse

from logs_app.attention import awaiting_review_q, needs_attention_q, routine_q
from logs_app.fields import (
    BOUNDS,
    FREE_TEXT_FIELDS,
    MEETING_ONLY_FIELDS,
    OPTION_FIELDS,
    SCALAR_FIELDS,
)
from logs_app.forms import InteractionLogForm
from logs_app.models import InteractionLog, RoleFunction, Technique, Topic
from tests.factories import InteractionLogFactory


def test_every_field_the_form_edits_is_tracked_in_history(mentor):
    form = InteractionLogForm(mentor=mentor)
    edited = set(form.fields) - {"idempotency_key", "version"}
    assert edited == set(SCALAR_FIELDS) | set(OPTION_FIELDS)


def test_catalogue_names_only_fields_of_the_log():
    names = {field.name for field in InteractionLog._meta.get_fields()}
    for group in (SCALAR_FIELDS, OPTION_FIELDS, MEETING_ONLY_FIELDS, BOUNDS):
        assert set(group) <= names
    assert set(FREE_TEXT_FIELDS) <= set(SCALAR_FIELDS)


def test_model_checks_the_catalogue_bounds():
    checks = {c.name for c in InteractionLog._meta.constraints}
    assert {bound.constraint for bound in BOUNDS.values()} <= checks


@pytest.mark.parametrize("name", list(BOUNDS))
def test_form_checks_and_offers_the_catalogue_bounds(name, mentor):
    bound = BOUNDS[name]
    form = InteractionLogForm(mentor=mentor)
    # The browser's max; its min is the column's (0: Django sets it from the
    # positive integer field over the widget's own), the check refuses below.
    assert form.fields[name].widget.attrs["max"] == bound.maximum
    for value, ok in [
        (bound.minimum, True),
        (bound.maximum, True),
        (bound.maximum + 1, False),
    ]:
        form = InteractionLogForm({name: str(value)}, mentor=mentor)
        form.is_valid()
        assert (name not in form.errors) is ok, (value, form.errors)
        if not ok:
            assert form.errors[name] == [str(bound.error)]


def test_form_page_hides_exactly_the_meeting_only_fields(as_user, mentor):
    for model in (Technique, Topic, RoleFunction):
        model.objects.create(code=f"x-{model.__name__.lower()}", label="x")
    html = as_user(mentor.user).get(reverse("log_create")).content.decode()
    # The page's sections, each up to the next (they hold fieldsets of their own).
    sections = html.split('<fieldset class="log-section"')[1:]
    meeting = [s for s in sections if s.startswith(" data-meeting-only")]
    named = set(re.findall(r'name="(\w+)"', "".join(meeting)))
    assert named == set(MEETING_ONLY_FIELDS)


def test_an_attempt_drops_the_meeting_only_fields(mentor, participant):
    data = {
        "participant": participant.pk,
        "outcome": "no_answer",
        "contact_date": "2026-11-18",
        "mode": "phone",
        "co_ppm": "12",
        "weekly_goal": "Walk",
        "idempotency_key": "1a6b2f0e-5c37-4a7a-9d5e-0c1b2a3d4e5f",
    }
    form = InteractionLogForm(data, mentor=mentor, submitting=True)
    assert form.is_valid(), form.errors
    assert all(
        form.cleaned_data[name] in ([], None, "") for name in MEETING_ONLY_FIELDS
    )


@pytest.mark.django_db
def test_routine_is_awaiting_review_without_needing_attention(mentor, participant):
    flags = itertools.product([False, True], [False, True], ["", "A worry"])
    for safety, discuss, concerns in flags:
        InteractionLogFactory(
            mentor=mentor,
            participant=participant,
            safety_concern=safety,
            discuss_in_supervision=discuss,
            reflection_concerns=concerns,
        )
    logs = InteractionLog.objects.all()
    assert set(logs.filter(routine_q())) == set(
        logs.filter(awaiting_review_q()).exclude(needs_attention_q())
    )
    assert logs.filter(routine_q()).count() == 1

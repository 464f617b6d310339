"""Our override of crispy-bootstrap5's checkbox and radio list template must
render what crispy's own does, byte for byte up to whitespace (it only replaces
an include per option with the option_attrs filter), with and without errors."""

import copy

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.conf import settings as django_settings

from core.templatetags.peerlog_forms import option_attrs
from exports.forms import ExportForm
from exports.models import ExportLevel
from logs_app.forms import InteractionLogForm
from notifications.forms import PreferenceForm

FIELDS = ["techniques", "topics", "role_functions", "outcome", "mode"]


def _render(form, fields=FIELDS) -> dict[str, str]:
    """Each field's markup, whitespace runs collapsed (they render the same)."""
    return {name: " ".join(str(as_crispy_field(form[name])).split()) for name in fields}


def _crispy_own(settings) -> None:
    """From here on, crispy's own templates: without our template dir."""
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["DIRS"] = []
    settings.TEMPLATES = templates


@pytest.mark.parametrize("bound", [False, True])
def test_same_markup_as_crispy_bootstrap5(bound, mentor, participant, settings):
    data = {"participant": participant.pk, "techniques": ["999999"], "mode": "x"}
    form = InteractionLogForm(data if bound else None, mentor=mentor, submitting=True)
    if bound:
        assert not form.is_valid() and "techniques" in form.errors
    ours = _render(form)

    _crispy_own(settings)
    theirs = _render(form)

    assert ours == theirs
    assert 'type="checkbox"' in ours["techniques"]
    assert 'type="radio"' in ours["mode"]
    if bound:
        assert "is-invalid" in ours["techniques"]
        assert "invalid-feedback" in ours["techniques"]


def test_help_text_is_kept_on_lists_that_have_one(settings, staff):
    """The export page's sites ("None ticked: all your sites.") and the mail
    preferences' digest choice: help text under the list, and the fieldset's
    aria-describedby pointing at it."""
    export = ExportForm(user=staff, offered_levels=[(ExportLevel.CODED, "Coded")])
    mail = PreferenceForm()
    ours = {**_render(export, ["sites", "level"]), **_render(mail, ["digest"])}
    _crispy_own(settings)
    theirs = {**_render(export, ["sites", "level"]), **_render(mail, ["digest"])}

    assert ours == theirs
    assert 'id="id_sites_helptext"' in ours["sites"]
    assert "None ticked: all your sites." in ours["sites"]
    assert "always sent" in ours["digest"]


def test_option_attrs_escapes_and_handles_booleans():
    rendered = option_attrs(
        {"id": 'a"><script>', "checked": True, "disabled": False, "data-n": 3}
    )
    assert rendered == ' id="a&quot;&gt;&lt;script&gt;" checked data-n="3"'

"""The Python-rendered select widgets (core.widgets) must give what
Django's own template-rendered widgets give: same options, same selection,
same attributes, and every label and value escaped."""

from html.parser import HTMLParser

import pytest
from django import forms

from core.widgets import FastSelect, FastSelectMultiple
from exports.forms import ExportForm
from exports.models import ExportLevel
from mentors.models import Mentor
from tests.factories import MentorFactory, UserFactory


class _Select(HTMLParser):
    """The select's attributes and its options as (value, label, selected,
    group label)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.attrs: dict = {}
        self.options: list[tuple] = []
        self._group = None
        self._open = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select":
            self.attrs = attrs
        elif tag == "optgroup":
            self._group = attrs["label"]
        elif tag == "option":
            self._open = [attrs["value"], "", "selected" in attrs, self._group]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self.options.append(tuple(self._open))
            self._open = None
        elif tag == "optgroup":
            self._group = None


CHOICES = [
    ("", "Everyone"),
    ("1", 'Ana "the <b>boss</b>" & co'),
    ("2", "Ben"),
    ("Later", [("3", "Cai"), ("4", "Dee's")]),
]


@pytest.mark.parametrize(
    ("fast", "django", "value"),
    [
        (FastSelect, forms.Select, "2"),
        (FastSelect, forms.Select, None),
        (FastSelectMultiple, forms.SelectMultiple, ["1", "4"]),
        (FastSelectMultiple, forms.SelectMultiple, []),
    ],
)
def test_same_options_selection_and_attributes_as_django(fast, django, value):
    attrs = {"id": "id_who", "class": "form-select", "aria-describedby": "who_help"}
    ours = fast(attrs={"size": 4}, choices=CHOICES).render("who", value, attrs)
    theirs = django(attrs={"size": 4}, choices=CHOICES).render("who", value, attrs)

    assert _Select(ours).options == _Select(theirs).options
    assert _Select(ours).attrs == _Select(theirs).attrs


def test_labels_and_values_are_escaped():
    html = FastSelect(choices=[('"><script>x()</script>', "<img src=x onerror=y>")])
    rendered = html.render("who", None)

    assert "<script>" not in rendered and "<img" not in rendered
    assert "&lt;img src=x onerror=y&gt;" in rendered
    assert 'value="&quot;&gt;&lt;script&gt;' in rendered


@pytest.mark.django_db
def test_export_form_lists_mentors_by_name_and_keeps_the_choice(site):
    research = UserFactory()
    named = MentorFactory(
        sites=[site], user=UserFactory(first_name="Zoë", last_name="<Quinn>")
    )
    plain = MentorFactory(sites=[site], user=UserFactory(first_name="", last_name=""))
    form = ExportForm(
        data={"mentors": [str(named.pk)], "level": "bogus"},
        user=research,
        offered_levels=[(ExportLevel.CODED, "Coded")],
    )
    # The scope (AZ-5) is tested with the export; here only the labels matter.
    form.fields["mentors"].queryset = Mentor.objects.order_by("pk")

    assert not form.is_valid()  # the bogus level: the form is shown again
    options = _Select(str(form["mentors"])).options
    assert (str(named.pk), "Zoë <Quinn>", True, None) in options
    assert (str(plain.pk), plain.user.username, False, None) in options

"""The words the log form's scripts show go through Django's translation
(issue 13): static/js/logform.js and static/js/error-summary.js write none of
their own; the form page gives each one as a data-t-* attribute, rendered with
{% translate %}/{% blocktranslate %} (plural forms for a count), as
static/js/outbox.js takes its words from #outbox."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from core.error_summary import COUNT_TEXTS_UP_TO, problem_count_text

pytestmark = pytest.mark.django_db

JS = Path(settings.BASE_DIR) / "static" / "js"


class _FormAttrs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "form" and dict(attrs).get("id") == "log-form":
            self.attrs = {name: value or "" for name, value in attrs}


def _form_attrs(html: str) -> dict[str, str]:
    parser = _FormAttrs()
    parser.feed(html)
    assert parser.attrs is not None, "no #log-form on the page"
    return parser.attrs


def _needed() -> list[str]:
    """The data-t-* attributes logform.js reads: every `text("tName")`."""
    source = (JS / "logform.js").read_text()
    names = re.findall(r'\btext\("(t[A-Z]\w*)"', source)
    assert len(names) >= 7
    return sorted(
        {"data-" + re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), n) for n in names}
    )


def _code(path: Path) -> str:
    """The script without its comments."""
    return re.sub(r"^\s*//.*$|\s//\s.*$", "", path.read_text(), flags=re.M)


@pytest.mark.parametrize("url", ["log_create", "log_edit"])
def test_every_word_the_form_scripts_show_is_on_the_page(as_user, mentor, log, url):
    args = [log.pk] if url == "log_edit" else []
    attrs = _form_attrs(
        as_user(mentor.user).get(reverse(url, args=args)).content.decode()
    )
    needed = _needed()
    missing = [name for name in needed if not attrs.get(name)]
    assert missing == []
    assert attrs["data-t-saved"] == "Saved automatically at {time}"
    assert attrs["data-t-error"] == "Error:"
    counts = json.loads(attrs["data-t-problems"])
    assert len(counts) == COUNT_TEXTS_UP_TO
    assert counts["1"] == "There is 1 problem"
    assert counts["3"] == "There are 3 problems"


def test_the_scripts_write_no_sentence_of_their_own():
    for name in ("logform.js", "error-summary.js"):
        code = _code(JS / name)
        words = re.findall(r'"([A-Z][a-z]+[ :][^"]*)"', code)
        assert words == [], name


def test_the_words_come_from_the_translation_catalogue(as_user, mentor, monkeypatch):
    """A pseudo-language marks every translated string: each word the scripts
    read must carry the mark, so a catalogue has it (plural forms included)."""
    trans = translation._trans
    gettext, ngettext = trans.gettext, trans.ngettext
    monkeypatch.setattr(trans, "gettext", lambda m: f"«{gettext(m)}»")
    monkeypatch.setattr(trans, "ngettext", lambda s, p, n: f"«{ngettext(s, p, n)}»")
    attrs = _form_attrs(
        as_user(mentor.user).get(reverse("log_create")).content.decode()
    )
    for name in _needed():
        if name == "data-t-problems":
            counts = json.loads(attrs[name])
            assert all(t.startswith("«") and t.endswith("»") for t in counts.values())
        else:
            assert attrs[name].startswith("«") and attrs[name].endswith("»"), name
    assert attrs["data-t-saved"] == "«Saved automatically at {time}»"


def test_the_count_words_are_the_server_summarys():
    assert problem_count_text(1) == "There is 1 problem"
    assert problem_count_text(2) == "There are 2 problems"

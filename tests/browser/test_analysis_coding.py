"""Issue 15: a coder codes a passage by selecting words on a phone, with text
that is not ASCII (an emoji is two UTF-16 units in the browser, one code point
in Python): the stored offsets index `Text.body` exactly. Number keys tick
whole-answer codes; the screening page takes I and E. axe-core audits each
page; screenshots go to test-artifacts (the README's come from scripts/screenshots.py
over the demo)."""

import pytest
from django.urls import reverse

from analysis.models import Coding, Text
from tests.analysis.factories import CodeFactory, analyst, project_of, reflection
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import ParticipantFactory

pytestmark = BROWSER_TEST

BODY = (
    "Ça m’a touché 😀😀 quand il a dit:\r\n"
    "I will try again tomorrow, and call you after."
)
TARGET = "I will try again tomorrow"

SELECT = """([target]) => {
  const root = document.getElementById('coding-text');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const at = node.data.indexOf(target);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + target.length);
      const sel = document.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      return true;
    }
  }
  return false;
}"""


@pytest.fixture
def coding_project(site):
    coder = analyst("coder", site)
    p = ParticipantFactory(site=site)
    reflection(participant=p, text=BODY)
    reflection(participant=p, text="Nothing much happened today.")
    project = project_of(coder, site, name="Role boundaries")
    for n, name in enumerate(["Hope", "Helping", "Own recovery"]):
        CodeFactory(
            project=project,
            name=name,
            position=n,
            definition=f"The mentor speaks of {name.lower()}.",
        )
    return coder, project


def test_a_coder_codes_a_passage_on_a_phone(
    browser, live_server, phone, coding_project
):
    coder, project = coding_project
    project.texts.update(screening=Text.Screening.INCLUDED)
    text = project.texts.get(body=BODY)
    sign_in(phone, live_server, coder.username)
    phone.goto(live_server.url + reverse("analysis_code", args=[project.pk]))
    phone.get_by_text("Codes for the whole answer").first.wait_for()
    check_accessibility(phone)

    assert phone.evaluate(SELECT, [TARGET])
    submit = phone.locator("#passage-submit")
    phone.wait_for_function("!document.getElementById('passage-submit').disabled")
    phone.get_by_label("Code for the selected passage").select_option(label="Hope")
    submit.click()
    phone.get_by_text("Passage coded.").wait_for()
    phone.wait_for_load_state()  # coding.js has run
    coding = Coding.objects.get()
    assert (coding.start, coding.end) == (
        BODY.index(TARGET),
        BODY.index(TARGET) + len(TARGET),
    )
    assert text.body[coding.start : coding.end] == TARGET

    phone.keyboard.press("2")  # ticks "Helping" for the whole answer, and saves
    phone.get_by_text("Codes saved.").wait_for()
    assert set(Coding.objects.values_list("code__name", "start")) == {
        ("Hope", coding.start),
        ("Helping", None),
    }
    check_accessibility(phone)
    screenshot(phone, "analysis-coding-phone")
    phone.get_by_role("button", name="Finish this text").click()
    phone.wait_for_url(f"**/code/{project.texts.exclude(pk=text.pk).get().pk}/")
    assert phone.console_errors == []


def test_screening_with_the_keyboard(browser, live_server, page_at, coding_project):
    coder, project = coding_project
    page = page_at({"width": 1280, "height": 800})
    sign_in(page, live_server, coder.username)
    page.goto(live_server.url + reverse("analysis_screen", args=[project.pk]))
    page.get_by_text("0 of 2 screened").wait_for()
    check_accessibility(page)
    screenshot(page, "analysis-screening")
    page.keyboard.press("i")
    page.get_by_text("1 of 2 screened").wait_for()
    page.wait_for_load_state()  # coding.js has run
    page.keyboard.press("e")  # to the reasons; the first is focused
    page.keyboard.press("Space")
    page.get_by_role("button", name="Exclude").click()
    page.get_by_text("2 of 2 screened").wait_for()
    states = sorted(project.texts.values_list("screening", flat=True))
    assert states == ["excluded", "included"]
    assert page.console_errors == []

"""Issue 15: the theme summary and the disagreements list in a real browser
(accessibility checked, no CSP errors), and their screenshots."""

import pytest
from django.urls import reverse

from analysis.consensus import consensus_settle
from analysis.models import Category, Quote
from tests.analysis.codebook_helpers import apply, code_of, finish, text_of
from tests.analysis.factories import analyst, member, project_of
from tests.browser.chromium import DESK
from tests.browser.conftest import (
    BROWSER_TEST,
    check_accessibility,
    screenshot,
    sign_in,
)
from tests.factories import CohortFactory, SiteFactory

pytestmark = BROWSER_TEST

BODIES = [
    "I felt like a friend to him today, more than a mentor. Is that all right?",
    "She asked me for money again. I said no and pointed her to her nurse.",
    "We walked to the pharmacy together. I told her what helped me quit.",
    "I was tired and did not want to call, but he sounded glad I did.",
]


@pytest.fixture
def project(site):
    north = SiteFactory(code="north", name="North")
    lead = analyst("lead", site, north)
    project = project_of(lead, site, north, name="How mentors see their role")
    b = analyst("robin", site, north)
    member(project, b)
    role = Category.objects.create(project=project, name="The mentor role")
    feel = Category.objects.create(project=project, name="Feelings", position=1)
    friend = code_of(project, "Friendship", category=role, color="#aa3377")
    limits = code_of(project, "Setting limits", category=role, color="#228833")
    own = code_of(project, "Own quit story", category=role, color="#4477aa")
    tired = code_of(project, "Tiredness", category=feel, color="#ccbb44")
    cohorts = [CohortFactory(site=site, name="Spring"), None]
    plan = [({friend}, {friend, own}), ({limits}, {limits}), ({own}, {own})]
    plan.append(({tired, friend}, {tired}))
    for i in range(12):
        a_codes, b_codes = plan[i % 4]
        text = text_of(
            project,
            site if i % 3 else north,
            body=BODIES[i % 4],
            cohort=cohorts[i % 2] if i % 3 else None,
        )
        apply(text, lead, *a_codes)
        apply(text, b, *b_codes)
        finish(text, lead, b)
        if i == 0:
            consensus_settle(
                actor=lead,
                project=project,
                text=text,
                code=own,
                applies=True,
                note="The mentor tells her own story.",
            )
            Quote.objects.create(
                text=text,
                code=friend,
                start=0,
                end=len("I felt like a friend to him today"),
                chosen_by=lead,
                note="The role, in the mentor's words.",
            )
        if i == 1:
            Quote.objects.create(text=text, code=limits, chosen_by=lead)
    return project


def test_theme_summary_and_disagreements(project, page_at, live_server):
    page = page_at(DESK)
    sign_in(page, live_server, "lead")
    page.goto(live_server.url + reverse("analysis_themes", args=[project.pk]))
    assert page.get_by_role("heading", name="The mentor role").is_visible()
    assert page.get_by_text("I felt like a friend to him today").first.is_visible()
    check_accessibility(page)
    screenshot(page, "analysis-themes")
    page.goto(live_server.url + reverse("analysis_disagreements", args=[project.pk]))
    check_accessibility(page)
    screenshot(page, "analysis-disagreements")
    page.get_by_role("link", name="Settle").first.click()
    assert page.get_by_role("heading", level=1).is_visible()
    check_accessibility(page)
    assert page.console_errors == []

"""Issue 15: the coding page's progress comes from two counters (so it costs
the same at 100,000 texts); the services keep them equal to what the rows
say, through screening, settling, finishing, finishing again, reopening and
recoding under a new codebook version."""

import datetime as dt

import pytest

from analysis import coding, screening
from analysis.codebook import code_save
from analysis.models import Member, Project, Text
from analysis.permissions import ProjectAccess
from analysis.progress import coder_progress, progress_recount
from tests.analysis.factories import analyst, member, project_of, reflection
from tests.factories import ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")
NOW = dt.datetime(2026, 11, 19, 20, 0, tzinfo=dt.UTC)


def _counters(project) -> tuple[int, dict[str, int]]:
    project.refresh_from_db()
    return project.included_count, {
        m.user.username: m.finished_count
        for m in Member.objects.filter(project=project).select_related("user")
    }


def _exact(project) -> tuple[int, dict[str, int]]:
    saved = _counters(project)
    progress_recount(project)
    exact = _counters(project)
    assert saved == exact, "the counters drifted from the rows"
    return exact


@pytest.mark.parametrize("two_screeners", [False, True])
def test_the_counters_follow_every_step(db, site, two_screeners):
    lead, other = analyst("lead", site), analyst("other", site)
    participant = ParticipantFactory(site=site)
    for i in range(5):
        reflection(participant=participant, text=f"Text {i} about the role.")
    project = project_of(lead, site, double_screening=two_screeners)
    member(project, other, screens=True)
    code_save(
        actor=lead, project=project, reason="First code",
        data={"name": "Role", "definition": "About the role.", "color": "#0072b2"},
    )  # fmt: skip
    code = project.codes.get()
    access = {u: ProjectAccess.of(u, project) for u in (lead, other)}
    texts = list(project.texts.order_by("pk"))
    assert _exact(project) == (0, {"lead": 0, "other": 0})

    screeners = (lead, other) if two_screeners else (lead,)
    for text, include in zip(texts, (True, True, True, False, True), strict=True):
        for who in screeners:
            screening.screening_decide(
                actor=who, access=access[who], text_pk=text.pk, include=include,
                reason="" if include else project.exclusion_reasons[0], now=NOW,
            )  # fmt: skip
    assert _exact(project)[0] == 4

    for text in texts[:3]:
        coding.coding_whole_set(actor=lead, text=text, codes=[code])
        coding.coder_text_finish(actor=lead, text=text, now=NOW)
    coding.coder_text_finish(actor=lead, text=texts[0], now=NOW)  # twice: no change
    coding.coder_text_finish(actor=other, text=texts[0], now=NOW)
    assert _exact(project)[1] == {"lead": 3, "other": 1}

    coding.coder_text_reopen(actor=lead, access=access[lead], text=texts[1])
    coding.coder_text_reopen(actor=lead, access=access[lead], text=texts[1])  # twice
    assert _exact(project)[1] == {"lead": 2, "other": 1}

    # A new codebook version: finishing an older text again is a recode, not
    # one more finished text.
    code_save(
        actor=lead, project=project, reason="A second code",
        data={"name": "Craving", "definition": "An urge.", "color": "#d55e00"},
    )  # fmt: skip
    coding.coder_text_finish(actor=lead, text=texts[0], now=NOW)
    assert _exact(project)[1] == {"lead": 2, "other": 1}
    assert [(p.user.username, p.finished) for p in coder_progress(project)] == [
        ("lead", 2),
        ("other", 1),
    ]


def test_a_disagreement_settled_in_counts_once(db, site):
    lead, other = analyst("lead", site), analyst("other", site)
    reflection(participant=ParticipantFactory(site=site))
    project = project_of(lead, site, double_screening=True)
    member(project, other, screens=True)
    text = project.texts.get()
    reason = project.exclusion_reasons[0]
    screening.screening_decide(
        actor=lead, access=ProjectAccess.of(lead, project), text_pk=text.pk,
        include=True, reason="", now=NOW,
    )  # fmt: skip
    screening.screening_decide(
        actor=other, access=ProjectAccess.of(other, project), text_pk=text.pk,
        include=False, reason=reason, now=NOW,
    )  # fmt: skip
    assert Text.objects.get(pk=text.pk).screening == Text.Screening.DISAGREED
    assert _exact(project)[0] == 0
    screening.screening_settle(
        actor=lead, access=ProjectAccess.of(lead, project), text_pk=text.pk,
        include=True, reason="", now=NOW,
    )  # fmt: skip
    assert _exact(project)[0] == 1
    assert Project.objects.get(pk=project.pk).included_count == 1

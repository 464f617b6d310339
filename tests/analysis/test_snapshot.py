"""Issue 15: which reflections a project takes, frozen and masked."""

import datetime as dt

import pytest

from analysis.models import Text
from analysis.services import project_texts_add
from logs_app.models import InteractionLog
from tests.analysis.factories import CONSENTED, analyst, project_of, reflection
from tests.factories import CohortFactory, MentorFactory, ParticipantFactory

pytestmark = pytest.mark.usefixtures("frozen_now")


@pytest.fixture
def lead(db, site):
    return analyst("lead", site)


def test_only_consented_filed_answered_reflections_in_scope_are_taken(
    lead, site, other_site
):
    p = ParticipantFactory(site=site, preferred_name="Jay")
    taken = reflection(participant=p)
    reflection(participant=p, status=InteractionLog.Status.DRAFT)
    reflection(participant=p, status=InteractionLog.Status.RETURNED)
    reflection(participant=p, is_voided=True, void_reason="Twice.")
    reflection(participant=p, text="")  # no answer
    reflection(participant=ParticipantFactory(site=site, has_research_consent=False))
    reflection(participant=p, mentor=MentorFactory(sites=[site]))  # no consent
    reflection(participant=ParticipantFactory(site=other_site))  # another site
    project = project_of(lead, site)
    assert list(project.texts.values_list("log_id", flat=True)) == [taken.pk]
    # In scope: the taken one, the unanswered one and the two without consent.
    assert project.flow == {"logs": 4, "no_consent": 2, "answered": 1, "added": 1}


def test_cohort_and_date_filters(lead, site):
    spring = CohortFactory(site=site, name="Spring")
    autumn = CohortFactory(site=site, name="Autumn")
    in_spring = ParticipantFactory(site=site, cohort=spring)
    keep = reflection(participant=in_spring, contact_date=dt.date(2026, 11, 10))
    reflection(participant=in_spring, contact_date=dt.date(2026, 10, 1))
    reflection(participant=ParticipantFactory(site=site, cohort=autumn))
    project = project_of(lead, site, cohorts=[spring], date_from=dt.date(2026, 11, 1))
    assert [t.log_id for t in project.texts.all()] == [keep.pk]


def test_names_are_masked_and_pseudonyms_replace_ids(lead, site):
    mentor = MentorFactory(
        sites=[site],
        reflections_consent_at=CONSENTED,
        user__first_name="Robin",
        user__last_name="Okafor",
    )
    jay = ParticipantFactory(site=site, preferred_name="Jay")
    reflection(
        participant=jay,
        mentor=mentor,
        text="JAY told me Robin Okafor was late. I hope he will call. Will said yes.",
    )
    project = project_of(lead, site)
    text = project.texts.get()
    assert text.body == (
        "[participant] told me [mentor] [mentor] was late. "
        "I hope he will call. Will said yes."
    )
    assert text.masked == 3
    assert text.participant_key.startswith("P-") and str(jay.pk) not in text.body
    assert text.mentor_key.startswith("M-")


def test_later_edits_do_not_move_the_text_and_new_ones_come_as_a_batch(lead, site):
    p = ParticipantFactory(site=site)
    log = reflection(participant=p, text="First words.")
    project = project_of(lead, site)
    InteractionLog.objects.filter(pk=log.pk).update(reflection_feelings="Edited.")
    reflection(participant=p, text="A new one.")
    flow = project_texts_add(actor=lead, project=project)
    again = project_texts_add(actor=lead, project=project)
    assert (flow.added, again.added) == (1, 0)
    bodies = dict(Text.objects.filter(project=project).values_list("body", "batch"))
    assert bodies == {"First words.": 1, "A new one.": 2}

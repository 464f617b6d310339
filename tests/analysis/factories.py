"""Analysis projects for tests: analysts with the right, consented reflections,
and a project built through the real snapshot (analysis.services)."""

import datetime as dt

import factory

from analysis.models import AnalysisRight, Code, Member
from analysis.services import project_create
from core.roles import Role
from tests.factories import InteractionLogFactory, MentorFactory, UserFactory

CONSENTED = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def analyst(username: str, *sites) -> object:
    """A research staff member with the right to analyse at `sites`."""
    user = UserFactory(username=username, roles=[Role.RESEARCH], sites=list(sites))
    for site in sites:
        AnalysisRight.objects.create(user=user, site=site)
    return user


def reflection(
    *, participant, mentor=None, text="It reminded me of my own quit.", **kw
):
    """A filed log whose mentor consented to research use of reflections."""
    if mentor is None:
        mentor = MentorFactory(
            sites=[participant.site], reflections_consent_at=CONSENTED
        )
    return InteractionLogFactory(
        mentor=mentor, participant=participant, reflection_feelings=text, **kw
    )


def project_of(lead, *sites, **data):
    """A project created the way the page creates it (snapshot included)."""
    project, _flow = project_create(
        actor=lead,
        data={
            "name": data.pop("name", "Role boundaries"),
            "question": data.pop("question", "How do mentors see their role?"),
            "field": data.pop("field", "reflection_feelings"),
            "sites": list(sites),
            "cohorts": data.pop("cohorts", []),
            **data,
        },
    )
    return project


def member(project, user, **parts) -> Member:
    parts.setdefault("codes", True)
    return Member.objects.create(project=project, user=user, **parts)


class CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Code

    name = factory.Sequence(lambda n: f"Code {n}")
    definition = "What the code means."

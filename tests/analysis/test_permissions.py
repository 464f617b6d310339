"""Issue 15: who reaches the analysis pages. The cast: the project's lead, a
coding member, an analyst who is no member, a member who lost the right at
one of the project's two sites, research staff and an admin without the
right, and a mentor. The project-wide URL x role matrix (tests/
test_permissions.py) has no analyst; this one does."""

import pytest
from django.urls import reverse

from analysis.models import AnalysisRight, Project
from audit.models import AuditEvent
from core.roles import Role
from tests.analysis.factories import analyst, member, project_of, reflection
from tests.factories import ParticipantFactory, UserFactory

pytestmark = pytest.mark.usefixtures("frozen_now")

CAST = ("lead", "coder", "outsider", "lost_site", "staff", "admin", "mentor")


@pytest.fixture
def cast(db, site, other_site, mentor, admin_user):
    lead = analyst("lead", site, other_site)
    coder = analyst("coder", site, other_site)
    lost = analyst("lost_site", site, other_site)
    reflection(participant=ParticipantFactory(site=site))
    project = project_of(lead, site, other_site)
    member(project, coder)
    member(project, lost)
    AnalysisRight.objects.filter(user=lost, site=other_site).delete()
    people = {
        "lead": lead,
        "coder": coder,
        "outsider": analyst("outsider", site, other_site),
        "lost_site": lost,
        "staff": UserFactory(username="staff", roles=[Role.RESEARCH], sites=[site]),
        "admin": admin_user,
        "mentor": mentor.user,
    }
    return project, people


# name → (method, expected per CAST)
PAGES = {
    "analysis_projects": ("get", (200, 200, 200, 200, 403, 403, 403)),
    "analysis_project_create": ("get", (200, 200, 200, 200, 403, 403, 403)),
    "analysis_project": ("get", (200, 200, 404, 404, 404, 404, 404)),
    "analysis_agreement": ("get", (200, 200, 404, 404, 404, 404, 404)),
    "analysis_qdpx": ("get", (200, 200, 404, 404, 404, 404, 404)),
    "analysis_texts_add": ("post", (302, 403, 404, 404, 404, 404, 404)),
    "analysis_member_set": ("post", (400, 403, 404, 404, 404, 404, 404)),
}


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("who", CAST)
def test_who_reaches_what(cast, as_user, name, who):
    project, people = cast
    method, expected = PAGES[name]
    args = (
        [] if name in {"analysis_projects", "analysis_project_create"} else [project.pk]
    )
    response = getattr(as_user(people[who]), method)(reverse(name, args=args))
    assert response.status_code == expected[CAST.index(who)]
    if response.status_code in (403, 404):
        assert AuditEvent.objects.filter(
            action="access.denied", outcome=str(response.status_code)
        ).exists()


def test_the_list_shows_only_ones_own_projects(cast, as_user):
    project, people = cast
    for who, sees in (("lead", True), ("coder", True), ("outsider", False)):
        listed = (
            as_user(people[who]).get(reverse("analysis_projects")).context["projects"]
        )
        assert (project in listed) is sees, who


def test_a_member_without_the_right_at_every_site_cannot_be_added(cast, as_user, site):
    project, people = cast
    one_site = analyst("one_site", site)
    response = as_user(people["lead"]).post(
        reverse("analysis_member_set", args=[project.pk]),
        {"username": "one_site", "codes": "on"},
    )
    assert response.status_code == 400
    assert "may not analyse reflections at every site" in response.content.decode()
    assert not project.members.filter(user=one_site).exists()


def test_a_project_can_only_be_made_over_ones_own_sites(
    cast, as_user, site, other_site
):
    _project, people = cast
    only_here = analyst("only_here", site)
    response = as_user(only_here).post(
        reverse("analysis_project_create"),
        {
            "name": "Elsewhere",
            "question": "Q?",
            "field": "reflection_feelings",
            "sites": [other_site.pk],
            "blinded": "on",
        },
    )
    assert response.status_code == 400
    assert not Project.objects.filter(name="Elsewhere").exists()

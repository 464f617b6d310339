"""Who may analyse which reflections: the one home of the rules (issue 15).

- The right: `AnalysisRight` rows, one per site, granted in the admin. It is
  not implied by any role: program admins, supervisors and research staff
  analyse only where they hold it.
- Projects: a project is seen by its creator (its lead) and its members, and
  only while they hold the right at every one of its sites (a right withdrawn
  at one site closes the whole project to them: its texts mix sites).
- `get_project_for(user, pk, need=...)`: fetch and authorise for views; 404
  when the project is not visible (ids cannot be probed), 403 when it is but
  the user lacks the part asked for (coding, screening, settling, leading).
Denials are audited by audit.middleware.AuditDenialMiddleware, like every
other 403 and 404."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from analysis.models import Member, Project
from participants.models import Site


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def analysis_sites(user) -> QuerySet[Site]:
    """Sites where `user` may analyse reflections."""
    if not _signed_in(user):
        return Site.objects.none()
    return Site.objects.filter(analysis_rights__user=user)


def may_analyse(user) -> bool:
    return analysis_sites(user).exists()


def require_analyst(user) -> None:
    """403 unless `user` holds the right at one site at least."""
    if not may_analyse(user):
        raise PermissionDenied(
            _("Reflection analysis needs the right to analyse reflections.")
        )


def projects_visible_to(user) -> QuerySet[Project]:
    """Projects `user` leads or works on, at sites all within their right."""
    if not _signed_in(user):
        return Project.objects.none()
    outside = Site.objects.exclude(analysis_rights__user=user)
    return (
        Project.objects.filter(Q(created_by=user) | Q(members__user=user))
        .exclude(sites__in=outside)
        .distinct()
    )


@dataclass(frozen=True)
class ProjectAccess:
    """What `user` does in `project`."""

    project: Project
    leads: bool
    codes: bool
    screens: bool
    adjudicates: bool

    @classmethod
    def of(cls, user, project: Project) -> "ProjectAccess":
        member = Member.objects.filter(project=project, user=user).first()
        leads = project.created_by_id == user.pk
        return cls(
            project=project,
            leads=leads,
            codes=bool(member and member.codes),
            screens=leads or bool(member and member.screens),
            adjudicates=leads or bool(member and member.adjudicates),
        )


NEEDS = {
    "read": (lambda a: True, ""),
    "lead": (lambda a: a.leads, "Only the project's lead may do this."),
    "code": (lambda a: a.codes, "Only the project's coders code its texts."),
    "screen": (lambda a: a.screens, "Only the project's screeners screen texts."),
    "settle": (
        lambda a: a.adjudicates,
        "Only the project's adjudicators settle disagreements.",
    ),
}


def get_project_for(user, pk: int, *, need: str = "read") -> ProjectAccess:
    """The project and the user's part in it; 404 when not visible, 403 when
    visible but `need` is not theirs."""
    project = get_object_or_404(projects_visible_to(user), pk=pk)
    access = ProjectAccess.of(user, project)
    allowed, message = NEEDS[need]
    if not allowed(access):
        raise PermissionDenied(_(message))
    return access

"""Who runs a program (issue 17): an admin, for every site, and a site's lead,
for the sites they lead. One place for the check; a refusal is a 403 (the
audit middleware records it) and another person's import a 404."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from core.roles import Role, user_roles
from mentors.models import Assignment
from participants.models import Participant, Site
from programs.models import Invitation, ParticipantImport


def lead_sites(user) -> QuerySet[Site]:
    """The sites `user` runs: all for an admin, the ones they lead otherwise."""
    if Role.ADMIN in user_roles(user):
        return Site.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Site.objects.none()
    return Site.objects.filter(lead=user)


def may_see_program_pages(user) -> bool:
    """Admins and supervisors (a site's lead is one) see the pages; what they
    may change follows lead_sites."""
    return bool(user_roles(user) & {Role.ADMIN, Role.SUPERVISOR})


def require_program_pages(user) -> None:
    if not may_see_program_pages(user):
        raise PermissionDenied(_("Program pages are for site leads and admins."))


def require_lead_sites(user) -> list[Site]:
    """The sites `user` runs; 403 when there are none."""
    require_program_pages(user)
    sites = list(lead_sites(user))
    if not sites:
        raise PermissionDenied(_("Only a site's lead or an admin can import."))
    return sites


def get_import_for(user, pk: int) -> ParticipantImport:
    """The import if `user` made it (or is an admin); 404 otherwise."""
    require_program_pages(user)
    imports = ParticipantImport.objects.all()
    if Role.ADMIN not in user_roles(user):
        imports = imports.filter(created_by=user)
    return get_object_or_404(imports, pk=pk)


def participants_run_by(user) -> QuerySet[Participant]:
    """The participants at the sites `user` runs."""
    return Participant.objects.filter(site__in=lead_sites(user))


def get_participant_for(user, pk: int) -> Participant:
    """A participant at a site `user` runs; 404 otherwise."""
    require_program_pages(user)
    return get_object_or_404(
        participants_run_by(user).select_related("site", "cohort"), pk=pk
    )


def invitations_run_by(user) -> QuerySet[Invitation]:
    """Invitations to the sites `user` runs (all for an admin)."""
    if Role.ADMIN in user_roles(user):
        return Invitation.objects.all()
    return Invitation.objects.filter(sites__in=lead_sites(user)).distinct()


def get_invitation_for(user, pk: int) -> Invitation:
    """An invitation to a site `user` runs; 404 otherwise."""
    require_program_pages(user)
    return get_object_or_404(invitations_run_by(user), pk=pk)


def get_assignment_for(user, pk: int) -> Assignment:
    """An assignment of a participant at a site `user` runs; 404 otherwise."""
    require_program_pages(user)
    return get_object_or_404(
        Assignment.objects.filter(
            participant__in=participants_run_by(user)
        ).select_related("participant__site", "mentor__user"),
        pk=pk,
    )

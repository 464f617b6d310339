"""Changes to analysis projects: create, add new texts, members. Each audited
(action names "analysis.*"); the texts' content never goes into an audit row."""

from django.db import transaction
from django.utils import timezone

from analysis.models import CodebookVersion, Member, Project
from analysis.permissions import analysis_sites
from analysis.snapshot import Flow, texts_add
from audit.services import audit_record


class MemberRefused(Exception):
    """The user cannot join: they lack the right at one of the project's sites."""


def project_create(*, actor, data: dict) -> tuple[Project, Flow]:
    """A project from the create form's cleaned data, its lead as a coder,
    codebook version 1 (empty), and its first snapshot of texts."""
    with transaction.atomic():
        project = Project.objects.create(
            name=data["name"],
            question=data["question"],
            field=data["field"],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            blinded=data.get("blinded", True),
            double_screening=data.get("double_screening", False),
            created_by=actor,
        )
        project.sites.set(data["sites"])
        project.cohorts.set(data.get("cohorts") or [])
        Member.objects.create(
            project=project, user=actor, codes=True, screens=True, adjudicates=True
        )
        CodebookVersion.objects.create(
            project=project, number=1, reason="Project created", created_by=actor
        )
        flow = texts_add(project)
        audit_record(
            actor=actor,
            action="analysis.project.create",
            obj=project,
            details={
                "sites": sorted(s.pk for s in data["sites"]),
                "cohorts": sorted(c.pk for c in data.get("cohorts") or []),
                "field": project.field,
                "texts": flow.added,
            },
        )
    return project, flow


def project_texts_add(*, actor, project: Project) -> Flow:
    """Bring in what arrived since the last snapshot, as a new batch."""
    flow = texts_add(project)
    audit_record(
        actor=actor,
        action="analysis.project.texts_add",
        obj=project,
        details={"texts": flow.added, "logs": flow.logs},
    )
    return flow


def member_set(
    *, actor, project: Project, user, codes: bool, screens: bool, adjudicates: bool
) -> Member:
    """Add a member or change their parts. Refused unless the user holds the
    right to analyse at every one of the project's sites."""
    needed = set(project.sites.values_list("pk", flat=True))
    held = set(analysis_sites(user).values_list("pk", flat=True))
    if not needed <= held:
        raise MemberRefused
    member, created = Member.objects.update_or_create(
        project=project,
        user=user,
        defaults={"codes": codes, "screens": screens, "adjudicates": adjudicates},
    )
    audit_record(
        actor=actor,
        action="analysis.member.set",
        obj=project,
        details={
            "user": user.pk,
            "created": created,
            "codes": codes,
            "screens": screens,
            "adjudicates": adjudicates,
            "at": timezone.now().isoformat(),
        },
    )
    return member

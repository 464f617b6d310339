"""How far the coders are (issue 15), read from two counters so that a coding
page costs the same at 100 texts as at 100,000: `Project.included_count`
(texts screened in; kept by analysis.screening, the one place that sets a
text's screening) and `Member.finished_count` (texts a coder has finished;
kept by analysis.coding's finish and reopen). `progress_recount` works both
out from the rows, for data written outside those services (the bench, an
import) and as the check of the counters in the tests."""

from dataclasses import dataclass

from django.db.models import Count, F, Q

from analysis.models import CoderText, Member, Project, Text


@dataclass(frozen=True)
class CoderProgress:
    user: object
    finished: int


def coder_progress(project: Project) -> list[CoderProgress]:
    """Each coder of the project and how many texts they have finished."""
    members = (
        Member.objects.filter(project=project, codes=True)
        .select_related("user")
        .order_by("user__username")
    )
    return [CoderProgress(user=m.user, finished=m.finished_count) for m in members]


def included_add(project_id: int, delta: int) -> None:
    Project.objects.filter(pk=project_id).update(
        included_count=F("included_count") + delta
    )


def finished_add(project_id: int, user_id: int, delta: int) -> None:
    Member.objects.filter(project_id=project_id, user_id=user_id).update(
        finished_count=F("finished_count") + delta
    )


def progress_recount(project: Project) -> None:
    """Set both counters from the rows."""
    included = Text.objects.filter(
        project=project, screening=Text.Screening.INCLUDED
    ).count()
    Project.objects.filter(pk=project.pk).update(included_count=included)
    project.included_count = included
    done = dict(
        CoderText.objects.filter(text__project=project, finished_at__isnull=False)
        .values_list("coder")
        .annotate(n=Count("pk", filter=Q(text__screening=Text.Screening.INCLUDED)))
    )
    for member in Member.objects.filter(project=project):
        Member.objects.filter(pk=member.pk).update(
            finished_count=done.get(member.user_id, 0)
        )

"""Reads for the analysis pages; each starts from `projects_visible_to`."""

from dataclasses import dataclass

from django.db.models import Count, Q

from analysis.models import Member, Project, Text


@dataclass(frozen=True)
class FlowCounts:
    """The flow diagram: from the logs in scope to the texts coded."""

    logs: int
    no_consent: int
    answered: int
    texts: int
    excluded: int
    included: int
    pending: int
    disagreed: int
    coded: int  # included texts every coder of the project has finished
    withdrawn: int = 0  # texts removed since: the participant withdrew consent


def flow_counts(project: Project) -> FlowCounts:
    counts = Text.objects.filter(project=project).aggregate(
        texts=Count("pk"),
        excluded=Count("pk", filter=Q(screening=Text.Screening.EXCLUDED)),
        included=Count("pk", filter=Q(screening=Text.Screening.INCLUDED)),
        pending=Count("pk", filter=Q(screening=Text.Screening.PENDING)),
        disagreed=Count("pk", filter=Q(screening=Text.Screening.DISAGREED)),
    )
    coders = Member.objects.filter(project=project, codes=True).count()
    coded = 0
    if coders:
        coded = (
            Text.objects.filter(project=project, screening=Text.Screening.INCLUDED)
            .annotate(done=Count("coders", filter=Q(coders__finished_at__isnull=False)))
            .filter(done__gte=coders)
            .count()
        )
    flow = project.flow or {}
    return FlowCounts(
        logs=flow.get("logs", 0),
        no_consent=flow.get("no_consent", 0),
        answered=flow.get("answered", 0),
        withdrawn=flow.get("withdrawn", 0),
        coded=coded,
        **counts,
    )

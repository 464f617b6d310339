"""A participant's research consent withdrawn (issue 17): their texts leave
every analysis project, with what was coded on them (codings, memos,
consensus, quotes cascade), and each project counts how many left so its
flow diagram can say so. The snapshot's consent rule (snapshot.consent_q)
keeps them out of any later batch."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from analysis.models import Project, Text
from analysis.progress import progress_recount
from audit.services import audit_record
from exports.pseudonyms import pseudonym
from participants.models import Participant


def texts_withdraw(participant: Participant, *, actor) -> dict[int, int]:
    """Remove the participant's texts from every project; {project id: texts
    removed} for the projects that held some. Call it once their consent is
    committed as withdrawn: every project at their site is then locked in
    turn, so a batch being added (texts_add reads consent under the same
    lock) either finished before, and its texts go now, or starts after, and
    sees no consent. Safe to repeat. An audit row per project that lost
    texts says how many (never whose); its counters are recounted."""
    mine = Q(log__participant=participant) | Q(
        participant_key=pseudonym("P", participant.pk)
    )
    project_ids = sorted(
        set(
            Project.objects.filter(sites=participant.site_id).values_list(
                "pk", flat=True
            )
        )
        | set(Text.objects.filter(mine).values_list("project_id", flat=True))
    )
    removed: dict[int, int] = {}
    for project_id in project_ids:
        with transaction.atomic():
            project = Project.objects.select_for_update().get(pk=project_id)
            rows, by_model = Text.objects.filter(mine, project=project).delete()
            gone = by_model.get(Text._meta.label, 0)
            if not gone:
                continue
            flow = project.flow or {}
            project.flow = {**flow, "withdrawn": flow.get("withdrawn", 0) + gone}
            project.save(update_fields=["flow"])
            progress_recount(project)
            removed[project_id] = gone
            audit_record(
                actor=actor,
                action="analysis.texts.withdrawn",
                obj=project,
                details={"texts": gone, "rows_deleted": rows},
            )
    return removed

"""A participant's place in the program (issue 17): active, paused,
completed or withdrawn, and whether their consent covers research use.

Withdrawing research consent takes them out of every later export and API
pull (both read consent when they run: exports.filters) and, now, out of
every reflection analysis project (analysis.withdrawal). One audit row says
what changed, why (a reason from a list: never free text about a person),
and how many of their filed logs and analysis texts are left out from now
on. Paused, completed and withdrawn participants leave the mentors' "no
recent contact" lists (logs_app.selectors_dashboard). Completing or withdrawing
also ends their mentor's assignment today (the protocol's dose plans nothing
after it); a pause is recorded (participants.Pause) so the dose skips it."""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from analysis.withdrawal import texts_withdraw
from audit.services import audit_record
from core.timeutils import local_today
from logs_app.models import InteractionLog
from participants.models import Participant, Pause
from programs.assignments import assignments_end_on_leaving


class Reason(models.TextChoices):
    PARTICIPANT = "participant_request", _("The participant asked")
    CAPACITY = "capacity", _("Lost capacity to consent")
    INVESTIGATOR = "investigator", _("Investigator's decision")
    PROTOCOL = "protocol", _("Protocol completed")
    RECONSENT = "reconsent", _("Consent given again")
    CORRECTION = "correction", _("Correcting a mistake")
    OTHER = "other", _("Other (recorded in the study file)")


def _pause_record(participant: Participant, before: str, after: str) -> None:
    """Keep the participant's pauses (the protocol plans no contacts in one):
    a pause opens today at their site, and closes yesterday when they resume
    (a pause of less than a day is dropped)."""
    paused = Participant.Status.PAUSED
    if before == after or paused not in (before, after):
        return
    today = local_today(participant.site.tzinfo)
    if after == paused:
        Pause.objects.create(participant=participant, start=today)
        return
    for pause in Pause.objects.filter(participant=participant, end__isnull=True):
        if pause.start < today:
            pause.end = today - dt.timedelta(days=1)
            pause.save(update_fields=["end"])
        else:
            pause.delete()


def participant_lifecycle_set(
    *, actor, participant: Participant, status: str, research_consent: bool, reason: str
) -> dict:
    """Set the participant's status and research consent; what it did, as
    the audit row holds it ({"changed": False} when nothing changed).

    Their texts leave analysis after the consent change is committed (see
    analysis.withdrawal), and again on every later save while they have no
    consent: a run cut short is completed by saving the page again."""
    with transaction.atomic():
        locked = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("site")
            .get(pk=participant.pk)
        )
        before = {
            "status": locked.status,
            "research_consent": locked.has_research_consent,
        }
        after = {"status": status, "research_consent": research_consent}
        if before != after:
            locked.status = status
            locked.has_research_consent = research_consent
            locked.save(update_fields=["status", "has_research_consent"])
            _pause_record(locked, before["status"], status)
            leaving = (Participant.Status.COMPLETED, Participant.Status.WITHDRAWN)
            if status != before["status"] and status in leaving:
                assignments_end_on_leaving(
                    actor=actor, participant=locked, status=status
                )
    removed = {} if research_consent else texts_withdraw(locked, actor=actor)
    participant.refresh_from_db()
    if before == after and not removed:
        return {"changed": False}
    withdrawn = before["research_consent"] and not research_consent
    filed = InteractionLog.objects.filter(participant=locked).exclude(
        status=InteractionLog.Status.DRAFT
    )
    details = {
        "changed": before != after,
        "before": before,
        "after": after,
        "reason": reason,
        "logs_left_out": filed.count() if withdrawn else 0,
        "analysis_texts_removed": sum(removed.values()),
        "analysis_projects": len(removed),
    }
    audit_record(
        actor=actor, action="participant.lifecycle", obj=locked, details=details
    )
    return details

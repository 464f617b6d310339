"""Screening (issue 15): each text is included or excluded with a reason, by
one screener, or by two when the project asks for double screening; two who
disagree leave the text for an adjudicator to settle.

`Text.screening` is derived from the decisions, only by `_text_screening_sync`,
which every write here calls under a row lock on the text. A decision can be
changed (or a disagreement settled again) until someone starts coding the text:
after that, moving a coded text out of the project would silently drop work.
Audit rows carry the decision and the reason chosen from the project's list,
never the text, nor a screener's own words for "other"."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from analysis.models import CoderText, Coding, ScreeningDecision, Text
from analysis.permissions import ProjectAccess
from analysis.progress import included_add
from audit.services import audit_record

OTHER = "other"


def screeners_needed(project) -> int:
    return 2 if project.double_screening else 1


def screening_derive(
    decisions: list[ScreeningDecision], needed: int
) -> tuple[str, str]:
    """The text's final state and reason from its decisions: the latest
    settling decision wins; else every screener must agree, and until
    `needed` screeners have decided the text stays pending."""
    settling = sorted((d for d in decisions if d.settles), key=lambda d: d.decided_at)
    if settling:
        last = settling[-1]
        return _state(last.include), last.reason
    first = sorted((d for d in decisions if not d.settles), key=lambda d: d.decided_at)
    if len(first) < needed:
        return Text.Screening.PENDING, ""
    if len({d.include for d in first}) > 1:
        return Text.Screening.DISAGREED, ""
    # Agreement: an exclusion keeps the first screener's reason.
    return _state(first[0].include), first[0].reason


def _state(include: bool) -> str:
    return Text.Screening.INCLUDED if include else Text.Screening.EXCLUDED


def _text_screening_sync(text: Text) -> None:
    state, reason = screening_derive(
        list(text.decisions.all()), screeners_needed(text.project)
    )
    if (state, reason) != (text.screening, text.screening_reason):
        included = Text.Screening.INCLUDED
        if (state == included) != (text.screening == included):
            included_add(text.project_id, 1 if state == included else -1)
        text.screening, text.screening_reason = state, reason
        text.save(update_fields=["screening", "screening_reason"])


def _locked(access: ProjectAccess, text_pk: int) -> Text:
    return (
        Text.objects.select_for_update()
        .select_related("project")
        .get(project=access.project, pk=text_pk)
    )


def _refuse_if_coded(text: Text) -> None:
    started = (
        Coding.objects.filter(text=text).exists()
        or CoderText.objects.filter(text=text).exists()
    )
    if started:
        raise ValidationError(
            _("Coding of this text has started, so its screening can no longer change.")
        )


def _audit_reason(access: ProjectAccess, reason: str) -> str:
    return reason if reason in access.project.exclusion_reasons else OTHER


def screening_decide(
    *, actor, access: ProjectAccess, text_pk: int, include: bool, reason: str, now
) -> Text:
    """`actor`'s include or exclude of a text; the same decision twice is
    harmless, a different one replaces theirs until coding starts."""
    with transaction.atomic():
        text = _locked(access, text_pk)
        reason = "" if include else reason
        mine = text.decisions.filter(screener=actor, settles=False).first()
        if mine and (mine.include, mine.reason) == (include, reason):
            return text
        if mine:
            _refuse_if_coded(text)
        elif text.screening != Text.Screening.PENDING:
            raise ValidationError(_("This text has already been screened."))
        _record(
            actor=actor,
            access=access,
            text=text,
            include=include,
            reason=reason,
            now=now,
            settles=False,
            changed=mine is not None,
        )
    return text


def screening_settle(
    *, actor, access: ProjectAccess, text_pk: int, include: bool, reason: str, now
) -> Text:
    """An adjudicator's decision on a text its screeners disagree on."""
    with transaction.atomic():
        text = _locked(access, text_pk)
        first = [d for d in text.decisions.all() if not d.settles]
        if len({d.include for d in first}) < 2:
            raise ValidationError(_("The screeners of this text do not disagree."))
        reason = "" if include else reason
        if text.screening != Text.Screening.DISAGREED:
            _refuse_if_coded(text)
        _record(
            actor=actor,
            access=access,
            text=text,
            include=include,
            reason=reason,
            now=now,
            settles=True,
        )
    return text


def _record(
    *, actor, access, text: Text, include, reason, now, settles, changed=None
) -> None:
    """Write `actor`'s decision (a settling one with `settles`), set the
    text's screening from its decisions, and audit it; inside the caller's
    transaction, with the text's row locked."""
    ScreeningDecision.objects.update_or_create(
        text=text,
        screener=actor,
        settles=settles,
        defaults={"include": include, "reason": reason, "decided_at": now},
    )
    _text_screening_sync(text)
    details = {
        "project": access.project.pk,
        "include": include,
        "reason": _audit_reason(access, reason) if reason else "",
        **({} if changed is None else {"changed": changed}),
        "result": text.screening,
    }
    action = "analysis.screening." + ("settle" if settles else "decide")
    audit_record(actor=actor, action=action, obj=text, details=details)


# --- reads --------------------------------------------------------------------
@dataclass(frozen=True)
class ScreeningProgress:
    texts: int
    screened: int  # included or excluded
    disagreed: int
    mine: int  # texts this screener has decided


def screening_progress(access: ProjectAccess, user) -> ScreeningProgress:
    """Counts for the screening page, in one query."""
    mine = ScreeningDecision.objects.filter(
        text=OuterRef("pk"), screener=user, settles=False
    )
    counts = (
        Text.objects.filter(project=access.project)
        # Not named "mine": PostgreSQL reads a FILTER's column by the
        # aggregate's alias when the two share a name.
        .annotate(decided_by_me=Exists(mine))
        .aggregate(
            texts=Count("pk"),
            screened=Count(
                "pk",
                filter=Q(
                    screening__in=[Text.Screening.INCLUDED, Text.Screening.EXCLUDED]
                ),
            ),
            disagreed=Count("pk", filter=Q(screening=Text.Screening.DISAGREED)),
            mine=Count("pk", filter=Q(decided_by_me=True)),
        )
    )
    return ScreeningProgress(**counts)


def screening_next(access: ProjectAccess, user) -> Text | None:
    """The first pending text `user` has not decided yet."""
    decided = ScreeningDecision.objects.filter(text=OuterRef("pk"), screener=user)
    return (
        Text.objects.filter(project=access.project, screening=Text.Screening.PENDING)
        .exclude(Exists(decided))
        .order_by("pk")
        .first()
    )


def disagreement_next(access: ProjectAccess) -> Text | None:
    """The first text whose screeners disagree, with their decisions."""
    return (
        Text.objects.filter(project=access.project, screening=Text.Screening.DISAGREED)
        .prefetch_related("decisions__screener")
        .order_by("pk")
        .first()
    )

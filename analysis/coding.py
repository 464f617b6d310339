"""Coding (issue 15): a coder applies codes to included texts, to the whole
answer or to a passage, writes a memo, and finishes the text.

The blinding rule lives in `others_visible` and nowhere else: with blinding on,
a coder sees another coder's codings and memos on a text only once every coder
of the project has finished it. Every page or answer that shows codings or
memos reads them through `visible_codings` / `visible_memos`.

Changing a finished text: the coder reopens it first (one click), and may do
so until an adjudicator has settled any of its codes; settled texts are frozen
for coders. A reopened text is blind again for everybody until it is finished
once more; the audit row notes whether the coder had already seen the others'
codes when reopening, so agreement can be read with that in mind. Passages
are [start, end) offsets into `Text.body` in code points (Python indexes)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from analysis.codebook import current_version
from analysis.models import (
    Code,
    CoderText,
    Coding,
    Consensus,
    Member,
    Memo,
    Text,
)
from analysis.permissions import ProjectAccess
from analysis.progress import finished_add
from audit.services import audit_record


def codable_text_get(access: ProjectAccess, pk: int) -> Text:
    """An included text of the project; 404 for any other id (another
    project's text, an excluded or pending one, or none)."""
    return get_object_or_404(
        Text.objects.select_related("site", "cohort"),
        project=access.project,
        screening=Text.Screening.INCLUDED,
        pk=pk,
    )


def active_codes(project) -> QuerySet[Code]:
    return Code.objects.filter(project=project, active=True).select_related("category")


# --- the blinding rule ---------------------------------------------------------
def others_visible(access: ProjectAccess, text: Text) -> bool:
    """May a coder see the other coders' codings and memos on `text`? Always
    when blinding is off; otherwise only when every coder of the project has
    finished the text."""
    if not access.project.blinded:
        return True
    finished = CoderText.objects.filter(text=text, finished_at__isnull=False)
    unfinished = Member.objects.filter(project=access.project, codes=True).exclude(
        user__in=finished.values("coder")
    )
    return not unfinished.exists()


def visible_codings(access: ProjectAccess, text: Text, user) -> QuerySet[Coding]:
    """`user`'s own codings on `text`, and the others' when the rule allows."""
    codings = Coding.objects.filter(text=text).select_related("code", "coder")
    if not others_visible(access, text):
        codings = codings.filter(coder=user)
    return codings.order_by("start", "end", "code__position", "pk")


def visible_memos(access: ProjectAccess, text: Text, user) -> QuerySet[Memo]:
    """Memos on `text`: `user`'s own, and the others' when the rule allows."""
    memos = Memo.objects.filter(project=access.project, text=text).select_related(
        "author"
    )
    if not others_visible(access, text):
        memos = memos.filter(author=user)
    return memos


# --- writes --------------------------------------------------------------------
def is_settled(text: Text) -> bool:
    return Consensus.objects.filter(text=text, superseded_at__isnull=True).exists()


def _open_for(actor, text: Text) -> CoderText:
    """The coder's progress row, locked; refuses when the text is finished
    (reopen it first) or settled."""
    if is_settled(text):
        raise ValidationError(
            _("This text has been settled by an adjudicator; its codes are final.")
        )
    row, _created = CoderText.objects.select_for_update().get_or_create(
        text=text,
        coder=actor,
        defaults={"codebook_version": current_version(text.project)},
    )
    if row.finished_at is not None:
        raise ValidationError(_("You finished this text. Reopen it to change it."))
    return row


def _audit(actor, action: str, text: Text, **details) -> None:
    audit_record(
        actor=actor,
        action=f"analysis.coding.{action}",
        obj=text,
        details={"project": text.project_id, "text": text.pk, **details},
    )


def coding_whole_set(*, actor, text: Text, codes: list[Code]) -> None:
    """Make `codes` the coder's whole-answer codes among the active ones (the
    checkboxes): add the missing, remove the unticked. Posting the same set
    again changes nothing."""
    with transaction.atomic():
        _open_for(actor, text)
        wanted = {c.pk for c in codes}
        mine = Coding.objects.filter(
            text=text, coder=actor, start__isnull=True, code__active=True
        )
        have = set(mine.values_list("code_id", flat=True))
        removed = have - wanted
        mine.filter(code_id__in=removed).delete()
        version = current_version(text.project)
        Coding.objects.bulk_create(
            [
                Coding(text=text, coder=actor, code=c, codebook_version=version)
                for c in codes
                if c.pk not in have
            ],
            ignore_conflicts=True,  # a double POST racing itself
        )
        added = wanted - have
        if added or removed:
            _audit(actor, "whole", text, added=sorted(added), removed=sorted(removed))


def coding_passage_add(
    *, actor, text: Text, code: Code, start: int, end: int
) -> Coding:
    """Apply `code` to the passage [start, end) of the text; the same passage
    and code twice gives one coding."""
    if code.project_id != text.project_id or not code.active:
        raise ValidationError(_("This code is not an active code of this project."))
    if not 0 <= start < end <= len(text.body):
        raise ValidationError(_("The passage is not inside this text."))
    with transaction.atomic():
        _open_for(actor, text)
        try:
            with transaction.atomic():
                coding, created = Coding.objects.get_or_create(
                    text=text,
                    coder=actor,
                    code=code,
                    start=start,
                    end=end,
                    defaults={"codebook_version": current_version(text.project)},
                )
        except IntegrityError:  # the same POST twice at once
            coding, created = (
                Coding.objects.get(
                    text=text, coder=actor, code=code, start=start, end=end
                ),
                False,
            )
        if created:
            _audit(actor, "passage", text, code=code.pk, start=start, end=end)
    return coding


def coding_delete(*, actor, text: Text, coding_pk: int) -> None:
    """Remove one of the coder's own codings (another's id gives 404)."""
    with transaction.atomic():
        coding = get_object_or_404(
            Coding.objects.filter(text=text, coder=actor), pk=coding_pk
        )
        _open_for(actor, text)
        coding.delete()
        _audit(
            actor,
            "delete",
            text,
            code=coding.code_id,
            start=coding.start,
            end=coding.end,
        )


def memo_save(*, actor, text: Text, body: str) -> Memo | None:
    """The coder's memo on the text (one per coder and text): written,
    changed, or removed when emptied. Allowed on finished texts too: a memo
    is a note, not a code."""
    body = body.strip()
    with transaction.atomic():
        memo = (
            Memo.objects.select_for_update()
            .filter(text=text, author=actor, code__isnull=True)
            .first()
        )
        if memo and not body:
            memo.delete()
            _audit(actor, "memo", text, removed=True)
            return None
        if not body or (memo and memo.body == body):
            return memo
        if memo:
            memo.body = body
            memo.save(update_fields=["body", "updated_at"])
        else:
            memo = Memo.objects.create(
                project_id=text.project_id, author=actor, text=text, body=body
            )
        _audit(actor, "memo", text, removed=False)
    return memo


def coder_text_finish(*, actor, text: Text, now) -> CoderText:
    """Mark the text finished under the current codebook version. Finishing
    twice is harmless; finishing a text done under an older version records
    the current one (the coder has reviewed it against the new codebook)."""
    version = current_version(text.project)
    with transaction.atomic():
        if is_settled(text):
            raise ValidationError(
                _("This text has been settled by an adjudicator; its codes are final.")
            )
        row, _created = CoderText.objects.select_for_update().get_or_create(
            text=text, coder=actor, defaults={"codebook_version": version}
        )
        if row.finished_at is not None and row.codebook_version == version:
            return row
        recoded = row.finished_at is not None
        row.finished_at, row.codebook_version = now, version
        row.save(update_fields=["finished_at", "codebook_version"])
        if not recoded:
            finished_add(text.project_id, actor.pk, 1)
        _audit(actor, "finish", text, codebook_version=version, recoded=recoded)
    return row


def coder_text_reopen(*, actor, access: ProjectAccess, text: Text) -> None:
    """Open a finished text to change its codes, until it is settled."""
    with transaction.atomic():
        if is_settled(text):
            raise ValidationError(
                _("This text has been settled by an adjudicator; its codes are final.")
            )
        row = (
            CoderText.objects.select_for_update()
            .filter(text=text, coder=actor, finished_at__isnull=False)
            .first()
        )
        if row is None:
            return
        had_seen = access.project.blinded and others_visible(access, text)
        row.finished_at = None
        row.save(update_fields=["finished_at"])
        finished_add(text.project_id, actor.pk, -1)
        _audit(actor, "reopen", text, had_seen_others=had_seen)


# --- which text next -----------------------------------------------------------
def _finished_by(user) -> Exists:
    return Exists(
        CoderText.objects.filter(
            text=OuterRef("pk"), coder=user, finished_at__isnull=False
        )
    )


def text_next(access: ProjectAccess, user, *, outdated: bool = False) -> Text | None:
    """The first included text `user` has not finished; with `outdated`, the
    first they finished under an older codebook version."""
    texts = Text.objects.filter(
        project=access.project, screening=Text.Screening.INCLUDED
    )
    if outdated:
        older = CoderText.objects.filter(
            text=OuterRef("pk"),
            coder=user,
            finished_at__isnull=False,
            codebook_version__lt=current_version(access.project),
        )
        texts = texts.filter(Exists(older))
    else:
        texts = texts.exclude(_finished_by(user))
    return texts.order_by("pk").first()


def outdated_count(access: ProjectAccess, user, version: int) -> int:
    """Included texts `user` finished under a codebook version before `version`."""
    return CoderText.objects.filter(
        Q(text__project=access.project, text__screening=Text.Screening.INCLUDED),
        coder=user,
        finished_at__isnull=False,
        codebook_version__lt=version,
    ).count()

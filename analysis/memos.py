"""Memos on codes (issue 15): an analyst's note on what a code is turning out
to mean, shown under the code in the codebook to everyone in the project.
(Memos on a text belong to its coder and are blinded like codes:
analysis.coding.memo_save.)"""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from analysis.models import Code, Memo, Project
from audit.services import audit_record

MAX_LENGTH = 4000


def code_memo_add(*, actor, project: Project, code: Code, body: str) -> Memo:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the memo first.")})
    if len(body) > MAX_LENGTH:
        raise ValidationError(
            {"body": _("A memo holds at most %(n)d characters.") % {"n": MAX_LENGTH}}
        )
    if code.project_id != project.pk:
        raise ValidationError(_("This code is not part of this project."))
    memo = Memo.objects.create(project=project, author=actor, code=code, body=body)
    audit_record(
        actor=actor,
        action="analysis.memo.code",
        obj=project,
        details={"code": code.pk, "memo": memo.pk},
    )
    return memo


def with_memos(codes):
    """The codes with their memos (and authors) in one more query."""
    return codes.prefetch_related(
        Prefetch(
            "memos",
            queryset=Memo.objects.select_related("author").order_by("created_at"),
        )
    )

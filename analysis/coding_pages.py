"""Reads for the coding page (issue 15): the text cut into segments for
highlighting and for turning a browser selection back into offsets, the codes
grouped by category, and the coder's progress. The number of queries does not
grow with the number of texts or codings."""

from dataclasses import dataclass, field
from itertools import groupby

from analysis.codebook import current_version
from analysis.coding import (
    active_codes,
    others_visible,
    outdated_count,
    visible_codings,
    visible_memos,
)
from analysis.models import CoderText, Coding, Text
from analysis.permissions import ProjectAccess
from analysis.progress import coder_progress


@dataclass
class Segment:
    """A run of the text covered by the same passages. `start` and `length`
    are in code points of `Text.body`; `shown` is what the page displays
    (a CR before a LF is not shown: browsers drop it, so offsets would drift;
    the JS reads `start` and `length` from the page instead of counting)."""

    start: int
    length: int
    shown: str
    codings: list[Coding] = field(default_factory=list)

    @property
    def mine(self) -> bool:
        return any(c.is_mine for c in self.codings)

    @property
    def others(self) -> bool:
        return any(not c.is_mine for c in self.codings)

    @property
    def label(self) -> str:
        return ", ".join(sorted({c.code.name for c in self.codings}))


def segments(body: str, passages: list[Coding]) -> list[Segment]:
    """`body` cut at every passage boundary and around every CR."""
    cuts = {0, len(body)}
    for p in passages:
        cuts.update((p.start, p.end))
    for i, ch in enumerate(body):
        if ch == "\r":
            cuts.update((i, i + 1))
    points = sorted(c for c in cuts if 0 <= c <= len(body))
    out = []
    for a, b in zip(points, points[1:], strict=False):
        piece = body[a:b]
        if piece == "\r":
            piece = "" if body[b : b + 1] == "\n" else "\n"
        covering = [p for p in passages if p.start <= a and b <= p.end]
        out.append(Segment(start=a, length=b - a, shown=piece, codings=covering))
    return out


@dataclass(frozen=True)
class CodeGroup:
    category: str
    codes: list


def code_groups(codes) -> list[CodeGroup]:
    """Active codes by category (categories in their order, then uncategorised),
    each numbered for its keyboard shortcut (1-9)."""

    def key(code):
        cat = code.category
        return (cat is None, cat.position if cat else 0, cat.pk if cat else 0)

    ordered = sorted(codes, key=lambda c: (*key(c), c.position, c.pk))
    for n, code in enumerate(ordered, start=1):
        code.shortcut = str(n) if n <= 9 else ""
    return [
        CodeGroup(category=cat.name if cat else "", codes=list(group))
        for cat, group in groupby(ordered, key=lambda c: c.category)
    ]


def coding_page(access: ProjectAccess, text: Text, user) -> dict:
    """Everything the coding page shows about `text` for `user`."""
    project = access.project
    version = current_version(project)
    codes = list(active_codes(project))
    visible = others_visible(access, text)
    codings = list(visible_codings(access, text, user))
    for c in codings:
        c.is_mine = c.coder_id == user.pk
        c.excerpt = text.body[c.start : c.end] if c.start is not None else ""
    mine = [c for c in codings if c.is_mine]
    row = CoderText.objects.filter(text=text, coder=user).first()
    whole_mine = {c.code_id for c in mine if c.start is None}
    memos = list(visible_memos(access, text, user))
    progress = coder_progress(project)
    included = project.included_count
    return {
        "text": text,
        "version": version,
        "groups": code_groups(codes),
        "codes": codes,
        "whole_mine": whole_mine,
        "segments": segments(text.body, [c for c in codings if c.start is not None]),
        "my_codings": mine,
        "others_codings": [c for c in codings if not c.is_mine],
        "others_visible": visible,
        "my_memo": next((m for m in memos if m.author_id == user.pk), None),
        "others_memos": [m for m in memos if m.author_id != user.pk],
        "coder_text": row,
        "finished": bool(row and row.finished_at),
        "outdated": bool(row and row.finished_at and row.codebook_version < version),
        "outdated_count": outdated_count(access, user, version),
        "progress": progress,
        "my_progress": next((p for p in progress if p.user.pk == user.pk), None),
        "included": included,
    }

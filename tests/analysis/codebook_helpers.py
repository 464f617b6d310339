"""Hand-built coding for the codebook, consensus, theme and export tests:
texts made directly (no logs needed), codings, and finished marks."""

import datetime as dt
import itertools

from analysis.models import CoderText, Coding, Text
from tests.analysis.factories import CodeFactory

_keys = itertools.count(1)


def text_of(project, site, *, body="I felt I was a friend, not a mentor.", **kw):
    """An included text of `project` at `site`."""
    n = next(_keys)
    kw.setdefault("screening", Text.Screening.INCLUDED)
    kw.setdefault("contact_date", dt.date(2026, 11, 2))
    return Text.objects.create(
        project=project,
        field="reflection_feelings",
        body=body,
        mentor_key=f"M-KEY{n:08d}",
        participant_key=f"P-KEY{n:08d}",
        site=site,
        **kw,
    )


def code_of(project, name, **kw):
    return CodeFactory(project=project, name=name, **kw)


def apply(text, coder, *codes, span=None, version=1):
    """`coder` applies each of `codes` to `text` (whole, or `span`)."""
    start, end = span or (None, None)
    for code in codes:
        Coding.objects.create(
            text=text,
            coder=coder,
            code=code,
            start=start,
            end=end,
            codebook_version=version,
        )


def finish(text, *coders, at=dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC)):
    for coder in coders:
        CoderText.objects.update_or_create(
            text=text, coder=coder, defaults={"finished_at": at}
        )

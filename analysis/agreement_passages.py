"""Inter-coder agreement on passages: how far the characters and the segments that
coders marked with one code coincide. A pure module, like analysis.agreement.

The data
--------
``passages``: text id -> coder -> that coder's ranges for ONE code, as character
offsets ``(start, end)``, end exclusive. ``finished``: text id -> the coders who
finished that text (one mapping serves every code). Only texts finished by two or
more coders count, and only those coders' ranges: a coder who finished a text and
marked nothing with the code marked nothing (not missing data), so they need no
entry in ``passages``; ranges from coders who did not finish are ignored. Texts
nobody marked with the code can be left out of ``passages``: they add nothing.

A coder's ranges in one text are merged first: ranges that overlap or touch
become one segment, so a segment is a maximal run of marked characters.

The figures, for one pair of coders A and B, summed over the texts both finished
----------------------------------------------------------------------------------
``overlap``
    characters both marked / characters either marked (|A and B| / |A or B|).
``segments`` (in the style of MAXQDA's segment agreement)
    A segment of A is matched when B's segments together cover at least
    ``threshold`` (default 0.9) of its characters. The share of A's segments
    matched and the share of B's segments matched are averaged; when one coder
    has no segments, only the other's share counts (so A marking nothing where B
    marked something gives 0).
With more than two coders each figure is the mean over the coder pairs for which
it is defined. Undefined: ``no_units`` nothing finished, ``nothing_pairable`` no
text finished by two coders, ``no_passages`` nobody marked anything with the code
in the texts that count. Across codes, ``overall_passage_agreement`` pools the
counts of all codes per coder pair (every character-code pair weighs the same)
and also gives the mean of the per-code figures.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass, field
from fractions import Fraction
from itertools import combinations
from statistics import fmean

from analysis.agreement import Reason

Range = tuple[int, int]
DEFAULT_THRESHOLD = 0.9


def merge_ranges(ranges: Iterable[Range]) -> list[Range]:
    """Sorted, disjoint, non-touching segments; empty ranges drop out."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if start < 0 or end < start:
            raise ValueError(f"not a character range: ({start}, {end})")
        if start == end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def _covered(segments: Sequence[Range], others: Sequence[Range]) -> list[int]:
    """For each segment, how many of its characters ``others`` cover (both merged)."""
    covered = []
    j = 0
    for start, end in segments:
        # Skip the others that end before this segment; segments only move right.
        while j < len(others) and others[j][1] <= start:
            j += 1
        total, i = 0, j
        while i < len(others) and others[i][0] < end:
            total += min(end, others[i][1]) - max(start, others[i][0])
            i += 1
        covered.append(total)
    return covered


@dataclass(frozen=True)
class PairCounts:
    """One coder pair's counts, summed over texts (and codes, when pooled)."""

    characters_both: int = 0
    characters_either: int = 0
    segments_a: int = 0
    matched_a: int = 0
    segments_b: int = 0
    matched_b: int = 0

    def __add__(self, other: PairCounts) -> PairCounts:
        return PairCounts(*_added(astuple(self), astuple(other)))

    @property
    def overlap(self) -> float | None:
        if self.characters_either == 0:
            return None
        return self.characters_both / self.characters_either

    @property
    def segments(self) -> float | None:
        shares = [
            matched / segments
            for matched, segments in (
                (self.matched_a, self.segments_a),
                (self.matched_b, self.segments_b),
            )
            if segments
        ]
        return fmean(shares) if shares else None


def _added(x: Sequence[int], y: Sequence[int]) -> list[int]:
    return [i + j for i, j in zip(x, y, strict=True)]


def _pair_counts(a: Sequence[Range], b: Sequence[Range], cut: Fraction) -> list[int]:
    """The PairCounts fields for one text, as a list (cheap to sum)."""
    covered_a, covered_b = _covered(a, b), _covered(b, a)
    both = sum(covered_a)
    marked_a = sum(end - start for start, end in a)
    marked_b = sum(end - start for start, end in b)

    def matched(segments: Sequence[Range], covered: list[int]) -> int:
        # Exact: covered / length >= threshold, without floating point.
        return sum(
            c * cut.denominator >= (end - start) * cut.numerator
            for (start, end), c in zip(segments, covered, strict=True)
        )

    return [
        both,
        marked_a + marked_b - both,
        len(a),
        matched(a, covered_a),
        len(b),
        matched(b, covered_b),
    ]


@dataclass(frozen=True)
class PassageAgreement:
    texts: int  # texts finished by two or more coders
    overlap: float | None
    overlap_reason: Reason | None
    segments: float | None
    segments_reason: Reason | None
    pairs: dict[tuple[Hashable, Hashable], PairCounts] = field(default_factory=dict)


def _threshold(threshold: float) -> Fraction:
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    return Fraction(str(threshold))


def _order(coders: Iterable[Hashable]) -> list[Hashable]:
    # A stable pair order for coder ids of one type; mixed types fall back to repr.
    coders = set(coders)
    try:
        return sorted(coders)  # type: ignore[type-var]
    except TypeError:
        return sorted(coders, key=repr)


def _pair_totals(
    passages: Mapping[Hashable, Mapping[Hashable, Sequence[Range]]],
    finished: Mapping[Hashable, Collection[Hashable]],
    cut: Fraction,
) -> dict[tuple[Hashable, Hashable], PairCounts]:
    totals: dict[tuple[Hashable, Hashable], list[int]] = {}
    for text, by_coder in passages.items():
        coders = _order(finished.get(text, ()))
        if len(coders) < 2:
            continue
        merged = {coder: merge_ranges(by_coder.get(coder, ())) for coder in coders}
        for a, b in combinations(coders, 2):
            if merged[a] or merged[b]:
                counts = _pair_counts(merged[a], merged[b], cut)
                totals[(a, b)] = _added(totals.get((a, b), [0] * 6), counts)
    return {pair: PairCounts(*counts) for pair, counts in totals.items()}


def _pairable_texts(finished: Mapping[Hashable, Collection[Hashable]]) -> int:
    return sum(len(set(coders)) >= 2 for coders in finished.values())


def _summarise(
    texts: int, finished_any: bool, totals: dict[tuple[Hashable, Hashable], PairCounts]
) -> PassageAgreement:
    if texts == 0:
        reason = Reason.NOTHING_PAIRABLE if finished_any else Reason.NO_UNITS
    else:
        reason = Reason.NO_PASSAGES
    overlaps = [c.overlap for c in totals.values() if c.overlap is not None]
    segments = [c.segments for c in totals.values() if c.segments is not None]
    return PassageAgreement(
        texts=texts,
        overlap=fmean(overlaps) if overlaps else None,
        overlap_reason=None if overlaps else reason,
        segments=fmean(segments) if segments else None,
        segments_reason=None if segments else reason,
        pairs=totals,
    )


def passage_agreement(
    passages: Mapping[Hashable, Mapping[Hashable, Sequence[Range]]],
    *,
    finished: Mapping[Hashable, Collection[Hashable]],
    threshold: float = DEFAULT_THRESHOLD,
) -> PassageAgreement:
    """Character overlap and segment matching for one code (module docstring)."""
    totals = _pair_totals(passages, finished, _threshold(threshold))
    return _summarise(_pairable_texts(finished), bool(finished), totals)


@dataclass(frozen=True)
class OverallPassageAgreement:
    per_code: dict[Hashable, PassageAgreement]
    pooled: PassageAgreement
    mean_overlap: float | None
    mean_segments: float | None


def overall_passage_agreement(
    codes: Mapping[Hashable, Mapping[Hashable, Mapping[Hashable, Sequence[Range]]]],
    *,
    finished: Mapping[Hashable, Collection[Hashable]],
    threshold: float = DEFAULT_THRESHOLD,
) -> OverallPassageAgreement:
    """Per code (``codes``: code -> that code's ``passages``), pooled over codes
    per coder pair, and the mean of the per-code figures where defined."""
    cut, texts = _threshold(threshold), _pairable_texts(finished)
    per_code = {
        code: _summarise(texts, bool(finished), _pair_totals(passages, finished, cut))
        for code, passages in codes.items()
    }
    pooled_totals: dict[tuple[Hashable, Hashable], PairCounts] = {}
    for result in per_code.values():
        for pair, counts in result.pairs.items():
            pooled_totals[pair] = pooled_totals.get(pair, PairCounts()) + counts
    pooled = _summarise(texts, bool(finished), pooled_totals)
    overlaps = [r.overlap for r in per_code.values() if r.overlap is not None]
    segments = [r.segments for r in per_code.values() if r.segments is not None]
    return OverallPassageAgreement(
        per_code=per_code,
        pooled=pooled,
        mean_overlap=fmean(overlaps) if overlaps else None,
        mean_segments=fmean(segments) if segments else None,
    )

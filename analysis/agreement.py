"""Inter-coder agreement at the text level: percent agreement, Cohen's kappa and
Krippendorff's alpha per code and overall, with bootstrap confidence intervals.

A pure module: numpy and the standard library, no models and no database, so the
maths is tested on its own and the database only has to count. The figures are
computed from the count tables of analysis.agreement_tables (``PairTable`` for
two coders, ``UnitCounts`` for any number), which also says what a unit, a
pairable unit and ``unpaired`` are.

The figures
-----------
percent agreement (``agreement``, a share in [0, 1])
    Over every pair of coders who both finished a unit, the share of pairs that
    agree (both applied or both did not). With two coders: (both + neither) / N.
Cohen's kappa
    (p_o - p_e) / (1 - p_e) from the 2x2 table, with p_e from each coder's own
    share of units coded present; computed in integers, so 0/0 is detected exactly.
Krippendorff's alpha, nominal, values present/absent
    1 - (n - 1) * o_pa / (n_p * n_a), where n counts the pairable values, n_p and
    n_a the present and absent ones, and o_pa = sum over units of
    k (m - k) / (m - 1) is the off-diagonal of the coincidence matrix.

Overall across codes
--------------------
``overall_agreement`` gives each code's figures, the POOLED figures and the MEAN
of the per-code figures. Pooled means every (unit, code) pair is one unit with a
binary value: the codes' tables are summed and the figures computed once, so a
common code weighs more than a rare one. The mean averages the codes for which a
figure is defined (``codes`` says how many).

Undefined values
----------------
Nothing here returns NaN or divides by zero: an undefined value is ``None`` with
a ``Reason`` (a stable code; the pages translate it):
``no_units`` nobody finished any unit; ``nothing_pairable`` no unit was finished
by two coders; ``no_variation`` every pairable value is the same (the code was
never applied, or always), so chance agreement is total and kappa and alpha are
0/0 (percent agreement is then 1); ``not_two_coders`` kappa from a many-coder
table; ``too_few_resamples`` fewer than half of the bootstrap replicates had a
defined value; ``not_requested`` ``replicates=0``; ``no_passages`` (passage
level, analysis.agreement_passages) nobody marked a passage with the code.

Confidence intervals
--------------------
Percentile bootstrap over units, seeded. Drawing N units with replacement puts
each draw in table cell j with probability n_j / N independently, so the cell
counts of a resample are Multinomial(N, n / N); every figure depends on the units
only through those counts, so one multinomial draw per replicate IS a unit
resample, and 1,000 replicates of a table are one (1000 x cells) array. Only the
pairable units are resampled (unpaired ones change nothing). Replicates with an
undefined value are left out. The pooled interval resamples (unit, code) pairs
as if independent, which ignores that the codes of one text go together, so it
is narrower than an interval that resamples whole texts. The interval of the
mean combines the codes' own resamples (independent streams per code) the same
way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from analysis.agreement_tables import PairTable, Table, UnitCounts

DEFAULT_REPLICATES = 1000
DEFAULT_SEED = 15


class Reason(StrEnum):
    NO_UNITS = "no_units"
    NOTHING_PAIRABLE = "nothing_pairable"
    NO_VARIATION = "no_variation"
    NOT_TWO_CODERS = "not_two_coders"
    TOO_FEW_RESAMPLES = "too_few_resamples"
    NOT_REQUESTED = "not_requested"
    NO_PASSAGES = "no_passages"


@dataclass(frozen=True)
class Estimate:
    """A figure with its interval. ``reason`` says why ``value`` (and so the
    bounds) is None, or, with a value, why only the bounds are None."""

    value: float | None
    low: float | None = None
    high: float | None = None
    reason: Reason | None = None


@dataclass(frozen=True)
class CodeAgreement:
    units: int
    pairable_units: int
    agreement: Estimate
    kappa: Estimate
    alpha: Estimate


@dataclass(frozen=True)
class MeanAgreement:
    """Means of the per-code figures over the codes where each is defined."""

    agreement: Estimate
    kappa: Estimate
    alpha: Estimate
    codes: dict[str, int]


@dataclass(frozen=True)
class OverallAgreement:
    per_code: dict[int, CodeAgreement]
    pooled: CodeAgreement
    mean: MeanAgreement


FIGURES = ("agreement", "kappa", "alpha")


class _Design:
    """A table as cell counts plus, per cell, what its units contribute."""

    def __init__(self, table: Table) -> None:
        self.is_pair = isinstance(table, PairTable)
        self.unpaired = table.unpaired
        if isinstance(table, PairTable):
            self.counts = np.array(
                [table.both, table.only_a, table.only_b, table.neither], np.int64
            )
            m, k = np.full(4, 2), np.array([2, 1, 1, 0])
            self.a = np.array([1, 1, 0, 0], np.int64)
            self.b = np.array([1, 0, 1, 0], np.int64)
        else:
            cells = np.array(table.cells, np.int64).reshape(-1, 3)
            m, k, self.counts = cells[:, 0], cells[:, 1], cells[:, 2]
        self.m = m.astype(np.int64)
        self.k = k.astype(np.int64)
        self.off_diagonal = k * (m - k) / np.maximum(m - 1, 1)
        self.pairs = m * (m - 1) // 2
        self.agreeing = (k * (k - 1) + (m - k) * (m - k - 1)) // 2

    def figures(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """Each figure for each row of ``counts`` (replicates x cells); NaN marks
        undefined values here only, never in what the module returns."""
        pairs = counts @ self.pairs
        values = counts @ self.m
        present = counts @ self.k
        chance = present * (values - present)
        with np.errstate(divide="ignore", invalid="ignore"):
            agreement = np.where(pairs > 0, (counts @ self.agreeing) / pairs, np.nan)
            disagreeing = (values - 1) * (counts @ self.off_diagonal)
            alpha = np.where(chance > 0, 1 - disagreeing / chance, np.nan)
            kappa = self._kappa(counts) if self.is_pair else np.full_like(alpha, np.nan)
        return {"agreement": agreement, "kappa": kappa, "alpha": alpha}

    def _kappa(self, counts: np.ndarray) -> np.ndarray:
        # (p_o - p_e) / (1 - p_e) with both sides multiplied by N^2: integers.
        n = counts.sum(axis=-1)
        a, b = counts @ self.a, counts @ self.b
        expected = a * b + (n - a) * (n - b)
        observed = (counts[..., 0] + counts[..., 3]) * n
        denominator = n * n - expected
        return np.where(denominator > 0, (observed - expected) / denominator, np.nan)

    def point(self) -> tuple[dict[str, float | None], dict[str, Reason | None]]:
        values = {name: float(v[()]) for name, v in self.figures(self.counts).items()}
        reasons: dict[str, Reason | None] = dict.fromkeys(FIGURES)
        pairable = int(self.counts.sum())
        if pairable == 0:
            common = Reason.NOTHING_PAIRABLE if self.unpaired else Reason.NO_UNITS
            reasons = dict.fromkeys(FIGURES, common)
        else:
            for name in ("kappa", "alpha"):
                if np.isnan(values[name]):
                    reasons[name] = Reason.NO_VARIATION
            if not self.is_pair:
                reasons["kappa"] = Reason.NOT_TWO_CODERS
        out = {name: None if reasons[name] else values[name] for name in FIGURES}
        return out, reasons

    def replicates(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        n = int(self.counts.sum())
        if n == 0 or size == 0:
            return {name: np.full(size, np.nan) for name in FIGURES}
        draws = rng.multinomial(n, self.counts / n, size=size)
        return self.figures(draws)


def _interval(
    replicates: np.ndarray, confidence: float
) -> tuple[float | None, float | None, Reason | None]:
    if replicates.size == 0:
        return None, None, Reason.NOT_REQUESTED
    defined = replicates[~np.isnan(replicates)]
    if 2 * defined.size < replicates.size:
        return None, None, Reason.TOO_FEW_RESAMPLES
    tail = (1 - confidence) / 2
    low, high = np.quantile(defined, [tail, 1 - tail])
    return float(low), float(high), None


def _estimate(
    value: float | None, reason: Reason | None, reps: np.ndarray, confidence: float
) -> Estimate:
    if value is None:
        return Estimate(None, reason=reason)
    low, high, ci_reason = _interval(reps, confidence)
    return Estimate(value, low, high, ci_reason)


def _code_agreement(
    table: Table, rng: np.random.Generator, replicates: int, confidence: float
) -> tuple[CodeAgreement, dict[str, np.ndarray]]:
    design = _Design(table)
    values, reasons = design.point()
    reps = design.replicates(rng, replicates)
    estimates = {
        name: _estimate(values[name], reasons[name], reps[name], confidence)
        for name in FIGURES
    }
    pairable = table.pairable_units
    result = CodeAgreement(
        units=pairable + table.unpaired, pairable_units=pairable, **estimates
    )
    # A code's replicates only count towards the mean when its value does.
    kept = {n: reps[n] if values[n] is not None else None for n in FIGURES}
    return result, kept


def _check_options(replicates: int, confidence: float) -> None:
    if replicates < 0:
        raise ValueError("replicates must be >= 0")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")


def code_agreement(
    table: Table,
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> CodeAgreement:
    """Percent agreement, kappa and alpha for one code, with bootstrap intervals
    (the same seed and table give the same interval)."""
    _check_options(replicates, confidence)
    rng = np.random.default_rng(seed)
    return _code_agreement(table, rng, replicates, confidence)[0]


def _code_stream(seed: int, code: int) -> np.random.Generator:
    # One stream per code: its interval stays put when other codes come or go.
    if int(code) != code or code < 0:
        raise ValueError(f"code keys must be whole numbers >= 0, not {code!r}")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(code,)))


def _pooled(tables: Sequence[Table]) -> Table:
    if tables and all(isinstance(t, PairTable) for t in tables):
        return sum(tables[1:], tables[0])
    counts = [t if isinstance(t, UnitCounts) else t.to_unit_counts() for t in tables]
    return sum(counts, UnitCounts(()))


def _mean(
    points: list[float], reps: list[np.ndarray], replicates: int, confidence: float
) -> Estimate:
    if not points:
        return Estimate(None, reason=Reason.NO_VARIATION)
    value = float(np.mean(points))
    if replicates == 0:
        return Estimate(value, reason=Reason.NOT_REQUESTED)
    stacked = np.vstack(reps)
    defined = ~np.isnan(stacked)
    totals = np.where(defined, stacked, 0.0).sum(axis=0)
    counts = defined.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_replicate = np.where(counts > 0, totals / counts, np.nan)
    low, high, reason = _interval(per_replicate, confidence)
    return Estimate(value, low, high, reason)


def overall_agreement(
    tables: Mapping[int, Table],
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> OverallAgreement:
    """Per code (keyed by code id), pooled over all (unit, code) pairs, and the
    mean of the per-code figures; see the module docstring for what each means.

    Each code's interval uses its own random stream derived from (seed, code id).
    Pooling PairTables keeps kappa; pooling a mix falls back to UnitCounts.
    """
    _check_options(replicates, confidence)
    per_code: dict[int, CodeAgreement] = {}
    points: dict[str, list[float]] = {name: [] for name in FIGURES}
    reps: dict[str, list[np.ndarray]] = {name: [] for name in FIGURES}
    for code, table in tables.items():
        rng = _code_stream(seed, code)
        per_code[code], kept = _code_agreement(table, rng, replicates, confidence)
        for name in FIGURES:
            if kept[name] is not None:
                points[name].append(getattr(per_code[code], name).value)
                reps[name].append(kept[name])
    pooled_rng = np.random.default_rng(np.random.SeedSequence(seed))
    pooled, _ = _code_agreement(
        _pooled(list(tables.values())), pooled_rng, replicates, confidence
    )
    means = {
        name: _mean(points[name], reps[name], replicates, confidence)
        for name in FIGURES
    }
    for name in FIGURES:
        if not points[name] and getattr(pooled, name).reason:
            means[name] = Estimate(None, reason=getattr(pooled, name).reason)
    counts = {name: len(points[name]) for name in FIGURES}
    return OverallAgreement(per_code, pooled, MeanAgreement(codes=counts, **means))

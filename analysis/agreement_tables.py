"""The count tables that inter-coder agreement at the text level is computed from
(the figures themselves are in analysis.agreement).

A pure module: the standard library only, no models and no database.

The data
--------
A *unit* is one text (one reflection of the project's snapshot). For one code, each
coder who has FINISHED a unit either applied the code to it (present) or did not
(absent). Coders who have not finished a unit are missing data for it. A unit
finished by fewer than two coders is not pairable: it is counted in ``unpaired``
and used by nothing else, exactly as Krippendorff's alpha drops it.

Every figure depends on the units only through a few counts, so the database
aggregates 100,000 texts x 50 codes into a handful of rows per code:

``PairTable(both, only_a, only_b, neither, unpaired=0)``
    Two coders A and B. The first four count the units both finished, by who
    applied the code; ``unpaired`` counts units only one of them finished.
    Gives percent agreement, Cohen's kappa and Krippendorff's alpha.
    ``PairTable.from_applied(shared=, both=, only_a=, only_b=)`` fills
    ``neither`` from the number of units both finished, so the SQL only has to
    count rows where somebody applied the code.
``UnitCounts(cells, unpaired=0)``
    Any number of coders. ``cells`` holds ``(m, k, units)``: ``units`` units were
    finished by ``m >= 2`` coders, ``k`` of whom applied the code. Gives percent
    agreement and alpha; kappa needs to know which coder said what, so it is
    undefined here (``Reason.NOT_TWO_CODERS``). Build one with
    ``UnitCounts.from_rows(rows)`` (rows of ``(m, k, units)``, repeats summed,
    ``m == 1`` counted as unpaired) or ``UnitCounts.from_applied(finished=,
    applied=)`` (``finished``: m -> units finished by m coders, for all codes at
    once; ``applied``: this code's rows with ``k >= 1``; ``k == 0`` is filled in).
``tables_from_units(units, codes=, pair=)`` builds either table from plain
per-unit data (for tests and small projects).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import astuple, dataclass


def _check_count(name: str, value: int) -> None:
    if int(value) != value or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")


@dataclass(frozen=True)
class PairTable:
    """Two coders' 2x2 table for one code (see the module docstring)."""

    both: int
    only_a: int
    only_b: int
    neither: int
    unpaired: int = 0

    def __post_init__(self) -> None:
        for name in ("both", "only_a", "only_b", "neither", "unpaired"):
            _check_count(name, getattr(self, name))

    @classmethod
    def from_applied(
        cls, *, shared: int, both: int, only_a: int, only_b: int, unpaired: int = 0
    ) -> PairTable:
        """``shared`` units finished by both coders; the rest are counts of those."""
        neither = shared - both - only_a - only_b
        if neither < 0:
            raise ValueError("both + only_a + only_b exceeds the shared units")
        return cls(both, only_a, only_b, neither, unpaired)

    @property
    def pairable_units(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    def __add__(self, other: PairTable) -> PairTable:
        return PairTable(
            *(x + y for x, y in zip(astuple(self), astuple(other), strict=True))
        )

    def to_unit_counts(self) -> UnitCounts:
        mixed = self.only_a + self.only_b
        rows = [(2, 2, self.both), (2, 1, mixed), (2, 0, self.neither)]
        return UnitCounts.from_rows(rows, unpaired=self.unpaired)


@dataclass(frozen=True)
class UnitCounts:
    """Units by (coders who finished, coders who applied) for one code.

    ``cells`` is sorted, has one entry per (m, k) with m >= 2, and no zero
    counts; build it with ``from_rows`` or ``from_applied``.
    """

    cells: tuple[tuple[int, int, int], ...]
    unpaired: int = 0

    def __post_init__(self) -> None:
        _check_count("unpaired", self.unpaired)
        for m, k, units in self.cells:
            _check_count("units", units)
            if not (m >= 2 and 0 <= k <= m):
                raise ValueError(f"cell (m={m}, k={k}) needs m >= 2 and 0 <= k <= m")

    @classmethod
    def from_rows(
        cls, rows: Iterable[tuple[int, int, int]], *, unpaired: int = 0
    ) -> UnitCounts:
        """Rows of (m, k, units); repeats are summed, m == 1 counts as unpaired."""
        summed: dict[tuple[int, int], int] = defaultdict(int)
        for m, k, units in rows:
            _check_count("units", units)
            if m == 1 and k in (0, 1):
                unpaired += units
            else:
                summed[(m, k)] += units
        cells = tuple((m, k, n) for (m, k), n in sorted(summed.items()) if n)
        return cls(cells, unpaired)

    @classmethod
    def from_applied(
        cls, *, finished: Mapping[int, int], applied: Iterable[tuple[int, int, int]]
    ) -> UnitCounts:
        """``finished``: m -> units finished by exactly m coders (any code);
        ``applied``: (m, k, units) rows with k >= 1 for this code."""
        rows = list(applied)
        left = dict(finished)
        for m, k, units in rows:
            if k < 1:
                raise ValueError("applied rows need k >= 1; k == 0 is derived")
            left[m] = left.get(m, 0) - units
        if any(units < 0 for units in left.values()):
            raise ValueError("more units applied than finished")
        return cls.from_rows(rows + [(m, 0, units) for m, units in left.items()])

    @property
    def pairable_units(self) -> int:
        return sum(units for _, _, units in self.cells)

    def __add__(self, other: UnitCounts) -> UnitCounts:
        return UnitCounts.from_rows(
            self.cells + other.cells, unpaired=self.unpaired + other.unpaired
        )


Table = PairTable | UnitCounts


def tables_from_units(
    units: Iterable[Mapping[Hashable, Collection[Hashable]]],
    *,
    codes: Iterable[Hashable],
    pair: tuple[Hashable, Hashable] | None = None,
) -> dict[Hashable, Table]:
    """Count tables from plain data: each unit maps every coder who FINISHED it
    to the codes they applied (an empty collection when none). ``codes`` lists
    every code, used or not. With ``pair=(a, b)`` the result is PairTables for
    those two coders (others ignored), otherwise UnitCounts."""
    codes = list(codes)
    if pair is not None:
        return _pair_tables(units, codes, pair)
    rows: dict[Hashable, list[tuple[int, int, int]]] = {code: [] for code in codes}
    unpaired = 0
    for unit in units:
        m = len(unit)
        if m == 1:
            unpaired += 1
        elif m >= 2:
            applied = [set(applied) for applied in unit.values()]
            for code in codes:
                rows[code].append((m, sum(code in a for a in applied), 1))
    return {code: UnitCounts.from_rows(rows[code], unpaired=unpaired) for code in codes}


def _pair_tables(
    units: Iterable[Mapping[Hashable, Collection[Hashable]]],
    codes: list[Hashable],
    pair: tuple[Hashable, Hashable],
) -> dict[Hashable, Table]:
    a, b = pair
    cells = {code: [0, 0, 0, 0] for code in codes}  # both, only a, only b, neither
    unpaired = 0
    for unit in units:
        if a in unit and b in unit:
            by_a, by_b = set(unit[a]), set(unit[b])
            for code in codes:
                cells[code][2 * (code not in by_a) + (code not in by_b)] += 1
        elif a in unit or b in unit:
            unpaired += 1
    return {code: PairTable(*cells[code], unpaired=unpaired) for code in codes}

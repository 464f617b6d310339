"""Agreement maths proved against the reference implementations (statsmodels'
cohens_kappa, the krippendorff package) and by hand, edge cases included."""

import math
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from analysis.agreement import Reason, code_agreement, overall_agreement
from analysis.agreement_passages import (
    merge_ranges,
    overall_passage_agreement,
    passage_agreement,
)
from analysis.agreement_tables import PairTable, UnitCounts, tables_from_units

CODE = 7
NaN = np.nan


def units_from_matrix(data, code=CODE):
    """Reliability data (coders x units; 1 applied, 0 not, NaN not finished) as
    per-unit maps of the finishing coders to the codes they applied."""
    return [
        {
            coder: ({code} if value == 1 else set())
            for coder, value in enumerate(column)
            if not math.isnan(value)
        }
        for column in np.asarray(data, float).T
    ]


def reference_alpha(data):
    return krippendorff.alpha(
        reliability_data=np.asarray(data, float), level_of_measurement="nominal"
    )


def reference_kappa(table):
    # statsmodels also computes a standard error, which warns on tiny tables.
    with np.errstate(all="ignore"):
        return cohens_kappa(
            np.array([[table.both, table.only_a], [table.only_b, table.neither]])
        ).kappa


def pairwise_agreement_by_enumeration(data):
    """Every pair of coders who both finished a unit, agreeing or not."""
    data = np.asarray(data, float)
    agree = pairs = 0
    for column in data.T:
        values = column[~np.isnan(column)]
        for x, y in combinations(values, 2):
            pairs += 1
            agree += x == y
    return agree / pairs


def random_matrix(rng, coders, units, missing):
    data = rng.integers(0, 2, (coders, units)).astype(float)
    # Make agreement better than chance, as real coders' is.
    data[1:] = np.where(rng.random((coders - 1, units)) < 0.6, data[0], data[1:])
    data[rng.random((coders, units)) < missing] = NaN
    return data


def assert_no_nan(result):
    for name in ("agreement", "kappa", "alpha"):
        estimate = getattr(result, name)
        for value in (estimate.value, estimate.low, estimate.high):
            assert value is None or math.isfinite(value)
        if estimate.value is None:
            assert estimate.reason is not None
            assert estimate.low is None and estimate.high is None


# --- Cohen's kappa ----------------------------------------------------------


def test_kappa_by_hand():
    table = PairTable(both=20, only_a=5, only_b=10, neither=15)
    # N = 50; p_o = (20 + 15) / 50 = 0.7. A applied 25/50 = 0.5, B 30/50 = 0.6,
    # so p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5 and kappa = (0.7 - 0.5) / 0.5 = 0.4.
    result = code_agreement(table, replicates=0)
    assert result.agreement.value == pytest.approx(0.7, abs=1e-12)
    assert result.kappa.value == pytest.approx(0.4, abs=1e-12)
    assert result.kappa.value == pytest.approx(reference_kappa(table), abs=1e-12)


@pytest.mark.parametrize(
    "table",
    [
        PairTable(45, 15, 25, 15),
        PairTable(1, 0, 0, 99),
        PairTable(0, 10, 10, 0),  # always disagree: kappa -1
        PairTable(0, 50, 0, 50),  # B never applies it: p_e = 0.5
        PairTable(30, 0, 0, 1),
    ],
)
def test_kappa_and_alpha_match_the_references_on_known_tables(table):
    a = [1] * table.both + [1] * table.only_a + [0] * table.only_b + [0] * table.neither
    b = [1] * table.both + [0] * table.only_a + [1] * table.only_b + [0] * table.neither
    result = code_agreement(table, replicates=0)
    assert result.kappa.value == pytest.approx(reference_kappa(table), abs=1e-9)
    assert result.alpha.value == pytest.approx(reference_alpha([a, b]), abs=1e-9)


def test_two_coders_random_tables_match_the_references():
    rng = np.random.default_rng(20240615)
    for _ in range(200):
        data = random_matrix(rng, 2, int(rng.integers(2, 80)), missing=0.15)
        table = tables_from_units(units_from_matrix(data), codes=[CODE], pair=(0, 1))
        table = table[CODE]
        result = code_agreement(table, replicates=0)
        shared = ~np.isnan(data).any(axis=0)
        if len(set(data[:, shared].flat)) < 2:
            assert result.alpha.reason == result.kappa.reason == Reason.NO_VARIATION
            continue
        assert result.kappa.value == pytest.approx(reference_kappa(table), abs=1e-9)
        assert result.alpha.value == pytest.approx(reference_alpha(data), abs=1e-9)
        assert result.pairable_units == shared.sum()
        assert result.units == (~np.isnan(data).all(axis=0)).sum()


# --- Krippendorff's alpha, any number of coders ------------------------------

# Krippendorff's textbook example (4 observers, 12 units, values 1..5, missing
# values; "Computing Krippendorff's alpha-reliability", 2011, nominal alpha 0.743).
# Unit 12 has one value only: not pairable, dropped by both implementations.
TEXTBOOK = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, NaN, NaN, NaN],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NaN, 3],
        [NaN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NaN],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NaN],
    ]
)


def test_textbook_data_is_transcribed_right():
    assert round(reference_alpha(TEXTBOOK), 3) == 0.743


@pytest.mark.parametrize("value", [1, 2, 3, 4, 5])
def test_alpha_matches_reference_on_the_textbook_example_as_binary_codes(value):
    # Each value becomes a code: present where an observer chose it, absent
    # where they chose another, missing where they gave none.
    binary = np.where(np.isnan(TEXTBOOK), NaN, np.equal(TEXTBOOK, value).astype(float))
    table = tables_from_units(units_from_matrix(binary), codes=[CODE])[CODE]
    result = code_agreement(table, replicates=0)
    assert table.unpaired == 1  # unit 12
    assert result.pairable_units == 11
    assert result.alpha.value == pytest.approx(reference_alpha(binary), abs=1e-9)
    assert result.kappa.reason == Reason.NOT_TWO_CODERS
    expected = pairwise_agreement_by_enumeration(binary)
    assert result.agreement.value == pytest.approx(expected, abs=1e-12)


def test_many_coders_random_data_match_the_references():
    rng = np.random.default_rng(15)
    checked = 0
    for _ in range(200):
        coders = int(rng.integers(2, 7))
        data = random_matrix(rng, coders, int(rng.integers(3, 60)), missing=0.3)
        table = tables_from_units(units_from_matrix(data), codes=[CODE])[CODE]
        result = code_agreement(table, replicates=0)
        pairable = (~np.isnan(data)).sum(axis=0) >= 2
        values = data[:, pairable]
        if len(set(values[~np.isnan(values)])) < 2:
            assert result.alpha.value is None
            continue
        assert result.alpha.value == pytest.approx(reference_alpha(data), abs=1e-9)
        expected = pairwise_agreement_by_enumeration(data)
        assert result.agreement.value == pytest.approx(expected, abs=1e-12)
        checked += 1
    assert checked > 150


def test_pair_table_and_unit_counts_give_the_same_alpha():
    table = PairTable(12, 3, 4, 31, unpaired=6)
    counts = table.to_unit_counts()
    assert counts.unpaired == 6 and counts.pairable_units == 50
    as_pair = code_agreement(table, replicates=0)
    as_counts = code_agreement(counts, replicates=0)
    assert as_pair.alpha.value == pytest.approx(as_counts.alpha.value, abs=1e-12)
    assert as_pair.agreement.value == pytest.approx(as_counts.agreement.value)
    assert as_counts.kappa.reason == Reason.NOT_TWO_CODERS


def test_tables_from_the_sql_shaped_counts_equal_the_plain_ones():
    # What the database returns: units by number of finishing coders for all
    # codes, and only the rows where somebody applied this code.
    direct = UnitCounts.from_rows(
        [(2, 0, 5), (2, 1, 3), (2, 2, 4), (3, 0, 1), (3, 2, 2), (1, 0, 9), (1, 1, 2)]
    )
    derived = UnitCounts.from_applied(
        finished={1: 11, 2: 12, 3: 3},
        applied=[(1, 1, 2), (2, 1, 3), (2, 2, 4), (3, 2, 2)],
    )
    assert derived == direct
    assert direct.unpaired == 11
    pair = PairTable.from_applied(shared=20, both=4, only_a=2, only_b=3, unpaired=5)
    assert pair == PairTable(4, 2, 3, 11, 5)


@pytest.mark.parametrize(
    "build",
    [
        lambda: PairTable(-1, 0, 0, 0),
        lambda: PairTable(1.5, 0, 0, 0),
        lambda: PairTable.from_applied(shared=3, both=2, only_a=1, only_b=1),
        lambda: UnitCounts(((2, 3, 1),)),
        lambda: UnitCounts.from_rows([(0, 0, 1)]),
        lambda: UnitCounts.from_applied(finished={2: 1}, applied=[(2, 1, 2)]),
        lambda: UnitCounts.from_applied(finished={2: 1}, applied=[(2, 0, 1)]),
    ],
)
def test_inconsistent_counts_are_refused(build):
    with pytest.raises(ValueError):
        build()


# --- Edge cases: None with a reason, never NaN, never a division by zero ------


def test_a_code_nobody_used_agrees_fully_but_has_no_kappa_or_alpha():
    # Both coders said "absent" on every unit: they agree on all of them, but
    # with one value only, chance agreement is total too and kappa is 0/0.
    units = [{"a": {1}, "b": set()}, {"a": set(), "b": set()}]
    tables = tables_from_units(units, codes=[1, 2], pair=("a", "b"))
    result = code_agreement(tables[2])
    assert_no_nan(result)
    assert result.agreement.value == 1.0
    assert (result.agreement.low, result.agreement.high) == (1.0, 1.0)
    assert result.kappa.value is None and result.kappa.reason == Reason.NO_VARIATION
    assert result.alpha.value is None and result.alpha.reason == Reason.NO_VARIATION
    with pytest.raises(ValueError, match="more than one value"):
        reference_alpha([[0, 0], [0, 0]])  # the reference refuses outright


def test_only_one_coder_finished_anything():
    units = [{"a": {1}}, {"a": set()}, {"a": {1}}]
    for table in (
        tables_from_units(units, codes=[1], pair=("a", "b"))[1],
        tables_from_units(units, codes=[1])[1],
    ):
        result = code_agreement(table)
        assert_no_nan(result)
        assert (result.units, result.pairable_units) == (3, 0)
        for name in ("agreement", "kappa", "alpha"):
            assert getattr(result, name).reason == Reason.NOTHING_PAIRABLE


def test_zero_units():
    for table in (PairTable(0, 0, 0, 0), UnitCounts(())):
        result = code_agreement(table)
        assert_no_nan(result)
        assert result.units == 0
        for name in ("agreement", "kappa", "alpha"):
            assert getattr(result, name).reason == Reason.NO_UNITS


def test_perfect_agreement_with_variation_is_one():
    data = [[1, 0, 1, 0, 0], [1, 0, 1, 0, 0]]
    table = tables_from_units(units_from_matrix(data), codes=[CODE], pair=(0, 1))
    result = code_agreement(table[CODE])
    assert result.kappa.value == result.alpha.value == result.agreement.value == 1.0
    assert reference_alpha(data) == 1.0
    assert (result.kappa.low, result.kappa.high) == (1.0, 1.0)


def test_units_coded_by_one_coder_except_some_count_only_the_shared_ones():
    # A finished 100 texts, B only the first 5; only those 5 are pairable.
    data = np.full((2, 100), NaN)
    data[0] = np.arange(100) % 2
    data[1, :5] = [0, 1, 0, 0, 0]  # A said 0, 1, 0, 1, 0: they differ on the fourth
    table = tables_from_units(units_from_matrix(data), codes=[CODE], pair=(0, 1))
    result = code_agreement(table[CODE], replicates=0)
    assert (result.units, result.pairable_units) == (100, 5)
    assert result.agreement.value == pytest.approx(4 / 5)
    assert result.kappa.value == pytest.approx(reference_kappa(table[CODE]))
    assert result.alpha.value == pytest.approx(reference_alpha(data), abs=1e-9)


# --- Bootstrap intervals -------------------------------------------------------


def test_interval_contains_the_estimate_and_is_reproducible():
    table = PairTable(40, 8, 12, 60)
    first = code_agreement(table, seed=3)
    again = code_agreement(table, seed=3)
    other = code_agreement(table, seed=4)
    assert first == again
    assert first.kappa != other.kappa
    for name in ("agreement", "kappa", "alpha"):
        estimate = getattr(first, name)
        assert estimate.low < estimate.value < estimate.high


def test_interval_narrows_with_more_units():
    small = code_agreement(PairTable(40, 8, 12, 60))
    # The same proportions with ten times the units.
    large = code_agreement(PairTable(400, 80, 120, 600))
    assert large.kappa.value == pytest.approx(small.kappa.value)
    for name in ("agreement", "kappa", "alpha"):
        s, g = getattr(small, name), getattr(large, name)
        assert (g.high - g.low) < (s.high - s.low) / 2  # about 1/sqrt(10)


def test_interval_covers_a_many_coder_estimate():
    table = UnitCounts.from_rows(
        [(3, 0, 30), (3, 1, 6), (3, 2, 5), (3, 3, 20), (2, 1, 4)]
    )
    result = code_agreement(table)
    for name in ("agreement", "alpha"):
        estimate = getattr(result, name)
        assert estimate.low <= estimate.value <= estimate.high
    assert result.kappa.reason == Reason.NOT_TWO_CODERS


def test_no_interval_when_not_requested():
    result = code_agreement(PairTable(4, 1, 1, 4), replicates=0)
    assert result.kappa.value is not None
    assert result.kappa.low is None and result.kappa.reason == Reason.NOT_REQUESTED


def test_interval_withheld_when_most_resamples_are_undefined():
    # Two units, one coded present by both, one absent by both: a resample of
    # two units puts both in one cell half of the time, and kappa is then 0/0.
    # The resampling is a multinomial over the table's cells (module docstring),
    # so the same draws tell how many replicates were undefined.
    table = PairTable(1, 0, 0, 1)
    for seed in range(20):
        draws = np.random.default_rng(seed).multinomial(2, [0.5, 0, 0, 0.5], 1000)
        undefined = (draws.max(axis=1) == 2).sum()
        kappa = code_agreement(table, seed=seed).kappa
        assert kappa.value == 1.0
        if undefined > 500:
            assert kappa.low is None and kappa.reason == Reason.TOO_FEW_RESAMPLES
        else:
            assert (kappa.low, kappa.high, kappa.reason) == (1.0, 1.0, None)


# --- Overall across codes -------------------------------------------------------


def test_pooled_figures_treat_every_unit_code_pair_as_a_unit():
    rng = np.random.default_rng(7)
    # Codes 1-3 used at random; code 4 never. One pattern of finished texts.
    finished = rng.random((2, 40)) > 0.1
    data = {}
    for code in (1, 2, 3, 4):
        values = random_matrix(rng, 2, 40, missing=0) * (code != 4)
        data[code] = np.where(finished, values, NaN)
    units = [
        {
            coder: {code for code in data if data[code][coder, u] == 1}
            for coder in (0, 1)
            if finished[coder, u]
        }
        for u in range(40)
    ]
    tables = tables_from_units(units, codes=[1, 2, 3, 4], pair=(0, 1))
    result = overall_agreement(tables, replicates=0)
    stacked = np.hstack([data[code] for code in (1, 2, 3, 4)])
    pooled = tables[1] + tables[2] + tables[3] + tables[4]
    assert result.pooled.kappa.value == pytest.approx(reference_kappa(pooled), abs=1e-9)
    assert result.pooled.alpha.value == pytest.approx(
        reference_alpha(stacked), abs=1e-9
    )
    # Code 4 was never used: in the agreement mean, not in the kappa/alpha means.
    assert result.mean.codes == {"agreement": 4, "kappa": 3, "alpha": 3}
    kappas = [result.per_code[code].kappa.value for code in (1, 2, 3)]
    assert result.mean.kappa.value == pytest.approx(np.mean(kappas))
    agreements = [result.per_code[code].agreement.value for code in (1, 2, 3, 4)]
    assert result.mean.agreement.value == pytest.approx(np.mean(agreements))


def test_overall_intervals_are_stable_per_code():
    tables = {1: PairTable(30, 5, 8, 57), 2: PairTable(10, 2, 3, 85)}
    both = overall_agreement(tables, seed=9)
    alone = overall_agreement({2: tables[2]}, seed=9)
    assert both.per_code[2] == alone.per_code[2]
    for name in ("agreement", "kappa", "alpha"):
        mean = getattr(both.mean, name)
        assert mean.low <= mean.value <= mean.high
        pooled = getattr(both.pooled, name)
        assert pooled.low <= pooled.value <= pooled.high
    assert overall_agreement(tables, seed=9) == both


def test_overall_with_no_codes_or_no_units():
    empty = overall_agreement({})
    assert empty.per_code == {}
    assert empty.pooled.kappa.reason == Reason.NO_UNITS
    assert empty.mean.alpha.value is None and empty.mean.alpha.reason is not None
    unused = overall_agreement({1: PairTable(0, 0, 0, 5), 2: PairTable(0, 0, 0, 5)})
    assert unused.mean.kappa.reason == Reason.NO_VARIATION
    assert unused.pooled.agreement.value == 1.0


def test_mixing_two_coder_and_many_coder_tables_pools_without_kappa():
    tables = {1: PairTable(5, 1, 1, 5), 2: UnitCounts.from_rows([(3, 1, 2), (3, 3, 4)])}
    result = overall_agreement(tables, replicates=0)
    assert result.pooled.kappa.reason == Reason.NOT_TWO_CODERS
    assert result.pooled.pairable_units == 18
    assert result.mean.codes["kappa"] == 1


# --- Passages ------------------------------------------------------------------

TWO = {1: {"a", "b"}}


def test_ranges_merge_when_they_overlap_touch_or_nest():
    assert merge_ranges([(5, 10), (0, 5)]) == [(0, 10)]  # adjacent
    assert merge_ranges([(0, 20), (3, 8)]) == [(0, 20)]  # nested
    assert merge_ranges([(0, 4), (2, 6), (9, 9), (8, 12)]) == [(0, 6), (8, 12)]
    with pytest.raises(ValueError):
        merge_ranges([(5, 3)])


def test_adjacent_ranges_count_as_one_passage():
    # a marks 0-10 as two touching ranges, b marks 0-10 at once: same
    # characters, and one segment each, so everything agrees.
    result = passage_agreement(
        {1: {"a": [(0, 5), (5, 10)], "b": [(0, 10)]}}, finished=TWO
    )
    assert result.overlap == 1.0 and result.segments == 1.0
    assert result.pairs[("a", "b")].segments_a == 1


def test_nested_ranges_overlap_by_the_inner_share():
    # b's 20-30 lies inside a's 0-100: 10 characters both / 100 either = 0.1.
    # b's one segment is fully covered (matched); a's is covered 10 % (not):
    # segment agreement (0/1 + 1/1) / 2 = 0.5.
    result = passage_agreement({1: {"a": [(0, 100)], "b": [(20, 30)]}}, finished=TWO)
    assert result.overlap == pytest.approx(0.1)
    assert result.segments == pytest.approx(0.5)


def test_a_coder_with_no_passages_disagrees_completely():
    # b finished the text and marked nothing: 0 characters both of 10 either;
    # a's segment is unmatched and b has no segments, so only a's share counts.
    result = passage_agreement({1: {"a": [(0, 10)]}}, finished=TWO)
    assert result.overlap == 0.0 and result.segments == 0.0


def test_segment_threshold_is_exact_at_the_boundary():
    # a's 0-10 covered 9 characters by b: exactly 90 %, matched; b's 1-10 fully
    # covered. Characters: 9 both / 10 either.
    exact = passage_agreement({1: {"a": [(0, 10)], "b": [(1, 10)]}}, finished=TWO)
    assert exact.overlap == pytest.approx(0.9) and exact.segments == 1.0
    # 8 of 10 is below 90 %: a's share 0, b's 1, mean 0.5; at 0.8 it matches.
    below = {1: {"a": [(0, 10)], "b": [(2, 10)]}}
    assert passage_agreement(below, finished=TWO).segments == 0.5
    assert passage_agreement(below, finished=TWO, threshold=0.8).segments == 1.0


def test_passages_sum_over_texts_before_dividing():
    # Text 1: 5 both of 15 either, neither segment matched. Text 2: 10 of 10,
    # both matched. Summed: 15 / 25 = 0.6; segments 1 of 2 each way: 0.5.
    passages = {
        1: {"a": [(0, 10)], "b": [(5, 15)]},
        2: {"a": [(0, 10)], "b": [(0, 10)]},
    }
    result = passage_agreement(passages, finished={1: {"a", "b"}, 2: {"a", "b"}})
    assert result.overlap == pytest.approx(15 / 25)
    assert result.segments == pytest.approx(0.5)
    assert result.texts == 2


def test_more_coders_average_the_pairs_and_unfinished_coders_do_not_count():
    # a-b: 10 both / 10 either = 1; a-c: 5 / 10 = 0.5; b-c the same, 0.5.
    # d marked the text but did not finish it: ignored. Mean (1 + .5 + .5) / 3.
    passages = {1: {"a": [(0, 10)], "b": [(0, 10)], "c": [(0, 5)], "d": [(50, 60)]}}
    result = passage_agreement(passages, finished={1: {"a", "b", "c"}})
    assert set(result.pairs) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert result.overlap == pytest.approx(2 / 3)


def test_passage_edge_cases_have_reasons():
    nobody = passage_agreement({}, finished=TWO)
    assert nobody.overlap is None and nobody.overlap_reason == Reason.NO_PASSAGES
    alone = passage_agreement({1: {"a": [(0, 3)]}}, finished={1: {"a"}})
    assert alone.segments_reason == Reason.NOTHING_PAIRABLE
    empty = passage_agreement({}, finished={})
    assert empty.overlap_reason == empty.segments_reason == Reason.NO_UNITS


def test_overall_passages_pool_codes_per_pair_and_average_codes():
    # Code 1: 10 / 10; code 2: 0 / 10 (only a marked it); code 3: nobody.
    codes = {1: {1: {"a": [(0, 10)], "b": [(0, 10)]}}, 2: {1: {"a": [(20, 30)]}}, 3: {}}
    result = overall_passage_agreement(codes, finished=TWO)
    assert result.pooled.overlap == pytest.approx(10 / 20)
    assert result.mean_overlap == pytest.approx((1.0 + 0.0) / 2)
    assert result.per_code[3].overlap_reason == Reason.NO_PASSAGES
    # Pooled segments: a has 2 (1 matched), b has 1 (matched): (1/2 + 1) / 2.
    assert result.pooled.segments == pytest.approx(0.75)

"""The SVG charts: parsed back with xml.etree, so these tests check the drawing's
structure (lines, points, bar heights, legend, escaping) and that nothing in it
needs an inline style, which the Content-Security-Policy would block."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from core.charts import PALETTE, interval_chart, line_chart, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<b>&"'
D1 = dt.date(2026, 11, 3)


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _all(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(f"{SVG}{tag}"))


def _texts(root: ET.Element) -> list[str]:
    return [el.text for el in _all(root, "text")]


def _days(*offsets: int) -> list[dt.date]:
    return [D1 + dt.timedelta(days=offset) for offset in offsets]


def _assert_accessible_and_styleless(root: ET.Element, title: str) -> None:
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox").startswith("0 0 400 ")
    assert root.find(f"{SVG}title").text == title
    assert root.find(f"{SVG}desc").text
    labelled_by = root.get("aria-labelledby").split()
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert set(labelled_by) <= ids
    # CSP: style-src 'self' blocks style attributes and <style> elements.
    assert all(el.get("style") is None for el in root.iter())
    assert not _all(root, "style")
    assert not _all(root, "script")


# --- line_chart --------------------------------------------------------------------
def test_line_chart_draws_one_line_and_a_marker_per_value():
    svg = line_chart(
        title="CO readings",
        series=[("CO", list(zip(_days(0, 7, 14, 21), [20, 14, 9, 6], strict=True)))],
        y_label="ppm",
    )

    assert isinstance(svg, SafeString)
    root = _parse(svg)
    _assert_accessible_and_styleless(root, "CO readings")
    assert len(_all(root, "polyline")) == 1
    assert len(_all(root, "circle")) == 4
    assert "ppm" in _texts(root)
    # One series: no legend.
    assert not [g for g in _all(root, "g") if g.get("class") == "legend-item"]


def test_line_chart_points_sit_on_the_value_and_date_scales():
    svg = line_chart(
        title="t",
        series=[("CO", [(D1, 0), (D1 + dt.timedelta(days=10), 20)])],
        y_label="ppm",
        y_max=20,
    )
    root = _parse(svg)
    low, high = _all(root, "circle")
    # Higher values are drawn higher up (smaller y); later dates further right.
    assert float(high.get("cy")) < float(low.get("cy"))
    assert float(high.get("cx")) > float(low.get("cx"))
    # Each marker's tooltip names its value and date.
    assert low.find(f"{SVG}title").text == "CO: 0 on 3 Nov 2026"
    assert high.find(f"{SVG}title").text == "CO: 20 on 13 Nov 2026"


def test_none_breaks_the_line():
    values = list(zip(_days(0, 7, 14, 21, 28), [20, 18, None, 9, 6], strict=True))

    root = _parse(line_chart(title="t", series=[("CO", values)], y_label="ppm"))

    lines = _all(root, "polyline")
    assert len(lines) == 2
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(_all(root, "circle")) == 4


def test_a_lone_value_between_gaps_is_a_marker_without_a_line():
    values = list(zip(_days(0, 7, 14), [None, 12, None], strict=True))

    root = _parse(line_chart(title="t", series=[("CO", values)], y_label="ppm"))

    assert not _all(root, "polyline")
    assert len(_all(root, "circle")) == 1


def test_several_series_get_a_legend_and_distinct_colours():
    svg = line_chart(
        title="t",
        series=[
            ("Maya", list(zip(_days(0, 7), [3, 4], strict=True))),
            ("Tom", list(zip(_days(0, 7), [5, 2], strict=True))),
        ],
        y_label="hours",
    )
    root = _parse(svg)

    legend = [g for g in _all(root, "g") if g.get("class") == "legend-item"]
    assert [g.find(f"{SVG}text").text for g in legend] == ["Maya", "Tom"]
    colours = [line.get("stroke") for line in _all(root, "polyline")]
    assert colours == list(PALETTE[:2])
    # Told apart without colour too: the second line is dashed.
    first, second = _all(root, "polyline")
    assert first.get("stroke-dasharray") is None
    assert second.get("stroke-dasharray")


@pytest.mark.parametrize(
    ("data_max", "ticks"),
    [
        (7, ["0", "2", "4", "6", "8"]),
        (12, ["0", "5", "10", "15"]),
        (37, ["0", "10", "20", "30", "40"]),
        (101, ["0", "25", "50", "75", "100", "125"]),
        (0, ["0", "1", "2", "3", "4", "5"]),  # all zero: still a readable axis
    ],
)
def test_y_axis_has_four_to_six_round_ticks_above_the_data(data_max, ticks):
    svg = line_chart(
        title="t", series=[("s", [(D1, 0), (D1, data_max)])], y_label="unit"
    )
    root = _parse(svg)
    right_aligned = [
        el.text for el in _all(root, "text") if el.get("text-anchor") == "end"
    ]
    assert right_aligned == ticks


def test_a_given_y_max_is_the_top_of_the_axis():
    svg = line_chart(title="t", series=[("s", [(D1, 30)])], y_label="%", y_max=100)
    root = _parse(svg)
    right_aligned = [
        el.text for el in _all(root, "text") if el.get("text-anchor") == "end"
    ]
    assert right_aligned == ["0", "20", "40", "60", "80", "100"]


def test_x_ticks_are_short_dates():
    values = list(zip(_days(0, 9, 18, 27), [1, 2, 3, 4], strict=True))
    root = _parse(line_chart(title="t", series=[("s", values)], y_label="u"))

    assert {"3 Nov", "12 Nov", "21 Nov", "30 Nov"} <= set(_texts(root))


@pytest.mark.parametrize(
    "series",
    [[], [("CO", [])], [("CO", [(D1, None), (D1, None)])]],
    ids=["no series", "no points", "only gaps"],
)
def test_line_chart_without_data_says_so(series):
    root = _parse(line_chart(title="CO readings", series=series, y_label="ppm"))

    _assert_accessible_and_styleless(root, "CO readings")
    assert _texts(root) == ["No data yet"]
    assert not _all(root, "polyline")
    assert not _all(root, "circle")


def test_line_chart_escapes_labels():
    svg = line_chart(
        title=NASTY, series=[(NASTY, [(D1, 1), (D1, 2)]), ("b", [])], y_label=NASTY
    )

    assert "<b>" not in svg
    root = _parse(svg)  # well-formed despite the markup in the labels
    assert root.find(f"{SVG}title").text == NASTY
    assert NASTY in _texts(root)  # the legend and the y label
    assert NASTY in root.find(f"{SVG}desc").text


# --- stacked_bars ------------------------------------------------------------------
ROLES = ["Cessation tasks", "Relationship building", "Companionship"]


def _segments(root: ET.Element) -> list[ET.Element]:
    return [r for r in _all(root, "rect") if r.get("class") == "bar-segment"]


def _bars(root: ET.Element) -> dict[str, list[ET.Element]]:
    """Segments grouped by bar (their x), left to right."""
    bars: dict[str, list[ET.Element]] = {}
    for rect in _segments(root):
        bars.setdefault(rect.get("x"), []).append(rect)
    return dict(sorted(bars.items(), key=lambda item: float(item[0])))


def test_stacked_bar_segments_are_proportional_to_the_shares():
    svg = stacked_bars(
        title="Role mix",
        categories=["W45", "W46"],
        series=[(ROLES[0], [1, 3]), (ROLES[1], [1, 1]), (ROLES[2], [2, 0])],
    )

    assert isinstance(svg, SafeString)
    root = _parse(svg)
    _assert_accessible_and_styleless(root, "Role mix")
    w45, w46 = _bars(root).values()
    full = sum(float(r.get("height")) for r in w45)
    # W45: 1, 1, 2 of 4 → 25 %, 25 %, 50 %, in series order, bottom up.
    assert [float(r.get("height")) / full for r in w45] == pytest.approx(
        [0.25, 0.25, 0.5], abs=0.01
    )
    assert [r.get("fill") for r in w45] == list(PALETTE[:3])
    assert float(w45[0].get("y")) > float(w45[1].get("y")) > float(w45[2].get("y"))
    # W46: 3 and 1 of 4; a zero draws nothing. Both bars fill the full height.
    assert [float(r.get("height")) / full for r in w46] == pytest.approx(
        [0.75, 0.25], abs=0.01
    )
    assert [r.get("fill") for r in w46] == list(PALETTE[:2])
    assert sum(float(r.get("height")) for r in w46) == pytest.approx(full, abs=0.2)
    # The segment's tooltip gives share and count.
    assert w45[2].find(f"{SVG}title").text == "W45 · Companionship: 50% (2 of 4)"


def test_stacked_bars_axis_runs_to_100_percent_with_a_legend():
    root = _parse(
        stacked_bars(
            title="t",
            categories=["W45"],
            series=[(ROLES[0], [2]), (ROLES[1], [5])],
        )
    )
    texts = _texts(root)
    assert [el.text for el in _all(root, "text") if el.get("text-anchor") == "end"] == [
        "0%",
        "25%",
        "50%",
        "75%",
        "100%",
    ]
    legend = [g for g in _all(root, "g") if g.get("class") == "legend-item"]
    assert [g.find(f"{SVG}text").text for g in legend] == ROLES[:2]
    assert [g.find(f"{SVG}rect").get("fill") for g in legend] == list(PALETTE[:2])
    assert "W45" in texts


def test_a_category_with_no_counts_is_an_empty_bar():
    root = _parse(
        stacked_bars(
            title="t",
            categories=["W45", "W46", "W47"],
            series=[(ROLES[0], [2, 0, 1]), (ROLES[1], [2, 0, 3])],
        )
    )
    assert len(_bars(root)) == 2  # W45 and W47
    assert "W46" in _texts(root)  # the category keeps its place and label
    assert "W46: no data." in root.find(f"{SVG}desc").text


def test_stacked_bars_as_counts_scale_to_the_largest_total():
    root = _parse(
        stacked_bars(
            title="t",
            categories=["W45", "W46"],
            series=[(ROLES[0], [2, 4]), (ROLES[1], [2, 6])],
            as_share=False,
        )
    )
    w45, w46 = _bars(root).values()
    total_45 = sum(float(r.get("height")) for r in w45)
    total_46 = sum(float(r.get("height")) for r in w46)
    assert total_45 / total_46 == pytest.approx(4 / 10, abs=0.01)
    ticks = [el.text for el in _all(root, "text") if el.get("text-anchor") == "end"]
    assert ticks == ["0", "2", "4", "6", "8", "10"]


def test_stacked_bars_escape_labels():
    svg = stacked_bars(title=NASTY, categories=[NASTY], series=[(NASTY, [1])])

    assert "<b>" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == NASTY
    assert _texts(root).count(NASTY) == 2  # the category and the legend


@pytest.mark.parametrize(
    ("categories", "series"),
    [([], []), (["W45"], []), (["W45", "W46"], [(ROLES[0], [0, 0])])],
    ids=["nothing", "no series", "only zeros"],
)
def test_stacked_bars_without_data_say_so(categories, series):
    root = _parse(stacked_bars(title="Role mix", categories=categories, series=series))

    _assert_accessible_and_styleless(root, "Role mix")
    assert _texts(root) == ["No data yet"]
    assert not _segments(root)


def test_stacked_bars_reject_series_that_do_not_match_the_categories():
    with pytest.raises(ValueError, match="2 values for 3 categories"):
        stacked_bars(title="t", categories=["a", "b", "c"], series=[("s", [1, 2])])


def test_many_categories_label_only_some_to_stay_readable():
    weeks = [f"W{n}" for n in range(1, 27)]
    root = _parse(
        stacked_bars(title="t", categories=weeks, series=[("s", [1] * len(weeks))])
    )
    shown = [text for text in _texts(root) if text in weeks]
    assert len(_bars(root)) == 26
    assert "W1" in shown
    assert 4 <= len(shown) < 26


# --- interval_chart (issue 15: agreement per code) -------------------------------
def test_interval_chart_draws_a_dot_and_a_bar_per_defined_row_and_names_the_rest():
    svg = interval_chart(
        title="Kappa <per> code",
        rows=[
            ("Role <b>clarity</b>", 0.72, 0.61, 0.83),
            ("Boundaries", 0.4, None, None),
            ("Never used", None, None, None),
        ],
    )
    assert svg.count("<circle") == 2  # no dot for the undefined row
    assert "&lt;b&gt;clarity&lt;/b&gt;" in svg and "<b>" not in svg
    assert "Kappa &lt;per&gt; code" in svg
    assert "not defined" in svg
    assert "Role &lt;b&gt;clarity&lt;/b&gt;: 0.72 (0.61 to 0.83)." in svg  # <desc>
    assert 'role="img"' in svg and "style=" not in svg


def test_interval_chart_clamps_to_its_axis_and_says_when_empty():
    assert "No data yet" in interval_chart(title="t", rows=[])
    svg = interval_chart(title="t", rows=[("x", -3.0, -5.0, 2.0)], low=-1, high=1)
    root = ET.fromstring(str(svg))
    circles = [e for e in root.iter() if e.tag.endswith("circle")]
    lines = [e for e in root.iter() if e.tag.endswith("line")]
    assert len(circles) == 1
    xs = [float(circles[0].get("cx"))] + [
        float(e.get(a)) for e in lines for a in ("x1", "x2")
    ]
    assert all(0 <= x <= 400 for x in xs)

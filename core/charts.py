"""Server-side SVG charts: pure functions that return an inline <svg>.

No JavaScript and no styles: the Content-Security-Policy forbids inline scripts
and inline styles (`style-src 'self'`), so everything is drawn with SVG
presentation attributes (fill, stroke, font-size), which CSP allows. Each chart
has `role="img"`, a <title> and a <desc> (a plain-text summary for screen
readers), a `viewBox` and `width="100%"`, so it scales to its container; it is
drawn 400 units wide so that its text stays readable on a 390 px phone. The
page supplies the visible heading. Every label is escaped: series and category
names come from users and admins."""

import datetime as dt
import math
from collections.abc import Callable

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core import svg as draw
from core.svg import PALETTE

__all__ = ["PALETTE", "interval_chart", "line_chart", "stacked_bars"]


def line_chart(
    *,
    title: str,
    series: list[tuple[str, list[tuple[dt.date, float | None]]]],
    y_label: str,
    y_min: float = 0,
    y_max: float | None = None,
) -> SafeString:
    """One line with point markers per named series, dates on the x axis.

    A None value breaks the line. Without `y_max` the axis ends at a round
    number above the data; a `y_max` below the data is ignored rather than
    drawing outside the plot (and likewise data below `y_min` lowers it). An
    empty series list, or no values at all, gives a small "No data yet" chart."""
    points = [
        (day, float(value))
        for _name, values in series
        for day, value in values
        if value is not None
    ]
    if not points:
        return draw.empty_chart(title)
    data_min = min(value for _day, value in points)
    data_max = max(value for _day, value in points)
    low = min(float(y_min), data_min)
    top, ticks = draw.y_axis(low, data_max, y_max)
    first_day = min(day for day, _value in points)
    last_day = max(day for day, _value in points)

    left = draw.left_margin(ticks, draw.number)
    right = draw.WIDTH - draw.RIGHT_MARGIN
    bottom = draw.PLOT_TOP + draw.PLOT_HEIGHT
    pad = 8  # keeps the first and last points off the axes
    span_days = (last_day - first_day).days

    def x_of(day: dt.date) -> float:
        if span_days == 0:
            return (left + right) / 2
        return (
            left + pad + (day - first_day).days / span_days * (right - left - 2 * pad)
        )

    def y_of(value: float) -> float:
        return bottom - (value - low) / (top - low) * draw.PLOT_HEIGHT

    parts = draw.y_grid(ticks, y_of, left, right, draw.number)
    parts.append(draw.line_element(left, bottom, right, bottom, draw.AXIS))
    parts.extend(draw.x_ticks(first_day, last_day, x_of, bottom))

    legend_items = []
    summaries = []
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        dash = draw.DASHES[index % len(draw.DASHES)]
        ordered = sorted(values, key=lambda item: item[0])
        parts.extend(draw.series_marks(name, ordered, color, dash, x_of, y_of))
        legend_items.append((name, color, dash))
        summary = draw.series_summary(name, ordered)
        if summary:
            summaries.append(summary)

    height = bottom + 30
    if len(series) > 1:
        legend, legend_height = draw.legend(legend_items, top=height, kind="line")
        parts.extend(legend)
        height += legend_height
    parts.append(draw.text_element(4, 16, y_label, anchor="start", fill=draw.MUTED))
    return draw.svg_document(
        title=title, desc=" ".join(summaries), height=height, body=parts
    )


def stacked_bars(
    *,
    title: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    as_share: bool = True,
    colors: tuple[str, ...] = PALETTE,
) -> SafeString:
    """One vertical bar per category, stacked with one segment per series
    (first series at the bottom), with a legend in series order. `colors`
    (the palette by default) gives the series' colours in order, for series
    whose meaning has a colour (delivered green, missed vermillion).

    Values are counts. With `as_share` each bar is scaled to 100 % and the axis
    runs 0–100 %; a category whose total is 0 gets no segments. Without it the
    axis runs to a round number above the largest total. No categories, no
    series, or nothing but zeros gives a small "No data yet" chart."""
    _check_series(series, len(categories))
    totals = [
        sum(values[i] for _name, values in series) for i in range(len(categories))
    ]
    if not categories or not series or not any(totals):
        return draw.empty_chart(title)

    if as_share:
        top = 100.0
        ticks = [0.0, 25.0, 50.0, 75.0, 100.0]
        tick_label = draw.percent
    else:
        top, ticks = draw.y_axis(0.0, max(totals), None)
        tick_label = draw.number
    left = draw.left_margin(ticks, tick_label)
    right = draw.WIDTH - draw.RIGHT_MARGIN
    bottom = draw.PLOT_TOP + draw.PLOT_HEIGHT

    def y_of(value: float) -> float:
        return bottom - value / top * draw.PLOT_HEIGHT

    parts = draw.y_grid(ticks, y_of, left, right, tick_label)
    slot = (right - left) / len(categories)
    bar_width = min(slot * 0.7, 44)
    widest = max(len(category) for category in categories) * draw.CHAR_WIDTH + 6
    label_every = max(1, math.ceil(widest / slot))

    summaries = []
    for i, category in enumerate(categories):
        segments, shares = _stack(
            category,
            [(name, values[i]) for name, values in series],
            total=totals[i],
            x=left + slot * i + (slot - bar_width) / 2,
            width=bar_width,
            y_of=y_of,
            as_share=as_share,
            colors=colors,
        )
        parts.extend(segments)
        if i % label_every == 0:
            parts.append(
                draw.text_element(left + slot * (i + 0.5), bottom + 18, category)
            )
        summaries.append(
            _("%(category)s: %(values)s.")
            % {
                "category": category,
                "values": ", ".join(shares) if shares else _("no data"),
            }
        )
    parts.append(draw.line_element(left, bottom, right, bottom, draw.AXIS))

    height = bottom + 30
    legend_items = [
        (name, colors[j % len(colors)], "") for j, (name, _v) in enumerate(series)
    ]
    legend, legend_height = draw.legend(legend_items, top=height, kind="box")
    parts.extend(legend)
    height += legend_height
    return draw.svg_document(
        title=title, desc=" ".join(summaries), height=height, body=parts
    )


def _check_series(series: list[tuple[str, list[float]]], categories: int) -> None:
    for name, values in series:
        if len(values) != categories:
            raise ValueError(
                f"series {name!r} has {len(values)} values for {categories} categories"
            )
        if any(value < 0 for value in values):
            raise ValueError(f"series {name!r} has a negative count")


def _stack(
    category: str,
    values: list[tuple[str, float]],
    *,
    total: float,
    x: float,
    width: float,
    y_of: Callable[[float], float],
    as_share: bool,
    colors: tuple[str, ...],
) -> tuple[list[str], list[str]]:
    """One bar: its segments (first series at the bottom, each with a tooltip)
    and the words that summarise it for a screen reader."""
    segments, shares = [], []
    level = 0.0
    for j, (name, value) in enumerate(values):
        if value <= 0:
            continue
        share = value / total * 100 if total else 0.0
        amount = share if as_share else value
        y_top = y_of(level + amount)
        height = y_of(level) - y_top
        level += amount
        tip = _("%(category)s · %(series)s: %(share)s (%(count)s of %(total)s)") % {
            "category": category,
            "series": name,
            "share": draw.percent(share),
            "count": draw.number(value),
            "total": draw.number(total),
        }
        segments.append(
            f'<rect class="bar-segment" x="{draw.coord(x)}" '
            f'y="{draw.coord(y_top)}" '
            f'width="{draw.coord(width)}" height="{draw.coord(height)}" '
            f'fill="{colors[j % len(colors)]}" stroke="#ffffff" '
            f'stroke-width="1"><title>{escape(tip)}</title></rect>'
        )
        shares.append(
            _("%(series)s %(value)s")
            % {
                "series": name,
                "value": draw.percent(share) if as_share else draw.number(value),
            }
        )
    return segments, shares


def interval_chart(
    *,
    title: str,
    rows: list[tuple[str, float | None, float | None, float | None]],
    low: float = -1.0,
    high: float = 1.0,
    marks: tuple[float, ...] = (0.0, 0.4, 0.6, 0.8),
) -> SafeString:
    """One row per named estimate: a dot at the value and a bar from the lower
    to the upper bound of its interval (a forest plot), on a horizontal axis
    from `low` to `high` with grid lines at `marks`. A row without a value is
    listed with "not defined" in place of the dot. No rows gives a small "No
    data yet" chart. Drawn for agreement coefficients (issue 15), usable for
    any bounded estimate."""
    if not rows:
        return draw.empty_chart(title)
    row_height = 22
    label_width = min(160.0, max(len(name) for name, *_ in rows) * draw.CHAR_WIDTH + 8)
    left = label_width + 4
    right = draw.WIDTH - draw.RIGHT_MARGIN
    top = 8
    bottom = top + row_height * len(rows)

    def x_of(value: float) -> float:
        value = min(max(value, low), high)
        return left + (value - low) / (high - low) * (right - left)

    parts = []
    for mark in marks:
        parts.append(draw.line_element(x_of(mark), top, x_of(mark), bottom, draw.GRID))
        parts.append(draw.text_element(x_of(mark), bottom + 16, draw.number(mark)))
    summaries = []
    for i, (name, value, lower, upper) in enumerate(rows):
        y = top + row_height * (i + 0.5)
        shown = (
            name
            if len(name) * draw.CHAR_WIDTH <= label_width
            else (name[: int(label_width / draw.CHAR_WIDTH) - 1] + "…")
        )
        parts.append(draw.text_element(label_width, y + 4, shown, anchor="end"))
        if value is None:
            parts.append(
                draw.text_element(
                    left + 4, y + 4, _("not defined"), anchor="start", fill=draw.MUTED
                )
            )
            summaries.append(_("%(name)s: not defined.") % {"name": name})
            continue
        if lower is not None and upper is not None:
            parts.append(draw.line_element(x_of(lower), y, x_of(upper), y, PALETTE[0]))
        parts.append(
            f'<circle cx="{draw.coord(x_of(value))}" cy="{draw.coord(y)}" r="4" '
            f'fill="{PALETTE[0]}"/>'
        )
        interval = (
            _(" (%(low)s to %(high)s)")
            % {"low": draw.number(lower), "high": draw.number(upper)}
            if lower is not None and upper is not None
            else ""
        )
        summaries.append(f"{name}: {draw.number(value)}{interval}.")
    parts.append(draw.line_element(left, bottom, right, bottom, draw.AXIS))
    return draw.svg_document(
        title=title, desc=" ".join(summaries), height=bottom + 26, body=parts
    )

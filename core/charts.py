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
import hashlib
import math
from collections.abc import Callable

from django.utils import dateformat
from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Okabe & Ito's colour-blind-safe palette, ordered so the first colours have the
# most contrast on white. Series take them in order (and wrap after eight).
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
# Lines also differ by dash pattern, so they can be told apart without colour.
DASHES = ("", "6 3", "2 3", "8 3 2 3")

WIDTH = 400
FONT_SIZE = 13
CHAR_WIDTH = FONT_SIZE * 0.6  # a generous average for a sans-serif face
TEXT = "#212529"
MUTED = "#495057"
GRID = "#dee2e6"
AXIS = "#6c757d"

PLOT_TOP = 28  # room for the y-axis label above the plot
PLOT_HEIGHT = 170
RIGHT_MARGIN = 12
LEGEND_ROW = 20


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
        return _empty(title)
    data_min = min(value for _day, value in points)
    data_max = max(value for _day, value in points)
    low = min(float(y_min), data_min)
    top, ticks = _y_axis(low, data_max, y_max)
    first_day = min(day for day, _value in points)
    last_day = max(day for day, _value in points)

    left = _left_margin(ticks, _number)
    right = WIDTH - RIGHT_MARGIN
    bottom = PLOT_TOP + PLOT_HEIGHT
    pad = 8  # keeps the first and last points off the axes
    span_days = (last_day - first_day).days

    def x_of(day: dt.date) -> float:
        if span_days == 0:
            return (left + right) / 2
        return (
            left + pad + (day - first_day).days / span_days * (right - left - 2 * pad)
        )

    def y_of(value: float) -> float:
        return bottom - (value - low) / (top - low) * PLOT_HEIGHT

    parts = _y_grid(ticks, y_of, left, right, _number)
    parts.append(_line(left, bottom, right, bottom, AXIS))
    parts.extend(_x_ticks(first_day, last_day, x_of, bottom))

    legend_items = []
    summaries = []
    for index, (name, values) in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        ordered = sorted(values, key=lambda item: item[0])
        parts.extend(_series_marks(name, ordered, color, dash, x_of, y_of))
        legend_items.append((name, color, dash))
        summary = _series_summary(name, ordered)
        if summary:
            summaries.append(summary)

    height = bottom + 30
    if len(series) > 1:
        legend, legend_height = _legend(legend_items, top=height, kind="line")
        parts.extend(legend)
        height += legend_height
    parts.append(_text(4, 16, y_label, anchor="start", fill=MUTED))
    return _svg(title=title, desc=" ".join(summaries), height=height, body=parts)


def stacked_bars(
    *,
    title: str,
    categories: list[str],
    series: list[tuple[str, list[float]]],
    as_share: bool = True,
) -> SafeString:
    """One vertical bar per category, stacked with one segment per series
    (first series at the bottom), with a legend in series order.

    Values are counts. With `as_share` each bar is scaled to 100 % and the axis
    runs 0–100 %; a category whose total is 0 gets no segments. Without it the
    axis runs to a round number above the largest total. No categories, no
    series, or nothing but zeros gives a small "No data yet" chart."""
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(
                f"series {name!r} has {len(values)} values for "
                f"{len(categories)} categories"
            )
        if any(value < 0 for value in values):
            raise ValueError(f"series {name!r} has a negative count")
    totals = [
        sum(values[i] for _name, values in series) for i in range(len(categories))
    ]
    if not categories or not series or not any(totals):
        return _empty(title)

    if as_share:
        top = 100.0
        ticks = [0.0, 25.0, 50.0, 75.0, 100.0]
        tick_label = _percent
    else:
        top, ticks = _y_axis(0.0, max(totals), None)
        tick_label = _number
    left = _left_margin(ticks, tick_label)
    right = WIDTH - RIGHT_MARGIN
    bottom = PLOT_TOP + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return bottom - value / top * PLOT_HEIGHT

    parts = _y_grid(ticks, y_of, left, right, tick_label)
    slot = (right - left) / len(categories)
    bar_width = min(slot * 0.7, 44)
    widest = max(len(category) for category in categories) * CHAR_WIDTH + 6
    label_every = max(1, math.ceil(widest / slot))

    summaries = []
    for i, category in enumerate(categories):
        total = totals[i]
        x = left + slot * i + (slot - bar_width) / 2
        level = 0.0
        shares = []
        for j, (name, values) in enumerate(series):
            value = values[i]
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
                "share": _percent(share),
                "count": _number(value),
                "total": _number(total),
            }
            parts.append(
                f'<rect class="bar-segment" x="{_n(x)}" y="{_n(y_top)}" '
                f'width="{_n(bar_width)}" height="{_n(height)}" '
                f'fill="{PALETTE[j % len(PALETTE)]}" stroke="#ffffff" '
                f'stroke-width="1"><title>{escape(tip)}</title></rect>'
            )
            shares.append(
                _("%(series)s %(value)s")
                % {
                    "series": name,
                    "value": _percent(share) if as_share else _number(value),
                }
            )
        if i % label_every == 0:
            parts.append(_text(left + slot * (i + 0.5), bottom + 18, category))
        summaries.append(
            _("%(category)s: %(values)s.")
            % {
                "category": category,
                "values": ", ".join(shares) if shares else _("no data"),
            }
        )
    parts.append(_line(left, bottom, right, bottom, AXIS))

    height = bottom + 30
    legend_items = [
        (name, PALETTE[j % len(PALETTE)], "") for j, (name, _v) in enumerate(series)
    ]
    legend, legend_height = _legend(legend_items, top=height, kind="box")
    parts.extend(legend)
    height += legend_height
    return _svg(title=title, desc=" ".join(summaries), height=height, body=parts)


# --- scales ---------------------------------------------------------------------
def _nice_step(span: float) -> float:
    """The smallest of 1, 2, 2.5 (only from 25 up), 5 × 10^k that cuts `span`
    into at most 5 intervals. Consecutive steps differ by at most 2.5×, so the
    step chosen cuts it into more than 2: 3 to 5 intervals, 4 to 6 ticks."""
    exponent = math.floor(math.log10(span / 5))
    for power in range(exponent, exponent + 3):
        magnitude = 10.0**power
        for multiple in (1, 2, 2.5, 5):
            step = multiple * magnitude
            if multiple == 2.5 and step < 10:
                continue
            if span / step <= 5 + 1e-9:
                return step
    return 10.0 ** (exponent + 3)


def _y_axis(
    low: float, data_max: float, y_max: float | None
) -> tuple[float, list[float]]:
    """The top of the axis and its ticks, from `low` up."""
    if y_max is not None and y_max > low and y_max >= data_max:
        step = _nice_step(y_max - low)
        count = math.floor((y_max - low) / step + 1e-9)
        return float(y_max), [round(low + i * step, 9) for i in range(count + 1)]
    span = data_max - low
    if span <= 0:
        span = 5.0  # all values equal: a small round axis above them
    step = _nice_step(span)
    count = math.ceil(span / step - 1e-9)
    ticks = [round(low + i * step, 9) for i in range(count + 1)]
    return ticks[-1], ticks


def _x_tick_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Up to four evenly spread dates from `first` to `last`."""
    span = (last - first).days
    count = min(4, span + 1)
    if count == 1:
        return [first]
    days = [
        first + dt.timedelta(days=round(i * span / (count - 1))) for i in range(count)
    ]
    return sorted(set(days))


# --- drawing --------------------------------------------------------------------
def _svg(*, title: str, desc: str, height: float, body: list[str]) -> SafeString:
    key = hashlib.sha1(f"{title}\n{desc}".encode(), usedforsecurity=False).hexdigest()[
        :10
    ]
    # Safe: every text inside went through escape().
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="100%" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="{FONT_SIZE}">'
        f'<title id="chart-{key}-title">{escape(title)}</title>'
        f'<desc id="chart-{key}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _empty(title: str) -> SafeString:
    message = _("No data yet")
    return _svg(
        title=title,
        desc=message,
        height=56,
        body=[_text(WIDTH / 2, 33, message, fill=MUTED)],
    )


def _n(value: float) -> str:
    """A coordinate: one decimal at most, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(
    x: float, y: float, text: str, *, anchor: str = "middle", fill: str = TEXT
) -> str:
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _number(value: float) -> str:
    if float(value).is_integer():
        return number_format(int(value))
    return number_format(round(value, 2))


def _percent(value: float) -> str:
    return _("%(value)s%%") % {"value": number_format(round(value))}


def _short_date(day: dt.date, *, with_year: bool = False) -> str:
    return date_format(day, "j M Y" if with_year else "j M")


def _left_margin(ticks: list[float], label: Callable[[float], str]) -> float:
    widest = max(len(label(tick)) for tick in ticks) * CHAR_WIDTH
    return max(28.0, widest + 10)


def _y_grid(ticks, y_of, left: float, right: float, label) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(_line(left, y, right, y, GRID))
        parts.append(_text(left - 6, y + 4, label(tick), anchor="end", fill=MUTED))
    return parts


def _x_ticks(first: dt.date, last: dt.date, x_of, bottom: float) -> list[str]:
    with_year = first.year != last.year
    parts = []
    for day in _x_tick_days(first, last):
        x = x_of(day)
        text = _short_date(day, with_year=with_year)
        half = len(text) * CHAR_WIDTH / 2
        anchor = "middle"
        if x - half < 2:
            anchor = "start"
        elif x + half > WIDTH - 2:
            anchor = "end"
        parts.append(_line(x, bottom, x, bottom + 4, AXIS))
        parts.append(_text(x, bottom + 18, text, anchor=anchor, fill=MUTED))
    return parts


def _series_marks(name, values, color: str, dash: str, x_of, y_of) -> list[str]:
    """Polylines through runs of consecutive values (None breaks a run), and a
    marker with a tooltip on every value."""
    parts = []
    runs: list[list[tuple[float, float]]] = [[]]
    markers = []
    # Looked up once per series, not per point: a participant with three years
    # of weekly readings has a few hundred markers.
    tip_text = _("%(series)s: %(value)s on %(date)s")
    for day, value in values:
        if value is None:
            runs.append([])
            continue
        x, y = x_of(day), y_of(float(value))
        runs[-1].append((x, y))
        tip = tip_text % {
            "series": name,
            "value": _number(float(value)),
            "date": dateformat.format(day, "j M Y"),
        }
        markers.append(
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{color}" '
            f'stroke="#ffffff" stroke-width="1"><title>{escape(tip)}</title></circle>'
        )
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    for run in runs:
        if len(run) < 2:
            continue
        coordinates = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{color}" '
            f'stroke-width="2" stroke-linejoin="round"{dash_attr}/>'
        )
    return parts + markers


def _series_summary(name: str, values) -> str:
    present = [(day, float(value)) for day, value in values if value is not None]
    if not present:
        return ""
    latest_day, latest = present[-1]
    count = len(present)
    return ngettext(
        "%(series)s: %(count)s value, %(latest)s on %(latest_date)s.",
        "%(series)s: %(count)s values from %(first_date)s to %(latest_date)s; "
        "latest %(latest)s, lowest %(lowest)s, highest %(highest)s.",
        count,
    ) % {
        "series": name,
        "count": count,
        "first_date": date_format(present[0][0], "j M Y"),
        "latest_date": date_format(latest_day, "j M Y"),
        "latest": _number(latest),
        "lowest": _number(min(value for _day, value in present)),
        "highest": _number(max(value for _day, value in present)),
    }


def _legend(items, *, top: float, kind: str) -> tuple[list[str], float]:
    """Legend entries flowing left to right in rows; names too long for a row
    are shortened (the full name stays in the entry's tooltip)."""
    parts = []
    swatch = 22 if kind == "line" else 12
    gap = 14
    usable = WIDTH - 8
    max_chars = int((usable - swatch - 6) / CHAR_WIDTH)
    x, row = 4.0, 0
    for name, color, dash in items:
        shown = name if len(name) <= max_chars else name[: max_chars - 1] + "…"
        width = swatch + 6 + len(shown) * CHAR_WIDTH
        if x > 4 and x + width > usable:
            x, row = 4.0, row + 1
        y = top + 12 + row * LEGEND_ROW  # the text's baseline
        if kind == "line":
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            mark = (
                f'<line x1="{_n(x)}" y1="{_n(y - 4)}" x2="{_n(x + swatch)}" '
                f'y2="{_n(y - 4)}" stroke="{color}" stroke-width="2"{dash_attr}/>'
                f'<circle cx="{_n(x + swatch / 2)}" cy="{_n(y - 4)}" r="3.5" '
                f'fill="{color}"/>'
            )
        else:
            mark = (
                f'<rect x="{_n(x)}" y="{_n(y - 13)}" width="12" height="12" '
                f'fill="{color}"/>'
            )
        parts.append(
            f'<g class="legend-item"><title>{escape(name)}</title>{mark}'
            + _text(x + swatch + 6, y, shown, anchor="start")
            + "</g>"
        )
        x += width + gap
    return parts, (row + 1) * LEGEND_ROW + 4

"""The drawing kit behind core.charts: palette and sizes, scales, SVG
elements, number and date labels, and the legend. Every text is escaped here,
so a chart drawn with these pieces is safe with names users typed."""

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


# --- scales ---------------------------------------------------------------------
def nice_step(span: float) -> float:
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


def y_axis(
    low: float, data_max: float, y_max: float | None
) -> tuple[float, list[float]]:
    """The top of the axis and its ticks, from `low` up."""
    if y_max is not None and y_max > low and y_max >= data_max:
        step = nice_step(y_max - low)
        count = math.floor((y_max - low) / step + 1e-9)
        return float(y_max), [round(low + i * step, 9) for i in range(count + 1)]
    span = data_max - low
    if span <= 0:
        span = 5.0  # all values equal: a small round axis above them
    step = nice_step(span)
    count = math.ceil(span / step - 1e-9)
    ticks = [round(low + i * step, 9) for i in range(count + 1)]
    return ticks[-1], ticks


def x_tick_days(first: dt.date, last: dt.date) -> list[dt.date]:
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
def svg_document(
    *, title: str, desc: str, height: float, body: list[str]
) -> SafeString:
    key = hashlib.sha1(f"{title}\n{desc}".encode(), usedforsecurity=False).hexdigest()[
        :10
    ]
    # Safe: every text inside went through escape().
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="100%" viewBox="0 0 {WIDTH} {coord(height)}" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="{FONT_SIZE}">'
        f'<title id="chart-{key}-title">{escape(title)}</title>'
        f'<desc id="chart-{key}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def empty_chart(title: str) -> SafeString:
    message = _("No data yet")
    return svg_document(
        title=title,
        desc=message,
        height=56,
        body=[text_element(WIDTH / 2, 33, message, fill=MUTED)],
    )


def coord(value: float) -> str:
    """A coordinate: one decimal at most, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def text_element(
    x: float, y: float, text: str, *, anchor: str = "middle", fill: str = TEXT
) -> str:
    return (
        f'<text x="{coord(x)}" y="{coord(y)}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def line_element(x1: float, y1: float, x2: float, y2: float, stroke: str) -> str:
    return (
        f'<line x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(x2)}" y2="{coord(y2)}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def number(value: float) -> str:
    if float(value).is_integer():
        return number_format(int(value))
    return number_format(round(value, 2))


def percent(value: float) -> str:
    return _("%(value)s%%") % {"value": number_format(round(value))}


def short_date(day: dt.date, *, with_year: bool = False) -> str:
    return date_format(day, "j M Y" if with_year else "j M")


def left_margin(ticks: list[float], label: Callable[[float], str]) -> float:
    widest = max(len(label(tick)) for tick in ticks) * CHAR_WIDTH
    return max(28.0, widest + 10)


def y_grid(ticks, y_of, left: float, right: float, label) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        parts.append(line_element(left, y, right, y, GRID))
        parts.append(
            text_element(left - 6, y + 4, label(tick), anchor="end", fill=MUTED)
        )
    return parts


def x_ticks(first: dt.date, last: dt.date, x_of, bottom: float) -> list[str]:
    with_year = first.year != last.year
    parts = []
    for day in x_tick_days(first, last):
        x = x_of(day)
        text = short_date(day, with_year=with_year)
        half = len(text) * CHAR_WIDTH / 2
        anchor = "middle"
        if x - half < 2:
            anchor = "start"
        elif x + half > WIDTH - 2:
            anchor = "end"
        parts.append(line_element(x, bottom, x, bottom + 4, AXIS))
        parts.append(text_element(x, bottom + 18, text, anchor=anchor, fill=MUTED))
    return parts


def series_marks(name, values, color: str, dash: str, x_of, y_of) -> list[str]:
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
            "value": number(float(value)),
            "date": dateformat.format(day, "j M Y"),
        }
        markers.append(
            f'<circle cx="{coord(x)}" cy="{coord(y)}" r="3.5" fill="{color}" '
            f'stroke="#ffffff" stroke-width="1"><title>{escape(tip)}</title></circle>'
        )
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    for run in runs:
        if len(run) < 2:
            continue
        coordinates = " ".join(f"{coord(x)},{coord(y)}" for x, y in run)
        parts.append(
            f'<polyline points="{coordinates}" fill="none" stroke="{color}" '
            f'stroke-width="2" stroke-linejoin="round"{dash_attr}/>'
        )
    return parts + markers


def series_summary(name: str, values) -> str:
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
        "latest": number(latest),
        "lowest": number(min(value for _day, value in present)),
        "highest": number(max(value for _day, value in present)),
    }


def legend(items, *, top: float, kind: str) -> tuple[list[str], float]:
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
                f'<line x1="{coord(x)}" y1="{coord(y - 4)}" x2="{coord(x + swatch)}" '
                f'y2="{coord(y - 4)}" stroke="{color}" stroke-width="2"{dash_attr}/>'
                f'<circle cx="{coord(x + swatch / 2)}" cy="{coord(y - 4)}" r="3.5" '
                f'fill="{color}"/>'
            )
        else:
            mark = (
                f'<rect x="{coord(x)}" y="{coord(y - 13)}" width="12" height="12" '
                f'fill="{color}"/>'
            )
        parts.append(
            f'<g class="legend-item"><title>{escape(name)}</title>{mark}'
            + text_element(x + swatch + 6, y, shown, anchor="start")
            + "</g>"
        )
        x += width + gap
    return parts, (row + 1) * LEGEND_ROW + 4

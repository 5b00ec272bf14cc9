"""Small charts drawn on the server as SVG: no JavaScript, no chart library, nothing from a CDN.

Two builders, each returning safe markup for a template (`{{ chart }}`):

- `bar_chart([(label, count), ...], title=...)`: horizontal bars, e.g. cases by status;
- `line_chart({series: [(date, score), ...]}, y_min=1, y_max=5, title=...)`: scores over time, e.g. the
  assessment domains of one case.

The markup is a `<figure>` holding the SVG and a caption; the SVG carries a `<title>` and a `<desc>` that
states every value in words, so a screen reader reads the figures, not the shapes. With `table=True`
(the default) the same figures follow as a table in a closed `<details>`, for anyone who prefers numbers
to shapes and for printing. Every label is escaped; numbers are written with `.` whatever the language,
so a translated page still draws. Colours come as presentation attributes, never `style` attributes
(a later issue adds a strict Content Security Policy), and series differ by marker shape as well as by
colour.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.template.loader import render_to_string
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import gettext as _

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), darkened where needed
# for 3:1 contrast against white.
PALETTE = ("#0b5394", "#b35900", "#00796b", "#a4006b", "#5e35b1", "#6b6b00", "#c62828", "#37474f", "#1565c0")
MARKERS = ("circle", "square", "diamond", "triangle")
INK = "#1b1b1b"
GRID = "#cccccc"

WIDTH = 320  # viewBox units; the SVG scales to its container (base.css)
FONT = 12


@dataclass(frozen=True)
class Table:
    """The figures behind a chart: one header row, then (row label, cells) rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]


def _n(value: float) -> str:
    """A coordinate as SVG wants it: a dot for decimals, no exponent, whatever the active language."""
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else str(int(value))


def _chart_id(title: str, data: object, chart_id: str) -> str:
    if chart_id:
        return chart_id
    digest = hashlib.blake2s(repr(data).encode(), digest_size=4).hexdigest()
    return f"chart-{slugify(title)[:40] or 'figure'}-{digest}"


def _svg(chart_id: str, height: float, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" focusable="false">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        _n(height),
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        body,
    )


def _figure(*, chart_id: str, title: str, svg: SafeString, table: Table | None) -> SafeString:
    context = {"chart_id": chart_id, "title": title, "svg": svg, "table": table}
    # An autoescaped template renders to a SafeString already: nothing to mark.
    return render_to_string("casework/_chart.html", context)


# --- Bar chart ----------------------------------------------------------------------------------------

BAR_ROW = 34  # a label line above a bar
BAR_HEIGHT = 12
VALUE_ROOM = 44  # room to the right of the longest bar for its number


def bar_chart(
    bars: Iterable[tuple[str, int]],
    *,
    title: str,
    description: str = "",
    label_header: str = "",
    value_header: str = "",
    table: bool = True,
    chart_id: str = "",
) -> SafeString:
    """Horizontal bars, one per (label, count), in the order given; each label sits above its bar so
    long labels fit on a phone. `description` opens the SVG's <desc>; the values follow it in words."""
    bars = [(str(label), int(value)) for label, value in bars]
    chart_id = _chart_id(title, bars, chart_id)
    largest = max((value for _label, value in bars), default=0)
    scale = (WIDTH - VALUE_ROOM) / largest if largest else 0
    rows = []
    for index, (label, value) in enumerate(bars):
        top = index * BAR_ROW + 4
        length = value * scale
        rows.append(
            format_html(
                '<g class="chart-bar"><text x="0" y="{}" font-size="{}" fill="{}">{}</text>'
                '<rect x="0" y="{}" width="{}" height="{}" fill="{}"></rect>'
                '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text></g>',
                _n(top + FONT),
                FONT,
                INK,
                label,
                _n(top + 16),
                _n(max(length, 1 if value else 0)),
                BAR_HEIGHT,
                PALETTE[0],
                _n(length + 4),
                _n(top + 16 + BAR_HEIGHT - 1),
                FONT,
                INK,
                value,
            )
        )
    height = max(len(bars), 1) * BAR_ROW + 4
    in_words = "; ".join(f"{label}: {value}" for label, value in bars) or _("no figures")
    desc = f"{description} {in_words}." if description else f"{in_words}."
    svg = _svg(chart_id, height, title, desc, format_html_join("", "{}", ((row,) for row in rows)))
    figures = None
    if table:
        figures = Table(
            header=(label_header or _("Category"), value_header or _("Number")),
            rows=tuple((label, (str(value),)) for label, value in bars),
        )
    return _figure(chart_id=chart_id, title=title, svg=svg, table=figures)


# --- Line chart ---------------------------------------------------------------------------------------

PLOT_LEFT = 24
PLOT_RIGHT = WIDTH - 10
PLOT_TOP = 8
PLOT_HEIGHT = 140
LEGEND_ROW = 18


def _marker(shape: str, x: float, y: float, colour: str) -> SafeString:
    if shape == "square":
        return format_html(
            '<rect x="{}" y="{}" width="7" height="7" fill="{}"></rect>', _n(x - 3.5), _n(y - 3.5), colour
        )
    if shape == "diamond":
        points = f"{_n(x)},{_n(y - 5)} {_n(x + 5)},{_n(y)} {_n(x)},{_n(y + 5)} {_n(x - 5)},{_n(y)}"
        return format_html('<polygon points="{}" fill="{}"></polygon>', points, colour)
    if shape == "triangle":
        points = f"{_n(x)},{_n(y - 5)} {_n(x + 5)},{_n(y + 4)} {_n(x - 5)},{_n(y + 4)}"
        return format_html('<polygon points="{}" fill="{}"></polygon>', points, colour)
    return format_html('<circle cx="{}" cy="{}" r="4" fill="{}"></circle>', _n(x), _n(y), colour)


def line_chart(
    series: Mapping[str, Sequence[tuple[date, int | None]]],
    *,
    y_min: int = 1,
    y_max: int = 5,
    title: str,
    description: str = "",
    table: bool = True,
    chart_id: str = "",
) -> SafeString:
    """One line per series over time, on a fixed integer scale (1–5 for assessment scores).

    `series` maps a label to (date, value) points in any order; a None value (a domain not scored that
    day) leaves a gap in the points, not a zero. Values outside the scale are drawn at its edge. Each
    series has its own colour and marker shape, named in a legend under the plot.
    """
    cleaned: dict[str, list[tuple[date, int]]] = {
        str(label): sorted((day, int(value)) for day, value in points if value is not None)
        for label, points in series.items()
    }
    chart_id = _chart_id(title, sorted(cleaned.items()), chart_id)
    days = sorted({day for points in cleaned.values() for day, _value in points})
    if not days:
        note = _("No figures yet.")
        svg = _svg(
            chart_id, 24, title, note, format_html('<text x="0" y="16" font-size="{}">{}</text>', FONT, note)
        )
        return _figure(chart_id=chart_id, title=title, svg=svg, table=None)

    first, last = days[0], days[-1]
    span = (last - first).days

    def x_of(day: date) -> float:
        if not span:
            return (PLOT_LEFT + PLOT_RIGHT) / 2
        return PLOT_LEFT + (day - first).days / span * (PLOT_RIGHT - PLOT_LEFT)

    def y_of(value: int) -> float:
        value = min(max(value, y_min), y_max)
        steps = (y_max - y_min) or 1
        return PLOT_TOP + (y_max - value) / steps * PLOT_HEIGHT

    parts = []
    for value in range(y_min, y_max + 1):
        y = y_of(value)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"></line>'
                '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="end">{}</text>',
                PLOT_LEFT,
                _n(y),
                PLOT_RIGHT,
                _n(y),
                GRID,
                PLOT_LEFT - 6,
                _n(y + 4),
                FONT,
                INK,
                value,
            )
        )
    axis_y = PLOT_TOP + PLOT_HEIGHT + 16
    date_labels = [(first, "start")] if not span else [(first, "start"), (last, "end")]
    for day, anchor in date_labels:
        x = x_of(day) if span else (PLOT_LEFT + PLOT_RIGHT) / 2
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" fill="{}" text-anchor="{}">{}</text>',
                _n(x),
                _n(axis_y),
                FONT,
                INK,
                anchor if span else "middle",
                day.isoformat(),
            )
        )

    legend_top = axis_y + 10
    in_words = []
    for index, (label, points) in enumerate(cleaned.items()):
        colour = PALETTE[index % len(PALETTE)]
        shape = MARKERS[index % len(MARKERS)]
        coords = [(x_of(day), y_of(value)) for day, value in points]
        if len(coords) > 1:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"></polyline>',
                    " ".join(f"{_n(x)},{_n(y)}" for x, y in coords),
                    colour,
                )
            )
        parts.extend(_marker(shape, x, y, colour) for x, y in coords)
        row_y = legend_top + index * LEGEND_ROW
        parts.append(_marker(shape, 6, row_y + 6, colour))
        parts.append(
            format_html(
                '<text x="16" y="{}" font-size="{}" fill="{}">{}</text>', _n(row_y + 10), FONT, INK, label
            )
        )
        values = ", ".join(f"{value} ({day.isoformat()})" for day, value in points) or _("not scored")
        in_words.append(f"{label}: {values}")

    height = legend_top + len(cleaned) * LEGEND_ROW + 4
    scale = _("Scale %(low)s to %(high)s.") % {"low": y_min, "high": y_max}
    desc = " ".join(part for part in (description, scale, "; ".join(in_words) + ".") if part)
    svg = _svg(chart_id, height, title, desc, format_html_join("", "{}", ((part,) for part in parts)))
    figures = None
    if table:
        by_day = {label: dict(points) for label, points in cleaned.items()}
        figures = Table(
            header=(_("Date"), *cleaned.keys()),
            rows=tuple(
                (day.isoformat(), tuple(str(by_day[label].get(day, "—")) for label in cleaned))
                for day in days
            ),
        )
    return _figure(chart_id=chart_id, title=title, svg=svg, table=figures)

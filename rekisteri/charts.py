"""Bar and line charts drawn on the server as inline SVG: readable without JavaScript,
allowed by the content security policy (presentation attributes, no style), and
accessible: the SVG is an image named by its <title> and <desc>, every bar and point
carries its own <title>, series differ by pattern or marker as well as by colour, and
the page shows the same numbers as a table (`Chart.rows`).

Every text is escaped here; callers pass plain strings. Numbers are formatted in the
active language (`number_format`), so a chart is built inside the request."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, BOTTOM, LEGEND_ROW = 64, 16, 40, 22
CHAR_WIDTH = 7  # a rough average at 12 px, to lay out the legend
INK, MUTED, GRID = "#1d2433", "#5b6478", "#d8dce5"
# Each at least 4.5:1 against white, told apart by colour-blind readers too.
COLOURS = ("#1f5fa8", "#b35806", "#1b7837", "#762a83", "#4d4d4d")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")
ID_PATTERN = re.compile(r"[a-z][a-z0-9-]*")

Kind = Literal["bars", "stacked", "lines"]


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]  # one per category; None where there is no value


@dataclass(frozen=True)
class Chart:
    """A chart and its numbers. `categories` label the x axis (short); `category_names`
    head the table's rows (in full)."""

    chart_id: str  # unique on the page: the prefix of the SVG's element ids
    title: str
    description: str
    kind: Kind
    categories: tuple[str, ...]
    category_names: tuple[str, ...]
    series: tuple[Series, ...]
    category_heading: str = ""  # the table's first column
    percent: bool = False

    def __post_init__(self) -> None:
        if not ID_PATTERN.fullmatch(self.chart_id):
            raise ValueError(f"not an id for SVG elements: {self.chart_id!r}")
        if len(self.category_names) != len(self.categories):
            raise ValueError("a name for every category")
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(f"a value for every category in {series.label!r}")

    @property
    def is_empty(self) -> bool:
        """Nothing to draw: no values at all, or only zero counts (a share of 0 % is a
        value)."""
        values = [value for series in self.series for value in series.values if value is not None]
        return not values or (not self.percent and not any(values))

    @property
    def rows(self) -> list[tuple[str, list[str]]]:
        """The table: each category's name and its values, formatted."""
        return [
            (name, [self.format(series.values[index]) for series in self.series])
            for index, name in enumerate(self.category_names)
        ]

    def format(self, value: float | None, decimals: int | None = None) -> str:
        if value is None:
            return "–"
        if self.percent:
            number = number_format(value, 1 if decimals is None else decimals)
            return _("%(number)s%%") % {"number": number}
        if decimals is None:
            decimals = 0 if float(value).is_integer() else 1
        return number_format(value, decimals, force_grouping=True)

    @property
    def svg(self) -> SafeString:
        return render(self)


def render(chart: Chart) -> SafeString:
    legend_rows = _legend_layout(chart)
    top = 12 + LEGEND_ROW * (max(row for row, _x in legend_rows) + 1 if legend_rows else 0)
    plot = _Plot(LEFT, top, WIDTH - RIGHT, HEIGHT - BOTTOM, len(chart.categories))
    cid = chart.chart_id
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{cid}-title {cid}-desc"'
        f' font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{cid}-title">{escape(chart.title)}</title>',
        f'<desc id="{cid}-desc">{escape(chart.description)}</desc>',
    ]
    if chart.kind != "lines":
        parts.append(_patterns(chart))
    top_value, step = _scale(chart)
    parts += _axes(chart, plot, top_value, step)
    if not chart.categories or chart.is_empty:
        parts.append(
            _text(
                (plot.left + plot.right) / 2,
                (plot.top + plot.bottom) / 2,
                _("No data for this period"),
                anchor="middle",
                fill=MUTED,
            )
        )
    elif chart.kind == "lines":
        parts += _lines(chart, plot, top_value)
    else:
        parts += _bars(chart, plot, top_value)
    parts += _legend(chart, legend_rows)
    parts.append("</svg>")
    # Every text above went through escape(); the rest is markup of our own.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703


@dataclass(frozen=True)
class _Plot:
    left: float
    top: float
    right: float
    bottom: float
    bands: int

    @property
    def band(self) -> float:
        return (self.right - self.left) / max(self.bands, 1)

    def x(self, index: int) -> float:
        return self.left + self.band * (index + 0.5)

    def y(self, value: float, top_value: float) -> float:
        return self.bottom - (self.bottom - self.top) * value / top_value


def _scale(chart: Chart) -> tuple[float, float]:
    """The top of the value axis, a round number at or above the largest value, and the
    step between its ticks."""
    if chart.percent:
        return 100.0, 25.0
    if chart.kind == "stacked":
        sums = [
            sum(series.values[index] or 0 for series in chart.series)
            for index in range(len(chart.categories))
        ]
        largest = max(sums, default=0)
    else:
        largest = max((v or 0 for series in chart.series for v in series.values), default=0)
    step = _step(largest)
    return step * max(math.ceil(largest / step), 1), step


def _step(largest: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten, at least 1) for at most `ticks` ticks
    above zero."""
    if largest <= ticks:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(largest / ticks))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude * ticks >= largest:
            return float(multiple * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def _axes(chart: Chart, plot: _Plot, top_value: float, step: float) -> list[str]:
    parts = []
    for index in range(round(top_value / step) + 1):
        tick = step * index
        y = plot.y(tick, top_value)
        parts.append(_line(plot.left, y, plot.right, y, stroke=GRID))
        parts.append(_text(plot.left - 6, y + 4, chart.format(tick, 0), anchor="end", fill=MUTED))
    parts.append(_line(plot.left, plot.bottom, plot.right, plot.bottom, stroke=MUTED))
    # Every label while they fit; every second or third when there are many categories.
    every = max(1, math.ceil(len(chart.categories) * 48 / (plot.right - plot.left)))
    for index, label in enumerate(chart.categories):
        if index % every == 0:
            parts.append(_text(plot.x(index), plot.bottom + 18, label, anchor="middle", fill=INK))
    return parts


def _value_title(chart: Chart, series: Series, index: int) -> str:
    text = f"{series.label}, {chart.category_names[index]}: {chart.format(series.values[index])}"
    return f"<title>{escape(text)}</title>"


def _bars(chart: Chart, plot: _Plot, top_value: float) -> list[str]:
    parts = []
    stacked = chart.kind == "stacked"
    group = plot.band * (0.6 if stacked else 0.75)
    width = group if stacked else group / len(chart.series)
    for index in range(len(chart.categories)):
        base = 0.0
        for number, series in enumerate(chart.series):
            value = series.values[index] or 0
            x = plot.x(index) - group / 2 + (0 if stacked else number * width)
            y_top, y_base = plot.y(base + value, top_value), plot.y(base, top_value)
            colour = COLOURS[number % len(COLOURS)]
            parts.append(
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{width:.1f}"'
                f' height="{y_base - y_top:.1f}" fill="url(#{chart.chart_id}-fill-{number})"'
                f' stroke="{colour}">{_value_title(chart, series, index)}</rect>'
            )
            if stacked:
                base += value
    return parts


def _lines(chart: Chart, plot: _Plot, top_value: float) -> list[str]:
    parts = []
    for number, series in enumerate(chart.series):
        colour = COLOURS[number % len(COLOURS)]
        dash = DASHES[number % len(DASHES)]
        points = [
            (plot.x(index), plot.y(value, top_value), index)
            for index, value in enumerate(series.values)
            if value is not None
        ]
        if len(points) > 1:
            # A missing value breaks the line rather than bridging it.
            path = []
            previous = None
            for x, y, index in points:
                command = "L" if previous is not None and index == previous + 1 else "M"
                path.append(f"{command}{x:.1f},{y:.1f}")
                previous = index
            dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}"'
                f' stroke-width="2"{dash_attribute}/>'
            )
        for x, y, index in points:
            parts.append(_marker(number, x, y, colour, _value_title(chart, series, index)))
    return parts


def _marker(number: int, x: float, y: float, colour: str, title: str = "") -> str:
    """A different shape per series: circle, square, triangle, diamond, cross."""
    shape = number % 5
    if shape == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{title}</circle>'
    if shape == 1:
        return (
            f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
            f' fill="{colour}">{title}</rect>'
        )
    if shape == 2:
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
    elif shape == 3:
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    else:
        points = (
            f"{x - 5:.1f},{y - 2:.1f} {x + 5:.1f},{y - 2:.1f} {x + 5:.1f},{y + 2:.1f}"
            f" {x - 5:.1f},{y + 2:.1f}"
        )
    return f'<polygon points="{points}" fill="{colour}">{title}</polygon>'


def _patterns(chart: Chart) -> str:
    """A fill per series: solid, then stripes, dots, cross-hatching and bands over the
    series' colour, so that bars differ without colour too."""
    parts = ["<defs>"]
    for number in range(len(chart.series)):
        colour = COLOURS[number % len(COLOURS)]
        texture = [
            "",
            '<rect width="3" height="8" fill="#ffffff" fill-opacity="0.6"/>',
            '<circle cx="4" cy="4" r="1.6" fill="#ffffff" fill-opacity="0.8"/>',
            '<path d="M0,4 H8 M4,0 V8" stroke="#ffffff" stroke-opacity="0.7" stroke-width="1.5"/>',
            '<rect width="8" height="3" fill="#ffffff" fill-opacity="0.6"/>',
        ][number % 5]
        rotate = ' patternTransform="rotate(45)"' if number % 5 in (1, 3) else ""
        parts.append(
            f'<pattern id="{chart.chart_id}-fill-{number}" width="8" height="8"'
            f' patternUnits="userSpaceOnUse"{rotate}>'
            f'<rect width="8" height="8" fill="{colour}"/>{texture}</pattern>'
        )
    parts.append("</defs>")
    return "".join(parts)


def _legend_layout(chart: Chart) -> list[tuple[int, float]]:
    """Each series' legend entry as (row, x): left to right, wrapping at the width."""
    layout = []
    row, x = 0, float(LEFT)
    for series in chart.series:
        width = 28 + CHAR_WIDTH * len(series.label) + 18
        if x + width > WIDTH - RIGHT and x > LEFT:
            row, x = row + 1, float(LEFT)
        layout.append((row, x))
        x += width
    return layout


def _legend(chart: Chart, layout: Sequence[tuple[int, float]]) -> list[str]:
    parts = []
    for number, (series, (row, x)) in enumerate(zip(chart.series, layout, strict=True)):
        y = 12 + LEGEND_ROW * row + 8
        colour = COLOURS[number % len(COLOURS)]
        if chart.kind == "lines":
            dash = DASHES[number % len(DASHES)]
            dash_attribute = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 22:.1f}" y2="{y:.1f}"'
                f' stroke="{colour}" stroke-width="2"{dash_attribute}/>'
            )
            parts.append(_marker(number, x + 11, y, colour))
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="22" height="14"'
                f' fill="url(#{chart.chart_id}-fill-{number})" stroke="{colour}"/>'
            )
        parts.append(_text(x + 28, y + 4, series.label, fill=INK))
    return parts


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"/>'


def _text(x: float, y: float, text: str, *, fill: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )

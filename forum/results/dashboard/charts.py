"""Charts drawn on the server as inline SVG: no script, no CDN, nothing the site's
Content-Security-Policy refuses (no ``style`` attribute: colours come from classes in
static/css/dashboard.css; patterns are SVG ``<pattern>`` elements named by attribute).

Readable without colour: each series has its own pattern (solid, hatched, dotted) shown
in the legend, every bar carries its value in text, and the page puts the table of the
figures under each chart. Each SVG is ``role="img"`` with its ``<title>`` and ``<desc>``
named by ``aria-labelledby``. Texts are drawn at a size that stays legible on a phone:
the drawing is 340 units wide and the stylesheet caps how far it grows.
"""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from forum.core.formatting import number_filter

WIDTH = 340
FONT = 13  # units of the 340-wide drawing (static/css/dashboard.css sets the same size)
PATTERNS = ("solid", "hatch", "dots")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


def _defs(chart_id: str) -> str:
    """One pattern per series kind, named after the chart (ids stay unique on the page)."""
    return (
        "<defs>"
        f'<pattern id="{chart_id}-hatch" class="chart-pattern" width="6" height="6" patternUnits="userSpaceOnUse"'
        ' patternTransform="rotate(45)">'
        '<rect class="chart-fill-1" width="6" height="6"></rect>'
        '<rect class="chart-stripe" width="2.5" height="6"></rect></pattern>'
        f'<pattern id="{chart_id}-dots" class="chart-pattern" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect class="chart-fill-2" width="5" height="5"></rect>'
        '<circle class="chart-stripe" cx="2.5" cy="2.5" r="1.3"></circle></pattern>'
        "</defs>"
    )


def _fill(chart_id: str, index: int) -> str:
    kind = PATTERNS[index % len(PATTERNS)]
    if kind == "solid":
        return 'class="chart-bar chart-fill-0"'
    return f'class="chart-bar chart-outlined" fill="url(#{chart_id}-{kind})"'


def _open(chart_id: str, height: float, title: str, description: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        f"{_defs(chart_id)}"
    )


def _legend(chart_id: str, series: Sequence[Series], y: float) -> tuple[str, float]:
    """Swatches with their labels, wrapping onto new lines; returns the markup and the
    height it takes."""
    parts, x, line = [], 0.0, 0
    for index, item in enumerate(series):
        width = 18 + len(item.label) * FONT * 0.55 + 12
        if x and x + width > WIDTH:
            x, line = 0.0, line + 1
        top = y + line * (FONT + 8)
        parts.append(
            f'<rect {_fill(chart_id, index)} x="{x:.1f}" y="{top:.1f}" width="14" height="{FONT}"></rect>'
            f'<text class="chart-text" x="{x + 18:.1f}" y="{top + FONT - 2:.1f}">{escape(item.label)}</text>'
        )
        x += width
    return "".join(parts), (line + 1) * (FONT + 8) + 4


def horizontal_bars(
    chart_id: str,
    *,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_label: Callable[[int, int], str] | None = None,
    maximum: float | None = None,
) -> Markup:
    """One group of bars per category (its label on its own line above the bars, so long
    names fit a phone), one bar per series with its value written after it.
    ``value_label(series_index, category_index)`` gives the text (default: the number)."""
    bar, gap, label_h, group_gap = 14.0, 3.0, FONT + 4, 9.0
    legend, legend_h = _legend(chart_id, series, 0) if len(series) > 1 else ("", 0.0)
    group_h = label_h + len(series) * (bar + gap) + group_gap
    height = legend_h + max(len(categories), 1) * group_h
    top_value = maximum if maximum is not None else max((v for s in series for v in s.values), default=0)
    value_room = 96.0
    scale = (WIDTH - value_room) / top_value if top_value else 0.0
    parts = [_open(chart_id, height, title, description), legend]
    for c, category in enumerate(categories):
        y = legend_h + c * group_h
        parts.append(f'<text class="chart-text chart-category" x="0" y="{y + FONT:.1f}">{escape(category)}</text>')
        for s, item in enumerate(series):
            value = item.values[c]
            top = y + label_h + s * (bar + gap)
            length = max(value * scale, 1.5 if value else 0)
            text = value_label(s, c) if value_label else number_filter(value)
            end = maximum * scale if maximum is not None else length
            if maximum is not None:  # a share: the track shows where the whole would end
                parts.append(
                    f'<rect class="chart-track" x="0" y="{top:.1f}" width="{maximum * scale:.1f}" height="{bar:.0f}"></rect>'
                )
            parts.append(
                f'<rect {_fill(chart_id, s)} x="0" y="{top:.1f}" width="{length:.1f}" height="{bar:.0f}">'
                f"<title>{escape(category)} · {escape(item.label)}: {escape(text)}</title></rect>"
                f'<text class="chart-text chart-value" x="{end + 4:.1f}" y="{top + bar - 3:.1f}">'
                f"{escape(text)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def day_columns(
    chart_id: str,
    *,
    title: str,
    description: str,
    days: Sequence[date],
    values: Sequence[int],
    pattern: int = 0,
    day_label: Callable[[date], str] = lambda day: f"{day.day:02d}/{day.month:02d}",
) -> Markup:
    """One column per day with its own scale (a chart per measure, side by side on a
    wide screen): the axis names 0 and the highest value, the highest column and the last
    carry their value, every column its date and value in a tooltip; dates under the axis
    at the first, last and a few evenly spaced days."""
    height, left, right, top, bottom = 150.0, 34.0, 6.0, 18.0, 22.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    highest = max(values, default=0)
    count = max(len(days), 1)
    step = plot_w / count
    width = max(step * 0.8, 0.8)
    parts = [_open(chart_id, height, title, description)]
    base = top + plot_h
    parts.append(
        f'<line class="chart-axis" x1="{left}" y1="{base:.1f}" x2="{WIDTH - right}" y2="{base:.1f}"></line>'
        f'<text class="chart-text chart-tick" x="{left - 4}" y="{base:.1f}" text-anchor="end">0</text>'
    )
    if highest:
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{top:.1f}" x2="{WIDTH - right}" y2="{top:.1f}"></line>'
            f'<text class="chart-text chart-tick" x="{left - 4}" y="{top + 4:.1f}" text-anchor="end">'
            f"{number_filter(highest)}</text>"
        )
    labelled = {values.index(highest), len(values) - 1} if values and highest else set()
    ticks = _ticks(len(days))
    for i, (day, value) in enumerate(zip(days, values, strict=True)):
        x = left + i * step + (step - width) / 2
        h = value / highest * plot_h if highest else 0
        parts.append(
            f'<rect {_fill(chart_id, pattern)} x="{x:.1f}" y="{base - h:.1f}" width="{width:.1f}" height="{h:.1f}">'
            f"<title>{escape(day_label(day))}: {number_filter(value)}</title></rect>"
        )
        if i in labelled and value:
            parts.append(
                f'<text class="chart-text chart-value" x="{x + width / 2:.1f}" y="{base - h - 3:.1f}"'
                f' text-anchor="middle">{number_filter(value)}</text>'
            )
        if i in ticks:
            anchor = "start" if i == 0 and len(days) > 1 else ("end" if i == len(days) - 1 and len(days) > 1 else "middle")
            tick_x = x if anchor == "start" else (x + width if anchor == "end" else x + width / 2)
            parts.append(
                f'<text class="chart-text chart-tick" x="{tick_x:.1f}" y="{height - 6:.1f}" text-anchor="{anchor}">'
                f"{escape(day_label(day))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _ticks(count: int, most: int = 4) -> set[int]:
    """Indexes of the days named under the axis: the first, the last, evenly between."""
    if count <= most:
        return set(range(count))
    return {round(i * (count - 1) / (most - 1)) for i in range(most)}

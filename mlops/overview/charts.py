"""Small inline-SVG time charts for the overview page (no scripts, no external assets).

A chart is a few series of (time, value) points drawn on a shared time axis; each point can
carry its own colour and a tooltip (`<title>`), so a rejected run or a rolled-back deployment
stands out where it happened."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 30


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float
    color: str | None = None
    tip: str = ""


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    points: Sequence[Point]
    #: draw as steps (a value that holds until the next point: the serving version)
    step: bool = False
    line: bool = True


@dataclass(frozen=True)
class Chart:
    title: str
    series: Sequence[Series]
    value_format: str = "{:.4g}"
    #: a horizontal reference line (a threshold), with its label
    reference: tuple[float, str] | None = None
    integer_axis: bool = False
    extra_labels: list[str] = field(default_factory=list)


def render(chart: Chart) -> str:
    points = [p for s in chart.series for p in s.points]
    if not points:
        return f'<div class="chart empty"><h3>{escape(chart.title)}</h3><p>nothing recorded yet</p></div>'
    times = [p.at.timestamp() for p in points]
    values = [p.value for p in points]
    if chart.reference is not None:
        values.append(chart.reference[0])
    t0, t1 = min(times), max(times)
    v0, v1 = min(values), max(values)
    if chart.integer_axis:
        v0, v1 = v0 - 0.5, v1 + 0.5
    elif v0 == v1:
        v0, v1 = v0 - (abs(v0) * 0.1 or 1), v1 + (abs(v1) * 0.1 or 1)
    else:
        pad = (v1 - v0) * 0.08
        v0, v1 = v0 - pad, v1 + pad
    span_t = (t1 - t0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        if t1 == t0:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (at.timestamp() - t0) / span_t

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - v0) / (v1 - v0))

    out = [
        f'<div class="chart"><h3>{escape(chart.title)}</h3>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(chart.title)}">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#999"/>',
    ]
    for tick in _ticks(v0, v1, integer=chart.integer_axis):
        label = f"v{int(tick)}" if chart.integer_axis else chart.value_format.format(tick)
        out.append(
            f'<line x1="{LEFT}" y1="{y(tick):.1f}" x2="{WIDTH - RIGHT}" y2="{y(tick):.1f}" stroke="#eee"/>'
            f'<text x="{LEFT - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
        )
    first, last = min(p.at for p in points), max(p.at for p in points)
    for at, anchor in ((first, "start"), (last, "end")) if last != first else ((first, "middle"),):
        out.append(f'<text x="{x(at):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">{at:%Y-%m-%d %H:%M}</text>')
    if chart.reference is not None:
        level, label = chart.reference
        out.append(
            f'<line x1="{LEFT}" y1="{y(level):.1f}" x2="{WIDTH - RIGHT}" y2="{y(level):.1f}" stroke="#c0392b" '
            f'stroke-dasharray="4 3"/><text x="{WIDTH - RIGHT}" y="{y(level) - 3:.1f}" text-anchor="end" '
            f'fill="#c0392b">{escape(label)}</text>'
        )
    for series in chart.series:
        ordered = sorted(series.points, key=lambda p: p.at)
        if series.line and len(ordered) > 1:
            coords: list[str] = []
            for i, p in enumerate(ordered):
                if series.step and i:
                    coords.append(f"{x(p.at):.1f},{y(ordered[i - 1].value):.1f}")
                coords.append(f"{x(p.at):.1f},{y(p.value):.1f}")
            out.append(f'<polyline points="{" ".join(coords)}" fill="none" stroke="{series.color}" stroke-width="2"/>')
        for p in ordered:
            tip = f"<title>{escape(p.tip)}</title>" if p.tip else ""
            out.append(
                f'<circle cx="{x(p.at):.1f}" cy="{y(p.value):.1f}" r="4.5" fill="{p.color or series.color}" '
                f'stroke="#fff" stroke-width="1">{tip}</circle>'
            )
    out.append("</svg>")
    legend = "".join(f'<span style="background:{s.color}"></span>{escape(s.name)}' for s in chart.series) + "".join(
        chart.extra_labels
    )
    out.append(f'<p class="legend">{legend}</p></div>')
    return "".join(out)


def _ticks(low: float, high: float, *, integer: bool, count: int = 4) -> list[float]:
    if integer:
        first, last = int(low + 0.5), int(high - 0.5)
        stride = max(1, (last - first) // count or 1)
        return [float(v) for v in range(first, last + 1, stride)]
    step = (high - low) / count
    return [low + step * (i + 0.5) for i in range(count)]

"""Small server-side SVG charts: no JavaScript, no chart library, a few hundred bytes each.

Labels arrive already translated (the web view passes gettext strings, the docs script
English), and every text is escaped here, so callers can mark the result safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 44


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]
    color: str
    dashed: bool = False


@dataclass(frozen=True)
class Band:
    """A horizontal band behind the lines (e.g. a congestion grade)."""

    low: float
    high: float
    color: str
    label: str


def _nice_max(value: float) -> float:
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp  # pragma: no cover - the loop always returns


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.0f}" if v == int(v) else f"{v:.1f}"


def line_chart(
    x: Sequence[float],
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    bands: Sequence[Band] = (),
    markers: bool = False,
) -> str:
    """An SVG line chart; ``x`` is shared by all series. Polylines keep it small."""
    n = len(x)
    peak = max((v for s in series for v in s.values if math.isfinite(v)), default=0.0)
    y_max = _nice_max(peak * 1.05)
    x_min, x_max = (min(x), max(x)) if n else (0.0, 1.0)
    if x_max == x_min:
        x_max = x_min + 1
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(v: float) -> float:
        return LEFT + (v - x_min) / (x_max - x_min) * pw

    def py(v: float) -> float:
        return TOP + ph - min(v, y_max) / y_max * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for band in bands:
        if band.low >= y_max:
            continue
        top, bottom = py(min(band.high, y_max)), py(band.low)
        out.append(
            f'<rect x="{LEFT}" y="{top:.1f}" width="{pw}" height="{bottom - top:.1f}" '
            f'fill="{band.color}" opacity="0.15"><title>{escape(band.label)}</title></rect>'
        )
    for i in range(5):
        v = y_max * i / 4
        y = py(v)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    whole = all(float(xv).is_integer() for xv in x)
    for i in range(6):
        v = x_min + (x_max - x_min) * i / 5
        if whole:  # days and lane counts: label whole numbers only
            v = round(v)
        out.append(f'<text x="{px(v):.1f}" y="{TOP + ph + 16}" text-anchor="middle">{_fmt(v)}</text>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 6}" text-anchor="middle">{escape(x_label)}</text>')
    out.append(
        f'<text transform="translate(14 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
    for k, s in enumerate(series):
        points = " ".join(f"{px(xv):.1f},{py(yv):.1f}" for xv, yv in zip(x, s.values, strict=True))
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(f'<polyline points="{points}" fill="none" stroke="{s.color}" stroke-width="1.6"{dash}/>')
        if markers:
            out.extend(
                f'<circle cx="{px(xv):.1f}" cy="{py(yv):.1f}" r="3" fill="{s.color}"/>'
                for xv, yv in zip(x, s.values, strict=True)
            )
        lx = LEFT + 8 + k * 200
        out.append(f'<rect x="{lx}" y="{TOP + 6}" width="12" height="3" fill="{s.color}"/>')
        out.append(f'<text x="{lx + 16}" y="{TOP + 11}">{escape(s.label)}</text>')
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    y_label: str,
    references: Sequence[tuple[float, str]] = (),
) -> str:
    """Grouped bars, one group per label; dashed reference lines (targets) across."""
    peak = max([v for s in series for v in s.values] + [ref for ref, _label in references])
    y_max = _nice_max(peak * 1.05)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    groups = max(len(labels), 1)
    gw = pw / groups
    bw = gw * 0.7 / max(len(series), 1)

    def py(v: float) -> float:
        return TOP + ph - min(v, y_max) / y_max * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i in range(5):
        v = y_max * i / 4
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    for g, label in enumerate(labels):
        gx = LEFT + g * gw + gw * 0.15
        for k, s in enumerate(series):
            v = s.values[g]
            out.append(
                f'<rect x="{gx + k * bw:.1f}" y="{py(v):.1f}" width="{bw - 2:.1f}" '
                f'height="{TOP + ph - py(v):.1f}" fill="{s.color}"><title>{escape(s.label)}: {_fmt(v)}</title></rect>'
            )
            out.append(
                f'<text x="{gx + k * bw + bw / 2:.1f}" y="{py(v) - 3:.1f}" text-anchor="middle">{_fmt(v)}</text>'
            )
        cx = LEFT + g * gw + gw / 2
        out.append(f'<text x="{cx:.1f}" y="{TOP + ph + 16}" text-anchor="middle">{escape(label)}</text>')
    for ref, ref_label in references:
        y = py(ref)
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c00" stroke-dasharray="6 3"/>'
        )
        out.append(
            f'<text x="{LEFT + 4}" y="{y - 4:.1f}" fill="#c00">{escape(ref_label)}</text>'  # left: bars grow rightwards
        )
    for k, s in enumerate(series):
        lx = LEFT + 8 + k * 200
        out.append(f'<rect x="{lx}" y="{TOP + 6}" width="12" height="8" fill="{s.color}"/>')
        out.append(f'<text x="{lx + 16}" y="{TOP + 14}">{escape(s.label)}</text>')
    out.append(
        f'<text transform="translate(14 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    out.append("</svg>")
    return "".join(out)

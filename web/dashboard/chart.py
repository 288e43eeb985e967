"""Throughput as a bar chart in server-side SVG: no JavaScript, no chart library, no CDN.

The markup uses classes only (the Content-Security-Policy forbids inline styles); app.css
colours it. Each bar carries a <title> so a pointer or a screen reader gets the exact figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 34


@dataclass(frozen=True)
class Bar:
    label: str  # under the axis (may be skipped when bars are many)
    value: int
    title: str  # the full tooltip, e.g. "2026-11-20 09:00–10:00: 12"


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 5 × 10^n at or above `value` (at least 1), for the y axis."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if m * step >= value:
                return max(1, m * step)
        step *= 10


def bars_svg(bars: list[Bar], label: str, empty: str) -> Markup:
    """An SVG bar chart of `bars`; `label` is its accessible name, `empty` shown if all are 0."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((b.value for b in bars), default=0))
    ticks = 5 if top % 5 == 0 and top >= 5 else (2 if top % 2 == 0 else 1)
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(label)}" preserveAspectRatio="xMidYMid meet">']
    for i in range(ticks + 1):
        value = top * i // ticks
        y = TOP + plot_h - plot_h * value / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" '
                     f'y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 8}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{value}</text>')
    n = max(len(bars), 1)
    slot = plot_w / n
    gap = min(slot * 0.2, 6)
    every = max(1, -(-n // 24))  # at most ~24 labels under the axis
    for i, bar in enumerate(bars):
        x = LEFT + i * slot + gap / 2
        h = plot_h * bar.value / top
        y = TOP + plot_h - h
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" '
                     f'height="{max(h, 0):.1f}" rx="2"><title>{escape(bar.title)}</title></rect>')
        if bar.value and slot >= 22:
            parts.append(f'<text class="value" x="{x + (slot - gap) / 2:.1f}" y="{y - 4:.1f}" '
                         f'text-anchor="middle">{bar.value}</text>')
        if i % every == 0:
            parts.append(f'<text class="tick" x="{LEFT + i * slot + slot / 2:.1f}" '
                         f'y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                         f'{escape(bar.label)}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
                 f'y2="{TOP + plot_h}"/>')
    if not any(b.value for b in bars):
        parts.append(f'<text class="empty" x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" '
                     f'text-anchor="middle">{escape(empty)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every interpolated text is escaped above)

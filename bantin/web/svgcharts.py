"""Small bar charts as inline SVG, drawn on the server (no JavaScript, no matplotlib on a
page view). Every text is escaped; an empty series gives no chart but a sentence."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 360, 170
LEFT, BOTTOM, TOP = 40, 34, 14


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    axes: tuple[str, str],
    empty: str,
) -> Markup:
    """A vertical bar chart with axis labels and the value on each bar; `empty` when there
    is nothing to draw (all zero or no values)."""
    if not values or max(values) <= 0:
        return Markup('<p class="chart-empty">{}</p>').format(empty)
    x_label, y_label = axes
    top = max(values)
    plot_w, plot_h = WIDTH - LEFT - 6, HEIGHT - BOTTOM - TOP
    step = plot_w / len(values)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#444"/>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 6}" y2="{TOP + plot_h}" '
        'stroke="#444"/>',
        f'<text x="4" y="{TOP - 4}" font-size="9" fill="#333">{escape(y_label)}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="9" text-anchor="end">{top}</text>',
        f'<text x="{LEFT - 4}" y="{TOP + plot_h}" font-size="9" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = LEFT + i * step + step * 0.15
        y = TOP + plot_h - h
        cx = x + step * 0.35
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            'fill="#1f5f99"/>'
        )
        if value:
            parts.append(
                f'<text x="{cx:.1f}" y="{y - 2:.1f}" font-size="8" text-anchor="middle">'
                f"{value}</text>"
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{TOP + plot_h + 12}" font-size="8" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.0f}" y="{HEIGHT - 4}" font-size="9" '
        f'text-anchor="middle" fill="#333">{escape(x_label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))

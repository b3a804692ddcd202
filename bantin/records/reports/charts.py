"""Charts as SVG, drawn with matplotlib's object API on the Agg/SVG canvas.

No pyplot: it keeps global figure state, which leaks between the reports of a runner
thread. Text is Liberation Serif, the report's own face, where installed (else DejaVu
Sans, bundled with matplotlib; both cover every Vietnamese letter with its tone mark) and
is stored as paths, so the chart looks the same in a browser and in the PDF whatever
fonts the reader has.
"""

from __future__ import annotations

import io

from bantin.records.reports.document import Chart

PALETTE = ["#1f5f99", "#e07b00", "#3a923a", "#c0392b", "#7d5ba6", "#8c6d31", "#d35fb7"]


def render_svg(chart: Chart) -> str:
    """The chart as a standalone SVG document."""
    from matplotlib import font_manager, rcParams
    from matplotlib.figure import Figure

    from bantin.records.reports.fonts import SERIF, serif_faces

    for path in serif_faces().values():
        font_manager.fontManager.addfont(str(path))
    rcParams["font.family"] = [SERIF, "DejaVu Sans"] if serif_faces() else ["DejaVu Sans"]
    rcParams["svg.fonttype"] = "path"
    n = len(chart.categories)
    if chart.horizontal:
        fig = Figure(figsize=(7.5, max(2.5, 0.16 * n + 1.2)))
    else:
        fig = Figure(figsize=(7.5, 2.8))
    ax = fig.add_subplot()
    positions = list(range(n))
    series = list(chart.series.items())
    width = 0.8 if chart.stacked or len(series) <= 1 else 0.8 / len(series)
    base = [0.0] * n
    for i, (label, values) in enumerate(series):
        offset = 0.0 if chart.stacked else (i - (len(series) - 1) / 2) * width
        pos = [p + offset for p in positions]
        color = PALETTE[i % len(PALETTE)]
        if chart.horizontal:
            ax.barh(pos, values, height=width, left=base, label=label, color=color)
        else:
            ax.bar(pos, values, width=width, bottom=base, label=label, color=color)
        if chart.stacked:
            base = [b + v for b, v in zip(base, values, strict=True)]
    if chart.target is not None:
        line = ax.axvline if chart.horizontal else ax.axhline
        line(chart.target, color="#444", linestyle="--", linewidth=1, label=chart.target_label)
    if chart.horizontal:
        ax.set_yticks(positions, chart.categories, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(chart.value_label)
        ax.margins(y=0.01)
    else:
        ax.set_xticks(positions, chart.categories, fontsize=8, rotation=45, ha="right")
        ax.set_ylabel(chart.value_label)
    ax.set_title(chart.title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1 or chart.target is not None:
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()

"""Charts for reports as inline SVG (matplotlib), readable without any other file.

Text is drawn as outlines in DejaVu Sans, which ships with matplotlib and has every letter
of Welsh and Gaelic (ŵ ŷ â à …), so a chart looks the same on every device and in print.
A hidden (suppressed) figure gets no bar, only the word for "hidden". Charts are
decoration for sighted readers: every chart sits beside a table with the same figures.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence

from matplotlib.figure import Figure

COLOUR = "#1d70b8"
HIDDEN_COLOUR = "#505a5f"
FONT = "DejaVu Sans"


def bar_chart(labels: Sequence[str], percents: Sequence[float | None], lows: Sequence[float | None],
              highs: Sequence[float | None], *, hidden_word: str, description: str, axis_label: str) -> str:
    """A horizontal bar chart of percentages with 95% intervals, as an ``<svg>`` element."""
    wrapped = ["\n".join(textwrap.wrap(label, 28)) or " " for label in labels]
    lines = sum(max(1, w.count("\n") + 1) for w in wrapped)
    figure = Figure(figsize=(6.4, 0.55 + 0.32 * lines + 0.2 * len(labels)), dpi=72)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))[::-1]
    for y, percent, low, high in zip(positions, percents, lows, highs):
        if percent is None:
            axes.text(0.5, y, hidden_word, va="center", ha="left", fontsize=10, color=HIDDEN_COLOUR,
                      fontfamily=FONT, style="italic")
            continue
        axes.barh(y, percent, color=COLOUR, height=0.6)
        if low is not None and high is not None:
            axes.errorbar(percent, y, xerr=[[max(0.0, percent - low)], [max(0.0, high - percent)]], fmt="none",
                          ecolor="#0b0c0c",
                          capsize=3, linewidth=1)
    axes.set_yticks(positions, wrapped, fontsize=10, fontfamily=FONT)
    axes.set_xlim(0, 100)
    axes.set_xlabel(axis_label, fontsize=10, fontfamily=FONT)
    axes.tick_params(axis="x", labelsize=9)
    for label in axes.get_xticklabels():
        label.set_fontfamily(FONT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return _inline(buffer.getvalue(), description)


def _inline(svg: str, description: str) -> str:
    """The ``<svg>`` element alone, with no fixed size (it scales to the page) and a title."""
    start = svg.index("<svg")
    svg = svg[start:]
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    title = description.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{title}" class="chart"', 1)


def configure() -> None:
    """Outline text (no font needed to view) and no random ids, so output is reproducible."""
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["svg.hashsalt"] = "rightsaware"
    matplotlib.rcParams["font.family"] = FONT

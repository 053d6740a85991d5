"""What more than one picture draws with: the palette and matplotlib settings, axis helpers
(integer epochs, plain labels on log axes, tick labels that touch, titles that fit) and the
atomic save.

Imported only when a plot is drawn (it imports matplotlib), never by the package itself.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from nnrun.results.store import atomic_write_bytes
from nnrun.views.sweep import label_value

# Okabe & Ito (2008), the colour-blind-safe palette; the yellow comes last, it is faint on white.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442"]
GREY = "#C8C8C8"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DPI = 110

RC = {
    "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9, "axes.titlesize": 10,
    "figure.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#E6E6E6", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "legend.fontsize": 8, "legend.frameon": False,
}


def colour(index: int) -> str:
    """The palette's colour for the index-th line, group or class (it wraps round)."""
    return OKABE_ITO[index % len(OKABE_ITO)]


def marker(index: int) -> str:
    return MARKERS[index % len(MARKERS)]


def save(fig: Figure, out: Path, name: str) -> Path:
    """Render to memory, then write atomically: a plot interrupted half-way (Ctrl-C, a full
    disk) leaves the previous picture, never a truncated PNG."""
    path = out / name
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format=path.suffix.lstrip(".") or "png")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def integer_epochs(ax: Axes) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def plain_log_labels(axis: Any, low: float, high: float) -> None:
    """Fewer than three decades: ticks at 1, 2, 5 × 10^k labelled 0.02, 0.05, 0.1 rather than
    matplotlib's 2×10^-2 on every minor tick."""
    if low > 0 and math.log10(high / low) < 3:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.3g}"))
        axis.set_minor_formatter(NullFormatter())


def plain_log_ticks(ax: Axes, levels: list[float] | None) -> None:
    """A log x axis labelled 0.001, 0.01 (or at the grid's own values), never 2×10^1 3×10^1."""
    if levels is not None and len(levels) <= 8:
        ax.xaxis.set_major_locator(FixedLocator(levels))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: label_value(float(value))))
    ax.xaxis.set_minor_formatter(NullFormatter())


def wrap(text: str, inches: float, fontsize: float) -> str:
    """``text`` broken into lines no wider than ``inches`` at ``fontsize`` points (a character
    is about 0.55 of the font size wide), at the spaces after commas where it can."""
    width = max(12, int(inches * 72 / (0.55 * fontsize)))
    # never inside mathtext: its spaces are held by a character no text has
    parts = text.split("$")
    text = "$".join(part.replace(" ", "\0") if i % 2 else part for i, part in enumerate(parts))
    lines = []
    for line in text.split("\n"):
        lines += textwrap.wrap(line, width, break_on_hyphens=False) or [""]
    return "\n".join(lines).replace("\0", " ")


def suptitle(fig: Figure, text: str) -> None:
    """The figure's title, broken into lines that fit its width (a one-panel picture is
    narrow)."""
    size = float(RC["figure.titlesize"])
    fig.suptitle(wrap(text, fig.get_figwidth() - 0.3, size))


def separate_tick_labels(fig: Figure, ax: Axes) -> None:
    """When two x tick labels touch as matplotlib draws them ("momentumnesterov"), set them a
    little smaller, and if that is not enough, upright."""
    for step in ("smaller", "upright"):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        labels = [label for label in ax.get_xticklabels() if label.get_text()]
        boxes = sorted((label.get_window_extent(renderer).padded(2) for label in labels),
                       key=lambda box: box.x0)
        if not any(a.x1 > b.x0 for a, b in zip(boxes, boxes[1:], strict=False)):
            return
        for label in labels:
            if step == "smaller":
                label.set_fontsize(7.5)
            else:
                label.set_rotation(90)

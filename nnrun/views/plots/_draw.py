"""What more than one picture draws with: the palette and matplotlib settings, axis helpers
(integer epochs, plain labels on log axes, crowded tick labels) and the atomic save.

Imported only when a plot is drawn (it imports matplotlib), never by the package itself.
"""

from __future__ import annotations

import io
import math
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


def crowded(labels: list[str], inches: float) -> bool:
    """Would the longest tick label (about 6.5 px a character) overflow its share of the axis?"""
    return max(len(label) for label in labels) * 6.5 > 0.9 * DPI * inches / len(labels)

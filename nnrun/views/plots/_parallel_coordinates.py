"""parallel_coordinates.png: one line a trial through an axis per swept parameter and one for
the metric, coloured by the metric (random searches, and grids of three parameters or more)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize

from nnrun.views.plots._draw import save, suptitle
from nnrun.views.plots._gather import categories, is_grid, is_log_scaled, is_numeric, no_data
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, short_names

FILE_NAME = "parallel_coordinates.png"

_Ticks = tuple[list[float], list[str]]  # where an axis is labelled, from 0 to 1, and with what


class _ParallelCoordinatesInfo(NamedTuple):
    name: str
    metric: str
    metric_label: str
    goal_words: str
    maximize: bool
    axis_names: list[str]     # the swept parameters, then the metric
    positions: np.ndarray     # (trial, axis): where each line crosses each axis, from 0 to 1
    ticks: list[_Ticks]       # one an axis
    scores: np.ndarray        # the metric of each trial, worst first: the best lines on top
    missing: int              # the trials without a metric, not drawn


def gather(sweep: SweepResults,
           say: Callable[[str], None]) -> _ParallelCoordinatesInfo | None:
    if not sweep.parameters or (is_grid(sweep) and len(sweep.parameters) < 3):
        return None
    scored = sweep.ranked().iloc[::-1]  # worst first, so the best lines are drawn on top
    if len(scored) < 2:
        no_data("parallel coordinates", say)
        return None
    keys = [*sweep.parameters, sweep.metric]
    positions = np.zeros((len(scored), len(keys)))
    ticks: list[_Ticks] = []
    for k, key in enumerate(keys):
        positions[:, k], axis_ticks = _axis(sweep, scored, key)
        ticks.append(axis_ticks)
    names = short_names(sweep.parameters)
    axis_names = [names.get(k, k) + (" (log)" if k != sweep.metric and is_log_scaled(sweep, k)
                                     else "") for k in keys]
    return _ParallelCoordinatesInfo(
        name=sweep.name, metric=sweep.metric, metric_label=sweep.metric_label(),
        goal_words=sweep.goal_words(), maximize=sweep.maximize, axis_names=axis_names,
        positions=positions, ticks=ticks, scores=scored[sweep.metric].to_numpy(float),
        missing=len(sweep.summary) - len(scored))


def _axis(sweep: SweepResults, scored: pd.DataFrame, key: str) -> tuple[Any, _Ticks]:
    """Where each trial crosses the axis of ``key``, and the axis's labels."""
    column = scored[key]
    if key != sweep.metric and not is_numeric(sweep, key):
        levels = categories(sweep, key)
        where = {v: i / max(len(levels) - 1, 1) for i, v in enumerate(levels)}
        return ([where.get(v, np.nan) for v in column],
                ([where[v] for v in levels], [label_value(v) for v in levels]))
    log = key != sweep.metric and is_log_scaled(sweep, key)
    x = column.to_numpy(float)
    t = np.log10(x) if log else x
    low, high = float(np.nanmin(t)), float(np.nanmax(t))
    span = high - low or 1.0
    marks = np.linspace(low, high, 5) if high > low else np.array([low])
    labels = [label_value(float(10 ** m if log else m)) for m in marks]
    if high > low:
        return (t - low) / span, (list((marks - low) / span), labels)
    return 0.5, ([0.5], labels)


def draw(info: _ParallelCoordinatesInfo, out: Path) -> Picture:
    n_axes = len(info.axis_names)
    fig, ax = plt.subplots(figsize=(max(6.5, 1.9 * n_axes + 1.5), 4.8), layout="constrained")
    norm, extend = colour_norm(info.scores, info.maximize)
    cmap = plt.get_cmap("viridis" if info.maximize else "viridis_r")
    segments = [np.column_stack([np.arange(n_axes), row]) for row in info.positions]
    lines = LineCollection(segments, cmap=cmap, norm=norm, linewidths=1.3, alpha=0.85)
    lines.set_array(info.scores)
    ax.add_collection(lines)
    _draw_axes(ax, info.ticks)
    ax.set_xticks(range(n_axes), info.axis_names)
    ax.set_xlim(-0.15, n_axes - 1 + 0.45)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("swept parameter (each axis spans its own range; values printed on the axis)")
    bar = fig.colorbar(lines, ax=ax, pad=0.01, extend=extend)
    bar.set_label(f"{info.metric_label}, {info.goal_words}")
    drawn = len(info.scores)
    suptitle(fig, f"{info.name}: {drawn} trials through the swept parameters, coloured by "
                  f"{info.metric}" + (f" ({info.missing} without a {info.metric} not shown)"
                                      if info.missing else ""))
    path = save(fig, out, FILE_NAME)
    caption = (f"Each line is one trial, passing through its value of every swept parameter and "
               f"ending at its {info.metric}; brighter lines are better and are drawn on top.")
    return Picture(path, "Parallel coordinates", caption)


def colour_norm(scores: np.ndarray, maximize: bool) -> tuple[Normalize, str]:
    """A colour scale set by the bulk of the trials, not by the one worst: the worst tenth
    share the end colour (the colour bar's arrow says so); the best end is the best trial.
    Scores that span decades (losses) get a log scale."""
    best = float(scores.max() if maximize else scores.min())
    worst = float(np.percentile(scores, 10 if maximize else 90))
    extreme = float(scores.min() if maximize else scores.max())
    low, high = sorted((best, worst))
    if low == high:
        low, high = sorted((best, extreme))
    if low == high:
        return Normalize(low - 0.5, high + 0.5), "neither"
    clipped = extreme != worst
    extend = ("min" if maximize else "max") if clipped else "neither"
    if low > 0 and high / low > 30:
        return LogNorm(low, high), extend
    return Normalize(low, high), extend


def _draw_axes(ax: Axes, ticks: list[_Ticks]) -> None:
    """A vertical line an axis, its values printed beside it on a light box."""
    for k, (where, labels) in enumerate(ticks):
        ax.axvline(k, color="#333333", linewidth=0.9, zorder=0)
        for y, label in zip(where, labels, strict=True):
            ax.text(k + 0.04, y, label, fontsize=7.5, va="center", ha="left",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})

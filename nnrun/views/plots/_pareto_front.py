"""pareto_front.png: the configurations of a sweep with several objectives, one point each (the
mean over its repeats), the Pareto front in colour and joined by its staircase, the dominated
ones in grey.

Two objectives: one panel, the first metric across, the second up. More: one panel per pair of
objectives (at most 6, the first four metrics), the front being the front of all objectives, so
a point of the front may look dominated in a panel that does not show the objective it wins in;
no staircase then, since it is drawn only where the front lives in the panel's two dimensions.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np

from nnrun.views.plots._draw import GREY, colour, save
from nnrun.views.plots._gather import no_data
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, metric_label

FILE_NAME = "pareto_front.png"
MAX_OBJECTIVES = 4  # pairs of the first four metrics: six panels
MAX_LABELS = 12     # front points labelled with their configuration


class _ParetoInfo(NamedTuple):
    name: str
    metrics: list[str]
    labels: list[str]        # each metric with its unit
    goals: list[str]
    values: np.ndarray       # (configuration, objective): means over repeats
    pareto: np.ndarray       # on the front (of every objective)
    configs: list[str]       # each configuration's label
    missing: int             # configurations without a value of every objective, not drawn


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _ParetoInfo | None:
    if len(sweep.objectives) < 2:
        return None
    front = sweep.front()
    if len(front) < 2:
        no_data("Pareto front", say)
        return None
    objectives = sweep.objectives[:MAX_OBJECTIVES]
    metrics = [metric for metric, _ in objectives]
    loss = sweep.config.get("loss")
    n_configs = sweep.summary["config"].nunique()
    return _ParetoInfo(
        name=sweep.name, metrics=metrics,
        labels=[metric_label(m, loss, "loss" in sweep.parameters) for m in metrics],
        goals=[goal for _, goal in objectives], values=front[metrics].to_numpy(dtype=float),
        pareto=front["pareto"].to_numpy(dtype=bool), configs=list(front["config"]),
        missing=n_configs - len(front))


def draw(info: _ParetoInfo, out: Path) -> Picture:
    pairs = list(itertools.combinations(range(len(info.metrics)), 2))
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 4.6 * rows), squeeze=False)
    for ax, (x, y) in zip(axes.flat, pairs, strict=False):
        _panel(ax, info, x, y, staircase=len(info.metrics) == 2)
    for ax in list(axes.flat)[len(pairs):]:
        ax.set_visible(False)
    on_front = int(info.pareto.sum())
    fig.suptitle(f"{info.name}: Pareto front, {on_front} of {len(info.pareto)} "
                 f"configurations")
    fig.tight_layout()
    path = save(fig, out, FILE_NAME)
    goals = ", ".join(f"{m} ({'higher' if g == 'maximize' else 'lower'} is better)"
                      for m, g in zip(info.metrics, info.goals, strict=True))
    caption = (f"Each configuration at the mean of its repeats, for {goals}. In colour the "
               f"{on_front} configurations of the Pareto front: no other is as good in every "
               f"metric and better in one; grey, the dominated ones.")
    if len(info.metrics) > 2:
        caption += (" One panel per pair of metrics; the front is that of all the metrics, so "
                    "a front point can look dominated in a panel that leaves out the metric "
                    "it wins in.")
    if info.missing:
        caption += f" {info.missing} configurations without every metric are not drawn."
    return Picture(path, "Pareto front", caption)


def _panel(ax: plt.Axes, info: _ParetoInfo, x: int, y: int, staircase: bool) -> None:
    xs, ys, front = info.values[:, x], info.values[:, y], info.pareto
    ax.scatter(xs[~front], ys[~front], s=22, color=GREY, label="dominated", zorder=2)
    ax.scatter(xs[front], ys[front], s=34, color=colour(0), label="Pareto front", zorder=3)
    if staircase and front.sum() > 1:
        _staircase(ax, xs[front], ys[front], info.goals[x], info.goals[y])
    for index in np.flatnonzero(front)[:MAX_LABELS]:
        ax.annotate(info.configs[index], (xs[index], ys[index]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points", color="#333333")
    for values, set_scale in ((xs, ax.set_xscale), (ys, ax.set_yscale)):
        if _spans_decades(values):
            set_scale("log")
    ax.set_xlabel(_with_goal(info.labels[x], info.goals[x]))
    ax.set_ylabel(_with_goal(info.labels[y], info.goals[y]))
    ax.legend(loc="best")


def _staircase(ax: plt.Axes, xs: np.ndarray, ys: np.ndarray, x_goal: str, y_goal: str) -> None:
    """The front's attainment line, the edge of what the front dominates: the points from the
    best x to the worst, each one's y held until the next one's x."""
    order = np.argsort(xs if x_goal == "minimize" else -xs, kind="stable")
    xs, ys = xs[order], ys[order]
    ax.step(xs, ys, where="post", color=colour(0), linewidth=1.0, alpha=0.7, zorder=1)


def _spans_decades(values: np.ndarray) -> bool:
    """A log axis for positive values over two decades or more (n_parameters, mostly)."""
    values = values[np.isfinite(values)]
    return bool(len(values) and values.min() > 0 and values.max() / values.min() >= 100)


def _with_goal(label: str, goal: str) -> str:
    return f"{label}, {'higher' if goal == 'maximize' else 'lower'} is better"

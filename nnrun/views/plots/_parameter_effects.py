"""parameter_effects.png: the metric against each swept parameter, a dot a trial (jittered so
that repeats do not hide each other) and the mean of the trials that share a value."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from nnrun.views.plots._draw import colour, crowded, plain_log_labels, plain_log_ticks, save
from nnrun.views.plots._gather import categories, is_grid, is_log_scaled, is_numeric, no_data
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, param_label, short_names

FILE_NAME = "parameter_effects.png"


class _EffectPanel(NamedTuple):
    parameter: str
    title: str
    numeric: bool
    shown: np.ndarray                  # where each trial's dot sits on the x axis, jittered
    levels: list[Any]                  # numeric: the distinct values; else the categories
    means: list[float] | None          # the metric's mean per level (numeric: few levels only)
    log: bool                          # a log x axis
    few: bool                          # numeric: few enough levels to draw their means
    xlim: tuple[float, float] | None


class _ParameterEffectsInfo(NamedTuple):
    name: str
    metric: str
    metric_label: str
    goal_words: str
    values: np.ndarray                 # the metric of each trial (NaN: none)
    no_score: np.ndarray               # the trials without one, crosses on the bottom edge
    panels: list[_EffectPanel]         # one a swept parameter


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _ParameterEffectsInfo | None:
    if not sweep.parameters:
        return None
    if not len(sweep.scored()):
        no_data("parameter effects", say)
        return None
    rng = np.random.default_rng(0)
    values = sweep.summary[sweep.metric].to_numpy(float)
    no_score = ~np.isfinite(values)
    names = short_names(sweep.parameters)
    panels = []
    for parameter in sweep.parameters:
        panel = _numeric_panel if is_numeric(sweep, parameter) else _category_panel
        title = f"{sweep.metric} against {names[parameter]}"
        panels.append(panel(sweep, parameter, title, rng, values, no_score))
    return _ParameterEffectsInfo(sweep.name, sweep.metric, sweep.metric_label(),
                                 sweep.goal_words(), values, no_score, panels)


def _numeric_panel(sweep: SweepResults, parameter: str, title: str, rng: np.random.Generator,
                   values: np.ndarray, no_score: np.ndarray) -> _EffectPanel:
    column = sweep.summary[parameter]
    x = column.to_numpy(float)
    log = is_log_scaled(sweep, parameter)
    few = is_grid(sweep) or column.nunique() <= 12 and column.nunique() < len(column)
    jitter = rng.uniform(-1, 1, len(x)) * (0.04 if few else 0.0)
    shown = x * np.exp(jitter * 2) if log else x + jitter * _step(x)
    levels = sorted(set(x[np.isfinite(x)]))
    means = _level_means(x, levels, values, no_score) if few else None
    # The crosses sit on the axis edge, outside autoscaling: make room for them by hand.
    everywhere = shown[np.isfinite(shown)]
    xlim = None
    if len(everywhere):
        low, high = float(everywhere.min()), float(everywhere.max())
        if log:
            xlim = (low / 1.4, high * 1.4)
        else:
            pad = 0.05 * (high - low or abs(high) or 1.0)
            xlim = (low - pad, high + pad)
    return _EffectPanel(parameter, title, True, shown, levels, means, log, few, xlim)


def _category_panel(sweep: SweepResults, parameter: str, title: str, rng: np.random.Generator,
                    values: np.ndarray, no_score: np.ndarray) -> _EffectPanel:
    levels = categories(sweep, parameter)
    position = {v: i for i, v in enumerate(levels)}
    x = np.array([position.get(v, np.nan) for v in sweep.summary[parameter]], dtype=float)
    shown = x + rng.uniform(-0.18, 0.18, len(x))
    means = _level_means(x, range(len(levels)), values, no_score)
    return _EffectPanel(parameter, title, False, shown, levels, means, False, True,
                        (-0.6, len(levels) - 0.4))


def _level_means(x: np.ndarray, levels: Sequence[float], values: np.ndarray,
                 no_score: np.ndarray) -> list[float]:
    """The mean metric of the scored trials at each level of x (NaN where none is scored)."""
    return [np.mean(values[(x == v) & ~no_score]) if ((x == v) & ~no_score).any() else np.nan
            for v in levels]


def _step(x: np.ndarray) -> float:
    """The smallest gap between distinct values, to jitter by a fraction of it."""
    levels = np.unique(x[np.isfinite(x)])
    return float(np.diff(levels).min()) if len(levels) > 1 else 1.0


def draw(info: _ParameterEffectsInfo, out: Path) -> Picture:
    n = len(info.panels)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(7.0, 4.3 * ncols + 0.3)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 3.7 * nrows + 0.8),
                             layout="constrained", squeeze=False, sharey=True)
    for ax, panel in zip(axes.flat, info.panels, strict=False):
        _dots(ax, panel.shown, info.values, info.no_score)
        if panel.numeric:
            _draw_numeric(ax, panel)
        else:
            _draw_categories(ax, panel, width / ncols - 0.6)
        ax.set_xlabel(param_label(panel.parameter))
        ax.set_title(panel.title)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    _metric_axis(axes, info)
    handles = _legend(info)
    fig.legend(handles=handles, loc="outside lower center",
               ncol=len(handles) if width >= 8.5 else 2)
    fig.suptitle(f"{info.name}: {info.metric} against each swept parameter "
                 f"({info.goal_words})")
    path = save(fig, out, FILE_NAME)
    unscored = int(info.no_score.sum())
    caption = (f"{info.metric} of each trial (dots) against each swept parameter, with the "
               f"mean of the trials that share a value (black diamonds)"
               + (f"; crosses on the bottom edge mark {unscored} trials without a "
                  f"{info.metric}." if unscored else "."))
    return Picture(path, "Hyperparameter effects", caption)


def _dots(ax: Axes, x: np.ndarray, values: np.ndarray, no_score: np.ndarray) -> None:
    """A dot a trial at its metric; a cross on the bottom edge for a trial without one."""
    ax.scatter(x[~no_score], values[~no_score], s=14, color=colour(0), alpha=0.55,
               linewidths=0, zorder=2)
    bottom = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.scatter(x[no_score], np.full(no_score.sum(), 0.02), s=22, marker="x", color=colour(3),
               transform=bottom, zorder=3, clip_on=False)


def _draw_numeric(ax: Axes, panel: _EffectPanel) -> None:
    if panel.few:
        ax.plot(panel.levels, panel.means, "-D", color="#000000", markersize=4.5, linewidth=1.3,
                zorder=4)
    if panel.log:
        ax.set_xscale("log")
        plain_log_ticks(ax, panel.levels if panel.few else None)
    if panel.xlim:
        ax.set_xlim(*panel.xlim)


def _draw_categories(ax: Axes, panel: _EffectPanel, inches: float) -> None:
    ax.plot(range(len(panel.levels)), panel.means, "D", color="#000000", markersize=6, zorder=4)
    names = [label_value(v) for v in panel.levels]
    ax.set_xticks(range(len(panel.levels)), names, rotation=20 if crowded(names, inches) else 0)
    ax.set_xlim(*panel.xlim)


def _metric_axis(axes: np.ndarray, info: _ParameterEffectsInfo) -> None:
    """The shared y axis: the metric, on a log scale when the scores span more than 30×."""
    for ax in axes[:, 0]:
        ax.set_ylabel(info.metric_label)
    scores = info.values[~info.no_score]
    if scores.min() > 0 and scores.max() / scores.min() > 30:
        # One blown-up learning rate must not flatten every other trial against the floor.
        axes[0, 0].set_yscale("log")  # the axes share y
        plain_log_labels(axes[0, 0].yaxis, float(scores.min()), float(scores.max()))
        for ax in axes[:, 0]:
            ax.set_ylabel(f"{info.metric_label} (log scale)")


def _legend(info: _ParameterEffectsInfo) -> list[Line2D]:
    handles = [Line2D([], [], linestyle="", marker="o", color=colour(0), alpha=0.55,
                      label="one trial"),
               Line2D([], [], linestyle="", marker="D", color="#000000",
                      label="mean of the trials with that value")]
    if info.no_score.any():
        handles.append(Line2D([], [], linestyle="", marker="x", color=colour(3),
                              label=f"no {info.metric} (diverged or failed)"))
    return handles

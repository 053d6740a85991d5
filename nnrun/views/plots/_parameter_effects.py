"""parameter_effects.png: the metric against each swept parameter, a dot a trial (jittered so
that repeats do not hide each other) and the median of the trials that share a value.

The median, not the mean: one blown-up learning rate must not drag its optimizer's mark to
where no trial lies. Unlike trials are kept apart: with a categorical parameter such as the
activation swept, each of its values has its own colour and its own medians (sigmoid and relu
are not averaged together); trials that successive halving stopped after a few epochs are
coloured by the epochs they trained, with no median at all.
"""

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

from nnrun.views.plots._draw import (
    colour,
    plain_log_labels,
    plain_log_ticks,
    save,
    separate_tick_labels,
    suptitle,
)
from nnrun.views.plots._gather import (
    categories,
    colour_parameter,
    is_budgeted,
    is_grid,
    is_log_scaled,
    is_numeric,
    no_data,
)
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, param_label, short_names

FILE_NAME = "parameter_effects.png"


class _EffectPanel(NamedTuple):
    parameter: str
    title: str
    numeric: bool
    shown: np.ndarray                  # where each trial's dot sits on the x axis, jittered
    levels: list[Any]                  # numeric: the distinct values; else the categories
    medians: list[list[float]] | None  # per colour group, the metric's median per level
    log: bool                          # a log x axis
    few: bool                          # numeric: few enough levels to draw their medians
    xlim: tuple[float, float] | None


class _ParameterEffectsInfo(NamedTuple):
    name: str
    metric: str
    metric_label: str
    goal_words: str
    values: np.ndarray                 # the metric of each trial (NaN: none)
    no_score: np.ndarray               # the trials without one, crosses on the bottom edge
    panels: list[_EffectPanel]         # one a swept parameter
    colour_by: str | None              # what the colours tell apart: a parameter, "epochs"
    group_names: list[str]             # the colour groups' labels (one group: [""])
    group: np.ndarray                  # each trial's colour group


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
    colour_by, group_names, group = _colour_groups(sweep, names)
    panels = []
    for parameter in sweep.parameters:
        panel = _numeric_panel if is_numeric(sweep, parameter) else _category_panel
        title = f"{sweep.metric} against {names[parameter]}"
        # The medians of a panel keep its colour groups apart, except in the panel of the
        # colouring parameter itself (one group a level there anyway); halving: no medians.
        own = colour_by == parameter or colour_by is None
        groups = (None if colour_by == "epochs"
                  else [np.ones(len(values), bool)] if own
                  else [group == g for g in range(len(group_names))])
        panels.append(panel(sweep, parameter, title, rng, values, no_score, groups))
    return _ParameterEffectsInfo(sweep.name, sweep.metric, sweep.metric_label(),
                                 sweep.goal_words(), values, no_score, panels, colour_by,
                                 group_names, group)


def _colour_groups(sweep: SweepResults,
                   names: dict[str, str]) -> tuple[str | None, list[str], np.ndarray]:
    """What tells the dots apart by colour: the epochs trained (successive halving), a
    categorical parameter's values, or nothing."""
    summary = sweep.summary
    if is_budgeted(sweep) and "epochs_run" in summary.columns:
        epochs = summary["epochs_run"].fillna(0).astype(int).to_numpy()
        levels = sorted(set(epochs))
        index = {e: i for i, e in enumerate(levels)}
        return "epochs", [f"{e} epochs" for e in levels], np.array([index[e] for e in epochs])
    key = colour_parameter(sweep)
    if key is None:
        return None, [""], np.zeros(len(summary), int)
    levels = categories(sweep, key)
    index = {v: i for i, v in enumerate(levels)}
    group = np.array([index.get(v, 0) for v in summary[key]])
    return key, [f"{names[key]}={label_value(v)}" for v in levels], group


def _numeric_panel(sweep: SweepResults, parameter: str, title: str, rng: np.random.Generator,
                   values: np.ndarray, no_score: np.ndarray,
                   groups: list[np.ndarray] | None) -> _EffectPanel:
    column = sweep.summary[parameter]
    x = column.to_numpy(float)
    log = is_log_scaled(sweep, parameter)
    few = is_grid(sweep) or column.nunique() <= 12 and column.nunique() < len(column)
    jitter = rng.uniform(-1, 1, len(x)) * (0.04 if few else 0.0)
    shown = x * np.exp(jitter * 2) if log else x + jitter * _step(x)
    levels = sorted(set(x[np.isfinite(x)]))
    medians = ([_level_medians(x, levels, values, no_score | ~mine) for mine in groups]
               if few and groups is not None else None)
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
    return _EffectPanel(parameter, title, True, shown, levels, medians, log, few, xlim)


def _category_panel(sweep: SweepResults, parameter: str, title: str, rng: np.random.Generator,
                    values: np.ndarray, no_score: np.ndarray,
                    groups: list[np.ndarray] | None) -> _EffectPanel:
    levels = categories(sweep, parameter)
    position = {v: i for i, v in enumerate(levels)}
    x = np.array([position.get(v, np.nan) for v in sweep.summary[parameter]], dtype=float)
    shown = x + rng.uniform(-0.18, 0.18, len(x))
    medians = (None if groups is None else
               [_level_medians(x, range(len(levels)), values, no_score | ~mine)
                for mine in groups])
    return _EffectPanel(parameter, title, False, shown, levels, medians, False, True,
                        (-0.6, len(levels) - 0.4))


def _level_medians(x: np.ndarray, levels: Sequence[float], values: np.ndarray,
                   left_out: np.ndarray) -> list[float]:
    """The median metric at each level of x of the trials not ``left_out`` (NaN: none)."""
    return [float(np.median(values[(x == v) & ~left_out])) if ((x == v) & ~left_out).any()
            else np.nan for v in levels]


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
        _dots(ax, panel.shown, info)
        if panel.numeric:
            _draw_numeric(ax, panel, info)
        else:
            _draw_categories(ax, panel, info)
        ax.set_xlabel(param_label(panel.parameter))
        ax.set_title(panel.title)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    _metric_axis(axes, info)
    handles = _legend(info)
    fig.legend(handles=handles, loc="outside lower center",
               ncol=min(len(handles), max(2, int(width // 2.3))))
    suptitle(fig, f"{info.name}: {info.metric} against each swept parameter "
                  f"({info.goal_words})")
    for ax in axes.flat[:n]:
        separate_tick_labels(fig, ax)
    path = save(fig, out, FILE_NAME)
    return Picture(path, "Hyperparameter effects", _caption(info))


def _caption(info: _ParameterEffectsInfo) -> str:
    unscored = int(info.no_score.sum())
    if info.colour_by == "epochs":
        marks = (", coloured by the epochs each trained: successive halving stopped most "
                 "after a few epochs, so their scores are not comparable and no median is drawn")
    elif info.colour_by:
        marks = (f", coloured by {info.colour_by}, with the median of the trials that share a "
                 f"value and a {info.colour_by} (diamonds)")
    else:
        marks = ", with the median of the trials that share a value (black diamonds)"
    return (f"{info.metric} of each trial (dots) against each swept parameter{marks}"
            + (f"; crosses on the bottom edge mark {unscored} trials without a "
               f"{info.metric}." if unscored else "."))


def _group_colour(info: _ParameterEffectsInfo, group: int) -> str:
    return colour(group) if info.colour_by else "#000000"


def _dots(ax: Axes, x: np.ndarray, info: _ParameterEffectsInfo) -> None:
    """A dot a trial at its metric, in its group's colour; a cross on the bottom edge for a
    trial without one."""
    values, no_score = info.values, info.no_score
    colours = np.array([colour(g if info.colour_by else 0) for g in info.group])
    ax.scatter(x[~no_score], values[~no_score], s=14, c=colours[~no_score], alpha=0.55,
               linewidths=0, zorder=2)
    bottom = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.scatter(x[no_score], np.full(no_score.sum(), 0.02), s=22, marker="x", color=colour(3),
               transform=bottom, zorder=3, clip_on=False)


def _draw_numeric(ax: Axes, panel: _EffectPanel, info: _ParameterEffectsInfo) -> None:
    if panel.few and panel.medians is not None:
        one = len(panel.medians) == 1
        for g, medians in enumerate(panel.medians):
            ax.plot(panel.levels, medians, "-D", markersize=4.5, linewidth=1.3, zorder=4,
                    color="#000000" if one else _group_colour(info, g),
                    markeredgecolor="#000000", markeredgewidth=0.5)
    if panel.log:
        ax.set_xscale("log")
        plain_log_ticks(ax, panel.levels if panel.few else None)
    elif panel.few and len(panel.levels) <= 8:  # a grid's values, as written: 0 and 0.0003
        ax.set_xticks(panel.levels, [label_value(float(v)) for v in panel.levels])
    if panel.xlim:
        ax.set_xlim(*panel.xlim)


def _draw_categories(ax: Axes, panel: _EffectPanel, info: _ParameterEffectsInfo) -> None:
    if panel.medians is not None:
        one = len(panel.medians) == 1
        for g, medians in enumerate(panel.medians):
            ax.plot(range(len(panel.levels)), medians, "D", markersize=6, zorder=4,
                    color="#000000" if one else _group_colour(info, g),
                    markeredgecolor="#000000", markeredgewidth=0.5)
    ax.set_xticks(range(len(panel.levels)), [label_value(v) for v in panel.levels])
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
    if info.colour_by:
        handles = [Line2D([], [], linestyle="", marker="o", color=colour(g), label=name)
                   for g, name in enumerate(info.group_names)]
    else:
        handles = [Line2D([], [], linestyle="", marker="o", color=colour(0), alpha=0.55,
                          label="one trial")]
    if info.colour_by != "epochs":
        handles.append(Line2D([], [], linestyle="", marker="D", color="#000000",
                              markerfacecolor="#FFFFFF" if info.colour_by else "#000000",
                              label="median of the trials with that value"))
    if info.no_score.any():
        handles.append(Line2D([], [], linestyle="", marker="x", color=colour(3),
                              label=f"no {info.metric} (diverged or failed)"))
    return handles

"""learning_curves.png: loss (and accuracy) against epoch, the best configurations in colour
over the others in grey, with a band from the lowest to the highest repeat."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from nnrun import vocabulary
from nnrun.views.plots._draw import (
    GREY,
    colour,
    integer_epochs,
    plain_log_labels,
    save,
    suptitle,
    wrap,
)
from nnrun.views.plots._gather import no_data
from nnrun.views.report import Picture
from nnrun.views.sweep import LOSS_NAMES, SweepResults, label_value

FILE_NAME = "learning_curves.png"
TOP_CONFIGS = 5  # this many configurations highlighted over the grey rest


class _LearningCurvesInfo(NamedTuple):
    name: str
    metric: str
    curves: dict[str, pd.DataFrame]   # configuration label -> per-epoch mean over its repeats
    lowest: dict[str, pd.DataFrame]   # the per-epoch minimum over repeats (several repeats only)
    highest: dict[str, pd.DataFrame]  # and the maximum
    top: list[str]                    # the best configurations, best first
    rest: list[str]                   # the others, drawn in grey
    means: dict[str, float]           # the metric of each configuration in top
    kinds: list[str]                  # one panel each: "loss", and "accuracy" to classify
    ylabels: list[str]                # their axis labels
    repeats: int                      # the most repeats of any configuration
    healthy: set[str]                 # configurations with a trial ok or stopped: they frame y


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _LearningCurvesInfo | None:
    if not sweep.metrics:
        no_data("learning curves", say)
        return None
    configs = sweep.configs()
    configs = configs[[any(t in sweep.metrics for t in trials) for trials in configs["trials"]]]
    curves, lowest, highest = _pooled_curves(sweep, configs)
    ranked = [c for c, m in zip(configs["config"], configs["mean"], strict=True)
              if np.isfinite(m)]
    top = ranked[:TOP_CONFIGS]
    means = configs.set_index("config")["mean"]
    classification = sweep.task == "classification" and any(
        "val_accuracy" in c.columns for c in curves.values())
    kinds = ["loss"] + (["accuracy"] if classification else [])
    loss = sweep.config.get("loss")
    loss_unit = (f"({LOSS_NAMES.get(loss, loss)})" if "loss" not in sweep.parameters and loss
                 else "(each trial's own loss)")
    units = {"loss": loss_unit, "accuracy": "(fraction correct)"}
    healthy = set(sweep.summary.loc[sweep.summary["status"].isin(vocabulary.SCORED), "config"])
    return _LearningCurvesInfo(
        name=sweep.name, metric=sweep.metric, curves=curves, lowest=lowest, highest=highest,
        top=top, rest=[c for c in curves if c not in top],
        means={label: means[label] for label in top}, kinds=kinds,
        ylabels=[f"{kind} {units[kind]}" for kind in kinds],
        repeats=int(configs["n"].max()) if len(configs) else 1, healthy=healthy)


def _pooled_curves(sweep: SweepResults, configs: pd.DataFrame) -> tuple[dict, dict, dict]:
    """Each configuration's metrics.csv rows pooled over its repeats, epoch by epoch: the mean,
    and the lowest and highest where there are several repeats."""
    curves: dict[str, pd.DataFrame] = {}
    lowest: dict[str, pd.DataFrame] = {}
    highest: dict[str, pd.DataFrame] = {}
    for label, trials in zip(configs["config"], configs["trials"], strict=True):
        frames = [sweep.metrics[t] for t in trials if t in sweep.metrics]
        stacked = pd.concat(frames).groupby("epoch")
        curves[label] = stacked.mean(numeric_only=True)
        if len(frames) > 1:  # the band: the range over repeats (positive, so fine on a log axis)
            lowest[label] = stacked.min(numeric_only=True)
            highest[label] = stacked.max(numeric_only=True)
    return curves, lowest, highest


def draw(info: _LearningCurvesInfo, out: Path) -> Picture:
    panels = len(info.kinds)
    size = (11.0, 4.6) if panels > 1 else (11.0, 4.4)  # one panel: the legend to its right
    fig, axes = plt.subplots(1, panels, figsize=size, layout="constrained", squeeze=False)
    for ax, kind, ylabel in zip(axes[0], info.kinds, info.ylabels, strict=True):
        _draw_panel(ax, info, kind, ylabel)
    # The legend says every swept value (they are what tells the best apart), each entry
    # broken into lines that fit its column rather than cut short.
    columns = 2 if panels > 1 and len(info.top) > 2 else 1
    handles = _legend(info, inches=(size[0] - 0.6) / columns - 0.5 if panels > 1 else 3.4)
    if panels > 1:
        fig.legend(handles=handles, loc="outside lower center", ncol=columns)
    else:
        fig.legend(handles=handles, loc="outside right center")
    band = (f"\n(mean over {info.repeats} repeats, band from lowest to highest)"
            if info.repeats > 1 else "")
    suptitle(fig, f"{info.name}: learning curves of the {len(info.top)} best configurations "
                  f"by {info.metric}{band}")
    path = save(fig, out, FILE_NAME)
    return Picture(path, "Learning curves", _caption(info))


def _draw_panel(ax: Axes, info: _LearningCurvesInfo, kind: str, ylabel: str) -> None:
    grey = [np.column_stack([frame.index.to_numpy(float), frame[f"val_{kind}"].to_numpy(float)])
            for c in info.rest if f"val_{kind}" in (frame := info.curves[c]).columns]
    if grey:  # many grey curves are a tangle: the more there are, the fainter each
        ax.add_collection(LineCollection(grey, colors=GREY, linewidths=0.7, zorder=1,
                                         alpha=max(0.3, min(1.0, 8 / len(grey)))))
    for rank in reversed(range(len(info.top))):
        _draw_top_curves(ax, info, kind, rank)
    _curve_limits(ax, info, f"val_{kind}", f"train_{kind}", log=(kind == "loss"))
    ax.set_xlabel("epoch")
    integer_epochs(ax)
    ax.set_ylabel(ylabel)
    ax.set_title(kind.capitalize())


def _draw_top_curves(ax: Axes, info: _LearningCurvesInfo, kind: str, rank: int) -> None:
    """The training (dashed) and validation (solid) curve of the rank-th best configuration,
    and the band of its repeats under the validation curve."""
    label = info.top[rank]
    frame = info.curves[label]
    for part, style in (("train", "--"), ("val", "-")):
        column = f"{part}_{kind}"
        if column not in frame.columns:
            continue
        epochs = frame.index.to_numpy(float)
        ax.plot(epochs, frame[column].to_numpy(float), style, color=colour(rank),
                linewidth=1.6 if part == "val" else 1.1, zorder=3 + (len(info.top) - rank))
        if part == "val" and label in info.lowest:
            ax.fill_between(epochs, info.lowest[label][column].to_numpy(float),
                            info.highest[label][column].to_numpy(float), color=colour(rank),
                            alpha=0.18, linewidth=0, zorder=2)


def _curve_limits(ax: Axes, info: _LearningCurvesInfo, val: str, train: str, *,
                  log: bool) -> None:
    """Frame the validation curves, the point of the picture: a log axis when they span
    decades, and a diverged curve, or one far worse than the others, leaves through the top
    rather than squash them all. The training curves may leave through the bottom: a training
    loss falling to 1e-4 must not flatten the validation loss that rises (overfitting)."""
    def values_of(labels: list[str], columns: tuple[str, ...]) -> np.ndarray:
        chunks = [info.curves[c][col].to_numpy(float) for c in labels for col in columns
                  if col in info.curves[c].columns]
        values = np.concatenate(chunks) if chunks else np.array([])
        return values[np.isfinite(values)]

    framed = [c for c in info.curves if c in info.healthy or not info.healthy]
    values = values_of(framed, (val,))
    if not len(values):
        values = values_of(framed, (train,))
    if not len(values):
        ax.autoscale_view()
        return
    focus = values_of(info.top, (val, train))
    reach = max(float(focus.max()) if len(focus) else -np.inf,
                float(np.percentile(values, 90)))
    both = values_of(framed, (val, train))
    positive = values[values > 0]
    low, high = float(values.min()), min(float(values.max()), 3 * reach if reach > 0 else np.inf)
    if log and len(positive) and float(positive.max()) / float(positive.min()) > 30:
        low = max(float(both[both > 0].min()), float(positive.min()) / 10)
        high = min(float(positive.max()), 3 * reach)
        ax.set_yscale("log")
        plain_log_labels(ax.yaxis, low, high)
        ax.set_ylim(low / 1.3, high * 1.3)
    else:
        low = min(low, float(both.min()))
        high = min(max(high, float(both.max())), 3 * reach if reach > 0 else np.inf)
        pad = 0.05 * (high - low or abs(high) or 1.0)
        ax.set_ylim(low - pad, high + pad)
    ax.autoscale(axis="x", tight=True)
    ax.autoscale_view(scaley=False)


def _legend(info: _LearningCurvesInfo, inches: float) -> list[Line2D]:
    handles = [Line2D([], [], color=colour(i), linewidth=1.6,
                      label=wrap(f"#{i + 1} {label} ({info.metric} "
                                 f"{label_value(info.means[label])})", inches, 8))
               for i, label in enumerate(info.top)]
    handles += [Line2D([], [], color="#555555", linestyle="-", label="validation"),
                Line2D([], [], color="#555555", linestyle="--", label="training")]
    if info.rest:
        others = len(info.rest)
        handles.append(Line2D([], [], color=GREY, label=f"validation, {others} other "
                                                         f"configuration{_s(others)}"))
    return handles


def _caption(info: _LearningCurvesInfo) -> str:
    top, rest, repeats = len(info.top), len(info.rest), info.repeats
    which = (f"the {top} best of {len(info.curves)} configurations by {info.metric}" if rest
             else f"all {top} configurations, ranked by {info.metric}")
    return (f"Training (dashed) and validation (solid) {' and '.join(info.kinds)} "
            f"per epoch for {which}"
            + (f", the mean over {repeats} repeats with a band from the lowest to the highest"
               if repeats > 1 else "")
            + (f"; the other {rest} validation curves in grey." if rest else "."))


def _s(count: int) -> str:
    return "" if count == 1 else "s"

"""decision_regions.png: the class the best trial's network predicts over the plane of a 2-D
data set, with the training points on top; one panel a group (the best trial of each
activation, say).

The network is rebuilt from ``trials/<id>/weights.npz``, never retrained. It sees standardized
inputs when ``data.standardize`` is on, so the plane is drawn in those units.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D

from nnrun import vocabulary
from nnrun.data.cache import get_dataset
from nnrun.errors import NnrunError
from nnrun.model import build_network
from nnrun.views.plots._draw import colour, marker, save, suptitle
from nnrun.views.plots._gather import trial_groups
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, short_names

FILE_NAME = "decision_regions.png"
GRID_STEPS = 220     # the plane is predicted on a GRID_STEPS × GRID_STEPS grid
MAX_POINTS = 1500    # enough training points to see the shape; more only hide the regions


class _RegionsPanel(NamedTuple):
    title: str
    xs: np.ndarray          # the grid's two axes
    ys: np.ndarray
    predicted: np.ndarray   # (len(ys), len(xs)): the class predicted at each grid point
    points: np.ndarray      # the training points drawn (at most MAX_POINTS), (n, 2)
    labels: np.ndarray      # and their true class
    n_classes: int
    classes: list[Any]      # the class names
    features: list[str]     # the names of the two inputs
    standardized: bool


class _DecisionRegionsInfo(NamedTuple):
    name: str
    best: str               # "the best trial", or "the best trial of each activation"
    panels: list[_RegionsPanel]


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _DecisionRegionsInfo | None:
    if sweep.task != "classification":
        return None
    key, groups = trial_groups(sweep)
    panels = []
    datasets: dict[str, Any] = {}
    for trial in _chosen_trials(sweep, groups):
        try:
            net, data, standardized = _network_and_data(sweep, trial, datasets)
        except (NnrunError, OSError, KeyError, ValueError) as error:
            say(f"no decision regions for trial {trial}: {error}")
            continue
        panels.append(_panel(sweep, trial, net, data, standardized))
    if not panels:
        return None
    names = short_names(sweep.parameters)
    best = "the best trial" + (f" of each {names[key]}" if key and len(panels) > 1 else "")
    return _DecisionRegionsInfo(sweep.name, best, panels)


def _chosen_trials(sweep: SweepResults, groups: list[tuple[Any, list[str]]]) -> list[str]:
    """The best scored trial of each group, when it has weights and a network with two
    inputs."""
    ranked = sweep.ranked()
    ranked = ranked[ranked["status"].isin(vocabulary.SCORED)]
    chosen = []
    for _, trials in groups:
        trial = next((t for t in ranked["trial"] if t in trials), None)
        if trial is None:
            continue
        record = sweep.record(trial)
        if record is not None and (record.sizes or [0])[0] == 2 and sweep.has_weights(trial):
            chosen.append(trial)
    return chosen


def _network_and_data(sweep: SweepResults, trial: str, cache: dict[str, Any]) -> tuple:
    """A trial's trained network, rebuilt from its config and weights (never retrained), and
    its data set, as the trial saw it (cached by the data key)."""
    config = sweep.trial_config(trial)
    stored = sweep.trial_weights(trial)
    if config is None or stored is None:
        raise NnrunError("its config.yaml or weights.npz cannot be read")
    config_path = sweep.meta.get("config_path")
    base_dir = Path(config_path).parent if config_path else None
    spec = config["data"]
    key = vocabulary.data_key(spec, base_dir)
    if key not in cache:
        cache[key] = get_dataset(spec, base_dir, fresh=True)
    net = build_network(config, cache[key], dtype="float64")
    for W, b, (W_stored, b_stored) in zip(net.weights, net.biases, zip(*stored, strict=True),
                                          strict=True):
        W[...] = W_stored
        b[...] = b_stored
    return net, cache[key], bool(spec.get("standardize", True))


def _panel(sweep: SweepResults, trial: str, net: Any, data: Any,
           standardized: bool) -> _RegionsPanel:
    """The plane around the training points, the class the network predicts over it, and the
    points (a sample of MAX_POINTS where there are more)."""
    X, Y = data.X_train, data.Y_train
    labels = (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)
    n_classes = max(Y.shape[1], 2)
    margin = 0.08 * (X.max(axis=0) - X.min(axis=0))
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(low[0], high[0], GRID_STEPS), np.linspace(low[1], high[1], GRID_STEPS)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        out = net.forward(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    predicted = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    if len(X) > MAX_POINTS:
        keep = np.random.default_rng(0).choice(len(X), MAX_POINTS, replace=False)
        X, labels = X[keep], labels[keep]
    row = sweep.summary["trial"] == trial
    score = sweep.summary.loc[row, sweep.metric].iloc[0]
    settings = sweep.summary.loc[row, "config"].iloc[0]
    title = (textwrap.fill(settings, 48)
             + f"\ntrial {trial[:10]}, {sweep.metric} {label_value(score)}")
    return _RegionsPanel(title, xs, ys, predicted.reshape(grid_x.shape), X, labels, n_classes,
                         list(getattr(data, "classes", None) or range(n_classes)),
                         list(getattr(data, "feature_names", None) or ["x1", "x2"]),
                         standardized)


def draw(info: _DecisionRegionsInfo, out: Path) -> Picture:
    panels = info.panels
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels) + 0.4, 4.9),
                             layout="constrained", squeeze=False)
    for ax, panel in zip(axes[0], panels, strict=True):
        _draw_regions(ax, panel)
        ax.set_title(panel.title)
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    last = panels[-1]
    handles = [Line2D([], [], linestyle="", marker=marker(k), color=colour(k),
                      label=f"class {last.classes[k]}") for k in range(last.n_classes)]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 8))
    suptitle(fig, f"{info.name}: decision regions of {info.best} (training points on top)")
    path = save(fig, out, FILE_NAME)
    space = "standardized input plane" if panels[0].standardized else "input plane"
    caption = (f"Class predicted by {info.best} over the {space}, shaded, with the training "
               f"points coloured by their true class.")
    return Picture(path, "Decision regions", caption)


def _draw_regions(ax: Axes, panel: _RegionsPanel) -> None:
    colours = [colour(k) for k in range(panel.n_classes)]
    ax.pcolormesh(panel.xs, panel.ys, panel.predicted, cmap=ListedColormap(colours), vmin=-0.5,
                  vmax=panel.n_classes - 0.5, alpha=0.28, shading="auto", rasterized=True)
    ax.contour(panel.xs, panel.ys, panel.predicted, levels=np.arange(panel.n_classes) + 0.5,
               colors="#333333", linewidths=0.7)
    for k in range(panel.n_classes):
        mine = panel.labels == k
        ax.scatter(panel.points[mine, 0], panel.points[mine, 1], s=11, color=colours[k],
                   marker=marker(k), edgecolors="white", linewidths=0.3)
    unit = " (standardized: s.d. from the mean)" if panel.standardized else ""
    ax.set_xlabel(f"{panel.features[0]}{unit}")
    ax.set_ylabel(f"{panel.features[1]}{unit}")
    ax.grid(False)

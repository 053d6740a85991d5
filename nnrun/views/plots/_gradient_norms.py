"""gradient_norms.png: the norm of dC/dW^l of each layer against epoch, one panel a group (each
activation, say), and against depth in the first epoch: the vanishing gradient, measured."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from nnrun.views.plots._draw import (
    colour,
    integer_epochs,
    marker,
    plain_log_labels,
    save,
    suptitle,
    wrap,
)
from nnrun.views.plots._gather import no_data, trial_groups
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, short_names

FILE_NAME = "gradient_norms.png"
NORM = r"$\Vert\partial C/\partial W^{l}\Vert$"


class _Profile(NamedTuple):
    """The gradient norms of one group of trials."""

    label: str              # "activation=relu", or "all trials"
    chosen: str             # the configuration drawn, when the group holds several
    columns: list[str]      # grad_norm_1 ... grad_norm_L, of the deepest network in the group
    median: pd.DataFrame    # per epoch, the median over those trials of each layer's norm
    first: np.ndarray       # the norm of each layer in the first epoch
    count: int              # the trials in the median: those of the deepest network
    total: int              # the trials of the group with gradient norms


class _GradientNormsInfo(NamedTuple):
    name: str
    by: str                             # " by activation", or "" when nothing is compared
    profiles: list[_Profile]
    limits: tuple[float, float] | None  # the y range of every panel
    ratios: list[tuple[str, float]]     # (group, layer 1's norm / the last layer's), epoch 1


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _GradientNormsInfo | None:
    key, groups = trial_groups(sweep)
    names = short_names(sweep.parameters)
    profiles = []
    for value, trials in groups:
        label = f"{names[key]}={label_value(value)}" if key else "all trials"
        profile = _profile(sweep, trials, label)
        if profile is not None:
            profiles.append(profile)
    if not profiles:
        no_data("gradient norms", say)
        return None
    all_values = np.concatenate([p.median.to_numpy(float).ravel() for p in profiles])
    positive = all_values[np.isfinite(all_values) & (all_values > 0)]
    limits = (positive.min() / 1.5, positive.max() * 1.5) if len(positive) else None
    ratios = [(p.label, p.first[0] / p.first[-1]) for p in profiles
              if p.first[-1] > 0 and np.isfinite(p.first[0])]
    return _GradientNormsInfo(sweep.name, f" by {names[key]}" if key else "", profiles, limits,
                              ratios)


def _profile(sweep: SweepResults, trials: list[str], label: str) -> _Profile | None:
    frames = {t: sweep.metrics[t] for t in trials if t in sweep.metrics
              and any(c.startswith("grad_norm_") for c in sweep.metrics[t].columns)}
    if not frames:
        return None
    depth = max(sum(c.startswith("grad_norm_") for c in f.columns) for f in frames.values())
    columns = [f"grad_norm_{layer}" for layer in range(1, depth + 1)]
    deepest = [t for t, f in frames.items() if all(c in f.columns for c in columns)]
    # One configuration a panel, the best of the deepest networks: a median over six
    # optimizers or four learning rates is the gradient of no trial. Its repeats' median: one
    # diverged seed must not drag the curve.
    labels = sweep.summary.set_index("trial")["config"]
    ranked = [c for c in sweep.configs()["config"] if c in {labels[t] for t in deepest}]
    chosen = ranked[0] if ranked else labels[deepest[0]]
    mine = [frames[t] for t in deepest if labels[t] == chosen]
    median = pd.concat([f[["epoch", *columns]] for f in mine]).groupby("epoch").median()
    first = median.iloc[0][columns].to_numpy(float)
    several = len({labels[t] for t in frames}) > 1
    return _Profile(label, chosen if several else "", columns, median, first, len(mine),
                    len(frames))


def draw(info: _GradientNormsInfo, out: Path) -> Picture:
    n = len(info.profiles)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.6 * n + 4.4, 4.3), layout="constrained",
                             squeeze=False, gridspec_kw={"width_ratios": [1] * n + [1.15]})
    axes = axes[0]
    for ax in axes:
        ax.set_yscale("log")
        if info.limits:
            plain_log_labels(ax.yaxis, *info.limits)
    for ax, profile in zip(axes[:n], info.profiles, strict=True):
        _draw_layers(ax, profile, info.limits, len(info.profiles[0].columns))
    axes[0].set_ylabel(f"gradient norm {NORM} (log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6))
    for ax in axes[1:n]:
        ax.sharey(axes[0])
        ax.tick_params(labelleft=False)
    _draw_depth(axes[n], info)
    suptitle(fig, f"{info.name}: gradient norm per layer {NORM}{info.by}")
    path = save(fig, out, FILE_NAME)
    caption = ("Norm of the gradient of the cost with respect to each layer's weights, per epoch "
               "(log scale) and against depth in the first epoch")
    if info.ratios:
        caption += ("; in the first epoch layer 1's gradient is " + ", ".join(
            f"{ratio:.2g}× ({label})" for label, ratio in info.ratios) + " that of the last layer")
    return Picture(path, "Gradient norms per layer", caption + ".")


def _draw_layers(ax: Axes, profile: _Profile, limits: tuple[float, float] | None,
                 legend_depth: int) -> None:
    """One curve a layer against epoch; a panel of another depth than the figure's shared
    legend (``legend_depth`` layers) has its own legend."""
    depth = len(profile.columns)
    layer_cmap = plt.get_cmap("viridis")
    for layer, column in enumerate(profile.columns, start=1):
        shade = layer_cmap(0.85 * (layer - 1) / max(depth - 1, 1))
        where = "  (input side)" if layer == 1 else "  (output)" if layer == depth else ""
        norms = profile.median[column]
        ax.plot(profile.median.index, norms.where(norms > 0), color=shade, linewidth=1.5,
                label=f"layer {layer}{where}")
    if limits:
        ax.set_ylim(*limits)
    ax.set_xlabel("epoch")
    integer_epochs(ax)
    trials = f"median of {profile.count} repeats" if profile.count > 1 else "1 trial"
    chosen = f"the best of its group: {profile.chosen}; " if profile.chosen else ""
    ax.set_title(profile.label + "\n" + wrap(f"{chosen}{trials}, {depth} layers", 3.3, 8.5),
                 fontsize=8.5)
    if depth != legend_depth:
        ax.legend(loc="best", fontsize=7, ncol=2 if depth > 5 else 1)


def _draw_depth(ax: Axes, info: _GradientNormsInfo) -> None:
    """Each group's norms in the first epoch against the layer's depth."""
    for g, profile in enumerate(info.profiles):
        first = profile.first
        ax.plot(range(1, len(profile.columns) + 1), np.where(first > 0, first, np.nan),
                marker=marker(g), color=colour(g), linewidth=1.6, label=profile.label)
    if info.limits:
        ax.set_ylim(*info.limits)
    ax.set_xlabel("layer l (1 = nearest the input)")
    ax.set_ylabel("gradient norm at epoch 1 (log scale)")
    ax.set_title("Against depth, first epoch")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if len(info.profiles) > 1:
        ax.legend(loc="best")

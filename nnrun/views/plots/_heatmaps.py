"""heatmap.png: the mean metric in each cell of two categorical (or few-valued grid) parameters,
annotated with its value, up to three pairs side by side on one colour scale."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Colormap, LogNorm, Normalize

from nnrun.views.plots._draw import save, separate_tick_labels, suptitle
from nnrun.views.plots._gather import categories, is_budgeted, is_discrete, is_numeric, no_data
from nnrun.views.report import Picture
from nnrun.views.sweep import SweepResults, label_value, param_label, short_names

FILE_NAME = "heatmap.png"
MAX_HEATMAPS = 3
MIN_ACCURACY_SPAN = 0.1  # the colour scale: at least this much accuracy from dark to bright


class _HeatmapPanel(NamedTuple):
    rows: str                # the parameter down the side
    columns: str             # and the one across
    row_names: list[str]     # their values, as labelled
    column_names: list[str]
    cell: np.ndarray         # the metric of each cell (NaN: no result)
    text: list[list[str]]    # what each cell says
    title: str


class _HeatmapsInfo(NamedTuple):
    name: str
    metric: str
    metric_label: str
    goal_words: str
    maximize: bool
    panels: list[_HeatmapPanel]
    vmin: float              # the colour scale, shared by the panels
    vmax: float
    log_colours: bool
    how: str                 # what a cell's value is: "one trial a cell", "mean ± s.d. over ..."


def gather(sweep: SweepResults, say: Callable[[str], None]) -> _HeatmapsInfo | None:
    pairs = _pairs(sweep)
    if not pairs:
        return None
    configs = sweep.configs()
    if not configs["mean"].notna().any():
        no_data("heatmap", say)
        return None
    budgeted = is_budgeted(sweep)
    if budgeted:  # successive halving: a cell shows the trial that trained longest, then best
        epochs = sweep.summary.groupby("config")["epochs_run"].max()
        configs = configs.assign(epochs=[int(epochs.get(c, 0)) for c in configs["config"]])
        configs = configs.sort_values("epochs", ascending=False, kind="mergesort")
    others = len(sweep.parameters) > 2
    repeats = int(configs["n"].max())
    names = short_names(sweep.parameters)
    panels = []
    for rows, columns in pairs:
        row_levels, column_levels = categories(sweep, rows), categories(sweep, columns)
        cell, text = _cells(sweep, configs, (rows, row_levels), (columns, column_levels),
                            best_of=others and repeats == 1 and not budgeted)
        panels.append(_HeatmapPanel(rows, columns, [label_value(v) for v in row_levels],
                                    [label_value(v) for v in column_levels], cell, text,
                                    f"{names[rows]} × {names[columns]}"))
    # The colours span the cells drawn, not every trial (a halving sweep's 3-epoch trials at
    # 0.1 would paint every cell of 0.95-0.97 the same yellow).
    vmin, vmax, log_colours = _colour_scale(
        sweep, np.concatenate([panel.cell.ravel() for panel in panels]))
    if budgeted:
        how = "in each cell the trial that trained longest, then the best of those"
    elif others:
        how = ("best setting of the other parameters, mean ± s.d. over its "
               f"{repeats} repeats" if repeats > 1 else "the best trial in each cell")
    else:
        how = f"mean ± s.d. over {repeats} repeats" if repeats > 1 else "one trial a cell"
    return _HeatmapsInfo(sweep.name, sweep.metric, sweep.metric_label(), sweep.goal_words(),
                         sweep.maximize, panels, vmin, vmax, log_colours, how)


def _pairs(sweep: SweepResults) -> list[tuple[str, str]]:
    """Every pair of categorical parameters (at most MAX_HEATMAPS), or the two discrete ones of
    a two-parameter sweep; none when a heatmap would not fit the sweep."""
    discrete = [p for p in sweep.parameters if is_discrete(sweep, p)]
    categorical = [p for p in discrete if not is_numeric(sweep, p)]
    if len(categorical) >= 2:
        pairs = [(a, b) for i, a in enumerate(categorical) for b in categorical[i + 1:]]
    elif len(sweep.parameters) == 2 and len(discrete) == 2:
        pairs = [(discrete[0], discrete[1])]
    else:
        return []
    return pairs[:MAX_HEATMAPS]


def _colour_scale(sweep: SweepResults, cells: np.ndarray) -> tuple[float, float, bool]:
    """The lowest and highest colour, and whether the colours follow a log scale."""
    finite = cells[np.isfinite(cells)]
    vmin, vmax = float(finite.min()), float(finite.max())
    if sweep.metric.endswith("accuracy") and vmax - vmin < MIN_ACCURACY_SPAN:
        # Do not paint 0.985 and 0.995 as opposite ends of the scale.
        vmin = max(0.0, vmax - MIN_ACCURACY_SPAN)
        vmax = vmin + MIN_ACCURACY_SPAN
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    # Losses that span decades (one blown-up learning rate) get a log colour scale, so that
    # the good cells are not all painted the same bright yellow.
    return vmin, vmax, vmin > 0 and vmax / vmin > 30


def _cells(sweep: SweepResults, configs: pd.DataFrame, rows: tuple[str, list[Any]],
           columns: tuple[str, list[Any]], best_of: bool) -> tuple[np.ndarray, list[list[str]]]:
    """The value and text of each cell: the best configuration with those two values."""
    (rows_key, row_levels), (columns_key, column_levels) = rows, columns
    cell = np.full((len(row_levels), len(column_levels)), np.nan)
    text = [["no result"] * len(column_levels) for _ in row_levels]
    for i, r in enumerate(row_levels):
        for j, c in enumerate(column_levels):
            mine = configs[(configs[rows_key] == r) & (configs[columns_key] == c)]
            if not mine["mean"].notna().any():
                text[i][j] = _why_no_result(sweep, mine)
                continue
            mine = mine.dropna(subset=["mean"])
            best = mine.iloc[0]  # configs() is sorted best first
            cell[i, j] = best["mean"]
            text[i][j] = _mean_sd(best["mean"], best["std"])
            if best["n"] < len(best["trials"]):  # say when the mean leaves trials out
                text[i][j] += f"\n({best['n']} of {len(best['trials'])} with a result)"
            if "epochs" in best.index:
                text[i][j] += f"\n{best['epochs']} epochs"
            if best_of:
                text[i][j] += f"\nbest of {len(mine)}"
    return cell, text


def _why_no_result(sweep: SweepResults, configs: pd.DataFrame) -> str:
    """What a heatmap cell without a metric says: all diverged, failed, or no trial yet."""
    trials = {t for ids in configs["trials"] for t in ids}
    statuses = set(sweep.summary.loc[sweep.summary["trial"].isin(trials), "status"])
    if not statuses:
        return "no trial yet"
    return " / ".join(sorted(statuses))


def _mean_sd(mean: float, sd: float) -> str:
    """``0.912\n±0.013``: both to the same decimal places, three significant in the mean."""
    decimals = max(0, 2 - math.floor(math.log10(abs(mean)))) if mean else 3
    text = f"{mean:.{decimals}f}"
    return text + (f"\n±{sd:.{decimals}f}" if math.isfinite(sd) else "")


def draw(info: _HeatmapsInfo, out: Path) -> Picture:
    cmap = plt.get_cmap("viridis" if info.maximize else "viridis_r")
    norm = LogNorm(info.vmin, info.vmax) if info.log_colours else Normalize(info.vmin, info.vmax)
    widths = [max(3.6, 0.95 * len(panel.column_names) + 1.6) for panel in info.panels]
    fig, axes = plt.subplots(1, len(info.panels), figsize=(max(6.5, sum(widths) + 1.3), 4.6),
                             layout="constrained", squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    image = None
    for ax, panel in zip(axes[0], info.panels, strict=True):
        image = ax.imshow(panel.cell, cmap=cmap, norm=norm, aspect="auto")
        _draw_panel(ax, panel, cmap, norm)
    bar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9)
    bar.set_label(f"{info.metric_label}, {info.goal_words}"
                  + (" (log colour scale)" if info.log_colours else ""))
    suptitle(fig, f"{info.name}: {info.metric} per cell\n({info.how})")
    for ax in axes[0]:
        separate_tick_labels(fig, ax)
    path = save(fig, out, FILE_NAME)
    caption = (f"{info.metric} for each combination of "
               + "; ".join(f"{panel.rows} and {panel.columns}" for panel in info.panels)
               + f" ({info.how}), brighter is better.")
    return Picture(path, "Heatmap", caption)


def _draw_panel(ax: Axes, panel: _HeatmapPanel, cmap: Colormap, norm: Normalize) -> None:
    """Each cell's text (dark on the bright cells), the values on the axes."""
    ax.set_facecolor("#EEEEEE")  # cells without a result
    for i in range(len(panel.row_names)):
        for j in range(len(panel.column_names)):
            value = panel.cell[i, j]
            light = np.isfinite(value) and cmap(norm(value))[1] > 0.6
            ax.text(j, i, panel.text[i][j], ha="center", va="center", fontsize=8.5,
                    color="#000000" if light or not np.isfinite(value) else "#FFFFFF")
    ax.set_xticks(range(len(panel.column_names)), panel.column_names)
    ax.set_yticks(range(len(panel.row_names)), panel.row_names)
    ax.set_xlabel(param_label(panel.columns))
    ax.set_ylabel(param_label(panel.rows))
    ax.grid(False)
    ax.set_title(panel.title)

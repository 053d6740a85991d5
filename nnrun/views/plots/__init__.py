"""`nnrun plot`: pictures of a results folder (ARCHITECTURE.md), and the report beside them.

Everything here reads the files a sweep wrote and nothing else: a plot never retrains. The
decision regions rebuild the best trial's network from ``trials/<id>/weights.npz``.

matplotlib and pandas are imported inside the functions that use them, so that importing this
module (and starting the command line) stays fast; the Agg backend makes plotting headless.
"""

from __future__ import annotations

import json
import math
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.errors import NnrunError
from nnrun.results.reader import read_json_object
from nnrun.views.report import Picture
from nnrun.views.sweep import (
    LOSS_NAMES,
    SweepResults,
    format_value,
    load_sweep,
    param_label,
    short_names,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Okabe & Ito (2008), the colour-blind-safe palette; the yellow comes last, it is faint on white.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000",
             "#F0E442"]
GREY = "#C8C8C8"
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
DPI = 110
TOP_CONFIGS = 5          # learning curves: this many configurations highlighted over the grey rest
MAX_PANELS = 4           # gradient norms and decision regions: at most this many groups
MAX_HEATMAPS = 3
MIN_ACCURACY_SPAN = 0.1  # heatmap colour scale: at least this much accuracy from dark to bright
NORM = r"$\Vert\partial C/\partial W^{l}\Vert$"

RC = {
    "figure.dpi": DPI, "savefig.dpi": DPI, "font.size": 9, "axes.titlesize": 10,
    "figure.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.color": "#E6E6E6", "grid.linewidth": 0.6, "axes.axisbelow": True,
    "legend.fontsize": 8, "legend.frameon": False,
}




# --------------------------------------------------------------------------- entry point


def plot_results(results: Path, out: Path | None = None,
                 log: Callable[[str], None] | None = None) -> list[Path]:
    """Write the pictures and report.md of a sweep folder, or of each sweep in a folder of sweeps.

    ``out`` defaults to ``<sweep>/plots``; for a folder of sweeps, ``out`` gets one subfolder
    per sweep. Returns the files written. Raises NnrunError for a folder that holds no sweep.
    """
    results = Path(results)
    say = log or (lambda message: None)
    if not results.is_dir():
        raise NnrunError(f"{results}: no such folder; give the results folder `nnrun sweep` "
                         "wrote (results/<name>)")
    if (results / "sweep.json").is_file():
        return _plot_sweep(results, Path(out) if out else results / "plots", say)
    sweeps = sorted(p for p in results.iterdir() if (p / "sweep.json").is_file())
    if not sweeps:
        raise NnrunError(f"{results} is not a results folder: it has no sweep.json, nor any "
                         "subfolder with one; give the folder `nnrun sweep` wrote "
                         "(results/<name>) or the folder that holds several")
    written: list[Path] = []
    for sweep in sweeps:
        say(f"{sweep.name}:")
        written += _plot_sweep(sweep, Path(out) / sweep.name if out else sweep / "plots", say)
    return written


def _plot_sweep(folder: Path, out: Path, say: Callable[[str], None]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from nnrun.views.report import write_report

    sweep = load_sweep(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # --out is a file, or a place this user cannot write
        raise NnrunError(f"cannot create the plots folder {out}: {error.strerror or error}; "
                         f"give another --out") from None
    _tell_missing(sweep, say)
    pictures: list[Picture] = []
    makers = [plot_learning_curves, plot_parameter_effects, plot_heatmaps,
              plot_parallel_coordinates, plot_gradient_norms, plot_decision_regions]
    with plt.rc_context(RC):
        for maker in makers:
            # Diverged trials hold inf and 1e30: the pictures leave them out of frame, quietly.
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                try:
                    picture = maker(sweep, out, say)
                finally:
                    plt.close("all")
            if picture is not None:
                pictures.append(picture)
    _remove_stale(out, {picture.path.name for picture in pictures}, say)
    report = write_report(sweep, pictures, out)
    return [p.path for p in pictures] + [report]


# What the makers above write: a picture of these names that this run did not draw is left
# from an earlier run, of a sweep that has changed since (no decision regions any more, say)
PICTURE_NAMES = ("learning_curves.png", "parameter_effects.png", "heatmap.png",
                 "parallel_coordinates.png", "gradient_norms.png", "decision_regions.png")


def _remove_stale(out: Path, drawn: set[str], say: Callable[[str], None]) -> None:
    """Remove nnrun's own pictures that this run did not draw; other files are left alone."""
    for name in PICTURE_NAMES:
        stale = out / name
        if name not in drawn and stale.is_file():
            try:
                stale.unlink()
            except OSError as error:
                say(f"could not remove the out-of-date {stale}: {error.strerror or error}")
            else:
                say(f"removed {name}, left from an earlier plot: this sweep has no such picture")


def _tell_missing(sweep: SweepResults, say: Callable[[str], None]) -> None:
    with_curves = len(sweep.metrics)
    problems = []
    if sweep.unfinished:
        problems.append(f"{len(sweep.unfinished)} trials still running or not started")
    if sweep.no_metrics:
        problems.append(f"{len(sweep.no_metrics)} finished trials have no metrics.csv")
    failed = int((sweep.summary["status"] == "failed").sum())
    if failed:
        problems.append(f"{failed} trials failed")
    if problems:
        say("; ".join(problems) + f"; plotted {with_curves}")
    else:
        say(f"plotted {with_curves} trials")



# --------------------------------------------------------------------------- parameter kinds


def is_numeric(sweep: SweepResults, parameter: str) -> bool:
    import pandas as pd

    column = sweep.summary[parameter]
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def is_log_scaled(sweep: SweepResults, parameter: str) -> bool:
    """Log axis for log-uniform draws, and for positive values spanning a factor of 10 or more."""
    spec = ((sweep.config.get("sweep") or {}).get("parameters") or {}).get(parameter)
    if isinstance(spec, dict) and any("log" in str(k) for k in spec):
        return True
    if not is_numeric(sweep, parameter):
        return False
    values = sweep.summary[parameter].dropna().to_numpy(dtype=float)
    return bool(len(values) and values.min() > 0 and values.max() / values.min() >= 10)


def is_discrete(sweep: SweepResults, parameter: str) -> bool:
    """Categories, or a grid's few numeric values: something a heatmap can have a cell for."""
    if not is_numeric(sweep, parameter):
        return True
    return sweep.meta.get("method", "grid") == "grid" and sweep.summary[parameter].nunique() <= 10


def categories(sweep: SweepResults, parameter: str) -> list[Any]:
    """The values of a parameter in a sensible order: the config's order for a list, else sorted."""
    present = list(dict.fromkeys(sweep.summary[parameter].dropna()))
    if is_numeric(sweep, parameter):
        return sorted(present)
    from nnrun.vocabulary import format_value as cell

    spec = ((sweep.config.get("sweep") or {}).get("parameters") or {}).get(parameter)
    if isinstance(spec, dict):  # a random search's {choice: [...]}
        spec = next((v for v in spec.values() if isinstance(v, list)), None)
    order = [cell(v) for v in spec] if isinstance(spec, list) else []
    rank = {v: i for i, v in enumerate(order)}
    return sorted(present, key=lambda v: (rank.get(str(v), len(rank)), str(v)))


def group_parameter(sweep: SweepResults) -> str | None:
    """The swept parameter to compare side by side (gradient norms, decision regions)."""
    for key in ("model.activation", "model.init", "loss", "model.hidden"):
        if key in sweep.parameters:
            return key
    return None


# --------------------------------------------------------------------------- figures


def _integer_epochs(ax: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _save(fig: Figure, out: Path, name: str) -> Path:
    """Render to memory, then write atomically: a plot interrupted half-way (Ctrl-C, a full
    disk) leaves the previous picture, never a truncated PNG."""
    import io

    from nnrun.results.store import atomic_write_bytes

    path = out / name
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format=path.suffix.lstrip(".") or "png")
    atomic_write_bytes(path, buffer.getvalue())
    return path


def _no_data(sweep: SweepResults, what: str, say: Callable[[str], None]) -> None:
    say(f"no {what}: no finished trial has what it needs yet")


def plot_learning_curves(sweep: SweepResults, out: Path,
                         say: Callable[[str], None]) -> Picture | None:
    """Loss (and accuracy) against epoch: the best configurations in colour, the rest in grey."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    if not sweep.metrics:
        _no_data(sweep, "learning curves", say)
        return None
    configs = sweep.configs()
    configs = configs[[any(t in sweep.metrics for t in trials) for trials in configs["trials"]]]
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
    ranked = [c for c, m in zip(configs["config"], configs["mean"], strict=True)
              if np.isfinite(m)]
    top = ranked[:TOP_CONFIGS]
    rest = [c for c in curves if c not in top]
    classification = sweep.task == "classification" and any(
        "val_accuracy" in c.columns for c in curves.values())
    panels = [("loss", "loss")] + ([("accuracy", "accuracy")] if classification else [])
    repeats = int(configs["n"].max()) if len(configs) else 1

    size = (11.0, 4.6) if len(panels) > 1 else (11.0, 4.4)  # one panel: the legend to its right
    fig, axes = plt.subplots(1, len(panels), figsize=size, layout="constrained", squeeze=False)
    healthy = set(sweep.summary.loc[sweep.summary["status"].isin(["ok", "stopped"]), "config"])
    for ax, (kind, word) in zip(axes[0], panels, strict=True):
        grey = [np.column_stack([frame.index.to_numpy(float), frame[f"val_{kind}"].to_numpy(float)])
                for c in rest if f"val_{kind}" in (frame := curves[c]).columns]
        if grey:
            ax.add_collection(LineCollection(grey, colors=GREY, linewidths=0.8, zorder=1))
        for rank in reversed(range(len(top))):
            label, colour = top[rank], OKABE_ITO[rank % len(OKABE_ITO)]
            frame = curves[label]
            for part, style in (("train", "--"), ("val", "-")):
                column = f"{part}_{kind}"
                if column not in frame.columns:
                    continue
                epochs = frame.index.to_numpy(float)
                mean = frame[column].to_numpy(float)
                ax.plot(epochs, mean, style, color=colour, linewidth=1.6 if part == "val" else 1.1,
                        zorder=3 + (len(top) - rank))
                if part == "val" and label in lowest:
                    ax.fill_between(epochs, lowest[label][column].to_numpy(float),
                                    highest[label][column].to_numpy(float), color=colour,
                                    alpha=0.18, linewidth=0, zorder=2)
        _curve_limits(ax, curves, healthy, top, f"val_{kind}", f"train_{kind}",
                      log=(kind == "loss"))
        unit = (f"({LOSS_NAMES.get(sweep.config.get('loss'), sweep.config.get('loss'))})"
                if kind == "loss" and "loss" not in sweep.parameters and sweep.config.get("loss")
                else "(fraction correct)" if kind == "accuracy" else "(each trial's own loss)")
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
        ax.set_ylabel(f"{word} {unit}")
        ax.set_title(word.capitalize())
    means = configs.set_index("config")["mean"]
    handles = [Line2D([], [], color=OKABE_ITO[i % len(OKABE_ITO)], linewidth=1.6,
                      label=f"#{i + 1} {_shorten(label)} ({sweep.metric} "
                            f"{format_value(means[label])})")
               for i, label in enumerate(top)]
    handles += [Line2D([], [], color="#555555", linestyle="-", label="validation"),
                Line2D([], [], color="#555555", linestyle="--", label="training")]
    if rest:
        handles.append(Line2D([], [], color=GREY, label=f"validation, {len(rest)} other "
                                                         f"configuration{_s(len(rest))}"))
    if len(panels) > 1:
        fig.legend(handles=handles, loc="outside lower center", ncol=2 if len(handles) > 4 else 1)
    else:
        fig.legend(handles=handles, loc="outside right center")
    band = f"\n(mean over {repeats} repeats, band from lowest to highest)" if repeats > 1 else ""
    fig.suptitle(f"{sweep.name}: learning curves of the {len(top)} best configurations by "
                 f"{sweep.metric}{band}")
    path = _save(fig, out, "learning_curves.png")
    which = (f"the {len(top)} best of {len(curves)} configurations by {sweep.metric}" if rest
             else f"all {len(top)} configurations, ranked by {sweep.metric}")
    caption = (f"Training (dashed) and validation (solid) {' and '.join(w for _, w in panels)} "
               f"per epoch for {which}"
               + (f", the mean over {repeats} repeats with a band from the lowest to the highest"
                  if repeats > 1 else "")
               + (f"; the other {len(rest)} validation curves in grey." if rest else "."))
    return Picture(path, "Learning curves", caption)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _shorten(label: str, width: int = 60) -> str:
    return label if len(label) <= width else label[:width - 1] + "…"


def _curve_limits(ax: Axes, curves: dict[str, pd.DataFrame], healthy: set[str], top: list[str],
                  *columns: str, log: bool) -> None:
    """Frame the highlighted curves and most of the rest; a diverged curve, or one a hundred
    times worse than the others, leaves through the top rather than squash them all."""
    import numpy as np

    def values_of(labels: list[str]) -> Any:
        chunks = [curves[c][col].to_numpy(float) for c in labels for col in columns
                  if col in curves[c].columns]
        values = np.concatenate(chunks) if chunks else np.array([])
        return values[np.isfinite(values)]

    values = values_of([c for c in curves if c in healthy or not healthy])
    if not len(values):
        ax.autoscale_view()
        return
    low, high = float(values.min()), float(values.max())
    if log and low > 0 and high / low > 30:
        focus = values_of(top)
        reach = max(float(focus.max()) if len(focus) else low, float(np.percentile(values, 90)))
        high = min(high, reach * 3)
        ax.set_yscale("log")
        _plain_log_labels(ax.yaxis, low, high)
        ax.set_ylim(low / 1.3, high * 1.3)
    else:
        pad = 0.05 * (high - low or abs(high) or 1.0)
        ax.set_ylim(low - pad, high + pad)
    ax.autoscale(axis="x", tight=True)
    ax.autoscale_view(scaley=False)


def plot_parameter_effects(sweep: SweepResults, out: Path,
                           say: Callable[[str], None]) -> Picture | None:
    """The metric against each swept parameter: a dot a trial, the mean per value."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.lines import Line2D

    if not sweep.parameters:
        return None
    summary = sweep.summary
    if not len(sweep.scored()):
        _no_data(sweep, "parameter effects", say)
        return None
    n = len(sweep.parameters)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    width = max(7.0, 4.3 * ncols + 0.3)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, 3.7 * nrows + 0.8),
                             layout="constrained", squeeze=False, sharey=True)
    rng = np.random.default_rng(0)
    values = summary[sweep.metric].to_numpy(float)
    no_score = ~np.isfinite(values)
    grid = sweep.meta.get("method", "grid") == "grid"
    for ax, parameter in zip(axes.flat, sweep.parameters, strict=False):
        column = summary[parameter]
        if is_numeric(sweep, parameter):
            x = column.to_numpy(float)
            log = is_log_scaled(sweep, parameter)
            few = grid or column.nunique() <= 12 and column.nunique() < len(column)
            jitter = rng.uniform(-1, 1, len(x)) * (0.04 if few else 0.0)
            shown = x * np.exp(jitter * 2) if log else x + jitter * _step(x)
            _dots(ax, shown, values, no_score)
            levels = sorted(set(x[np.isfinite(x)]))
            if few:
                means = [np.mean(values[(x == v) & ~no_score]) if ((x == v) & ~no_score).any()
                         else np.nan for v in levels]
                ax.plot(levels, means, "-D", color="#000000", markersize=4.5, linewidth=1.3,
                        zorder=4)
            if log:
                ax.set_xscale("log")
                _plain_log_ticks(ax, levels if few else None)
            # The crosses sit on the axis edge, outside autoscaling: make room for them by hand.
            everywhere = shown[np.isfinite(shown)]
            if len(everywhere):
                low, high = float(everywhere.min()), float(everywhere.max())
                if log:
                    ax.set_xlim(low / 1.4, high * 1.4)
                else:
                    pad = 0.05 * (high - low or abs(high) or 1.0)
                    ax.set_xlim(low - pad, high + pad)
        else:
            levels = categories(sweep, parameter)
            position = {v: i for i, v in enumerate(levels)}
            x = np.array([position.get(v, np.nan) for v in column], dtype=float)
            shown = x + rng.uniform(-0.18, 0.18, len(x))
            _dots(ax, shown, values, no_score)
            means = [np.mean(values[(x == i) & ~no_score]) if ((x == i) & ~no_score).any()
                     else np.nan for i in range(len(levels))]
            ax.plot(range(len(levels)), means, "D", color="#000000", markersize=6, zorder=4)
            names = [format_value(v) for v in levels]
            ax.set_xticks(range(len(levels)), names,
                          rotation=20 if _crowded(names, width / ncols - 0.6) else 0)
            ax.set_xlim(-0.6, len(levels) - 0.4)
        ax.set_xlabel(param_label(parameter))
        ax.set_title(f"{sweep.metric} against {short_names(sweep.parameters)[parameter]}")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(sweep.metric_label())
    scores = values[~no_score]
    if scores.min() > 0 and scores.max() / scores.min() > 30:
        # One blown-up learning rate must not flatten every other trial against the floor.
        axes[0, 0].set_yscale("log")  # the axes share y
        _plain_log_labels(axes[0, 0].yaxis, float(scores.min()), float(scores.max()))
        for ax in axes[:, 0]:
            ax.set_ylabel(f"{sweep.metric_label()} (log scale)")
    handles = [Line2D([], [], linestyle="", marker="o", color=OKABE_ITO[0], alpha=0.55,
                      label="one trial"),
               Line2D([], [], linestyle="", marker="D", color="#000000",
                      label="mean of the trials with that value")]
    if no_score.any():
        handles.append(Line2D([], [], linestyle="", marker="x", color=OKABE_ITO[3],
                              label=f"no {sweep.metric} (diverged or failed)"))
    fig.legend(handles=handles, loc="outside lower center",
               ncol=len(handles) if width >= 8.5 else 2)
    fig.suptitle(f"{sweep.name}: {sweep.metric} against each swept parameter "
                 f"({sweep.goal_words()})")
    path = _save(fig, out, "parameter_effects.png")
    caption = (f"{sweep.metric} of each trial (dots) against each swept parameter, with the "
               f"mean of the trials that share a value (black diamonds)"
               + (f"; crosses on the bottom edge mark {int(no_score.sum())} trials without a "
                  f"{sweep.metric}." if no_score.any() else "."))
    return Picture(path, "Hyperparameter effects", caption)


def _crowded(labels: list[str], inches: float) -> bool:
    """Would the longest tick label (about 6.5 px a character) overflow its share of the axis?"""
    return max(len(label) for label in labels) * 6.5 > 0.9 * DPI * inches / len(labels)


def _dots(ax: Axes, x: Any, values: Any, no_score: Any) -> None:
    """A dot a trial at its metric; a cross on the bottom edge for a trial without one."""
    import numpy as np
    from matplotlib import transforms

    ax.scatter(x[~no_score], values[~no_score], s=14, color=OKABE_ITO[0], alpha=0.55,
               linewidths=0, zorder=2)
    bottom = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.scatter(x[no_score], np.full(no_score.sum(), 0.02), s=22, marker="x", color=OKABE_ITO[3],
               transform=bottom, zorder=3, clip_on=False)


def _plain_log_labels(axis: Any, low: float, high: float) -> None:
    """Fewer than three decades: ticks at 1, 2, 5 × 10^k labelled 0.02, 0.05, 0.1 rather than
    matplotlib's 2×10^-2 on every minor tick."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if low > 0 and math.log10(high / low) < 3:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.3g}"))
        axis.set_minor_formatter(NullFormatter())


def _plain_log_ticks(ax: Axes, levels: list[float] | None) -> None:
    """A log x axis labelled 0.001, 0.01 (or at the grid's own values), never 2×10^1 3×10^1."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    if levels is not None and len(levels) <= 8:
        ax.xaxis.set_major_locator(FixedLocator(levels))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: format_value(float(value))))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _step(x: Any) -> float:
    """The smallest gap between distinct values, to jitter by a fraction of it."""
    import numpy as np

    levels = np.unique(x[np.isfinite(x)])
    return float(np.diff(levels).min()) if len(levels) > 1 else 1.0


def plot_heatmaps(sweep: SweepResults, out: Path, say: Callable[[str], None]) -> Picture | None:
    """Mean metric per cell of two categorical (or few-valued grid) parameters, annotated."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import LogNorm, Normalize

    discrete = [p for p in sweep.parameters if is_discrete(sweep, p)]
    categorical = [p for p in discrete if not is_numeric(sweep, p)]
    if len(categorical) >= 2:
        pairs = [(a, b) for i, a in enumerate(categorical) for b in categorical[i + 1:]]
    elif len(sweep.parameters) == 2 and len(discrete) == 2:
        pairs = [tuple(discrete)]
    else:
        return None
    pairs = pairs[:MAX_HEATMAPS]
    configs = sweep.configs()
    if not configs["mean"].notna().any():
        _no_data(sweep, "heatmap", say)
        return None
    cmap = plt.get_cmap("viridis" if sweep.maximize else "viridis_r")
    finite = configs["mean"].dropna()
    vmin, vmax = float(finite.min()), float(finite.max())
    if sweep.metric.endswith("accuracy") and vmax - vmin < MIN_ACCURACY_SPAN:
        # Do not paint 0.985 and 0.995 as opposite ends of the scale.
        vmin = max(0.0, vmax - MIN_ACCURACY_SPAN)
        vmax = vmin + MIN_ACCURACY_SPAN
    if vmin == vmax:
        vmin, vmax = vmin - 0.5, vmax + 0.5
    # Losses that span decades (one blown-up learning rate) get a log colour scale, so that
    # the good cells are not all painted the same bright yellow.
    log_colours = vmin > 0 and vmax / vmin > 30
    norm = LogNorm(vmin, vmax) if log_colours else Normalize(vmin, vmax)
    widths = [max(3.6, 0.95 * len(categories(sweep, b)) + 1.6) for _, b in pairs]
    fig, axes = plt.subplots(1, len(pairs), figsize=(max(6.5, sum(widths) + 1.3), 4.6),
                             layout="constrained", squeeze=False,
                             gridspec_kw={"width_ratios": widths})
    others = len(sweep.parameters) > 2
    repeats = int(configs["n"].max())
    image = None
    for ax, width, (rows_key, cols_key) in zip(axes[0], widths, pairs, strict=True):
        row_levels, col_levels = categories(sweep, rows_key), categories(sweep, cols_key)
        cell = np.full((len(row_levels), len(col_levels)), np.nan)
        text = [["no result"] * len(col_levels) for _ in row_levels]
        for i, r in enumerate(row_levels):
            for j, c in enumerate(col_levels):
                mine = configs[(configs[rows_key] == r) & (configs[cols_key] == c)]
                if not mine["mean"].notna().any():
                    text[i][j] = _why_no_result(sweep, mine)
                    continue
                mine = mine.dropna(subset=["mean"])
                best = mine.iloc[0]  # configs() is sorted best first
                cell[i, j] = best["mean"]
                text[i][j] = _mean_sd(best["mean"], best["std"])
                if best["n"] < len(best["trials"]):  # say when the mean leaves trials out
                    text[i][j] += f"\n({best['n']} of {len(best['trials'])} with a result)"
                if others and repeats == 1:
                    text[i][j] += f"\nbest of {len(mine)}"
        image = ax.imshow(cell, cmap=cmap, norm=norm, aspect="auto")
        ax.set_facecolor("#EEEEEE")  # cells without a result
        for i in range(len(row_levels)):
            for j in range(len(col_levels)):
                value = cell[i, j]
                light = np.isfinite(value) and cmap(norm(value))[1] > 0.6
                ax.text(j, i, text[i][j], ha="center", va="center", fontsize=8.5,
                        color="#000000" if light or not np.isfinite(value) else "#FFFFFF")
        names = [format_value(v) for v in col_levels]
        tilt = _crowded(names, width - 1.6)
        ax.set_xticks(range(len(col_levels)), names, rotation=30 if tilt else 0,
                      ha="right" if tilt else "center")
        ax.set_yticks(range(len(row_levels)), [format_value(v) for v in row_levels])
        ax.set_xlabel(param_label(cols_key))
        ax.set_ylabel(param_label(rows_key))
        ax.grid(False)
        ax.set_title(f"{short_names(sweep.parameters)[rows_key]} × "
                     f"{short_names(sweep.parameters)[cols_key]}")
    bar = fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9)
    bar.set_label(f"{sweep.metric_label()}, {sweep.goal_words()}"
                  + (" (log colour scale)" if log_colours else ""))
    if others:
        how = ("best setting of the other parameters, mean ± s.d. over its "
               f"{repeats} repeats" if repeats > 1 else "the best trial in each cell")
    else:
        how = f"mean ± s.d. over {repeats} repeats" if repeats > 1 else "one trial a cell"
    fig.suptitle(f"{sweep.name}: {sweep.metric} per cell\n({how})")
    path = _save(fig, out, "heatmap.png")
    caption = (f"{sweep.metric} for each combination of "
               + "; ".join(f"{a} and {b}" for a, b in pairs) + f" ({how}), "
               f"brighter is better.")
    return Picture(path, "Heatmap", caption)


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


def plot_parallel_coordinates(sweep: SweepResults, out: Path,
                              say: Callable[[str], None]) -> Picture | None:
    """One line a trial through an axis per parameter, coloured by the metric (random searches)."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    method = sweep.meta.get("method", "grid")
    if not sweep.parameters or (method == "grid" and len(sweep.parameters) < 3):
        return None
    scored = sweep.ranked().iloc[::-1]  # worst first, so the best lines are drawn on top
    if len(scored) < 2:
        _no_data(sweep, "parallel coordinates", say)
        return None
    keys = [*sweep.parameters, sweep.metric]
    positions = np.zeros((len(scored), len(keys)))
    ticks: list[tuple[list[float], list[str]]] = []
    for k, key in enumerate(keys):
        column = scored[key]
        numeric = key == sweep.metric or is_numeric(sweep, key)
        if numeric:
            x = column.to_numpy(float)
            log = key != sweep.metric and is_log_scaled(sweep, key)
            t = np.log10(x) if log else x
            low, high = float(np.nanmin(t)), float(np.nanmax(t))
            span = high - low or 1.0
            positions[:, k] = (t - low) / span if high > low else 0.5
            marks = np.linspace(low, high, 5) if high > low else np.array([low])
            ticks.append((list((marks - low) / span) if high > low else [0.5],
                          [format_value(float(10 ** m if log else m)) for m in marks]))
        else:
            levels = categories(sweep, key)
            where = {v: i / max(len(levels) - 1, 1) for i, v in enumerate(levels)}
            positions[:, k] = [where.get(v, np.nan) for v in column]
            ticks.append(([where[v] for v in levels], [format_value(v) for v in levels]))
    fig, ax = plt.subplots(figsize=(max(6.5, 1.9 * len(keys) + 1.5), 4.8), layout="constrained")
    norm = Normalize(float(scored[sweep.metric].min()), float(scored[sweep.metric].max()))
    cmap = plt.get_cmap("viridis" if sweep.maximize else "viridis_r")
    segments = [np.column_stack([np.arange(len(keys)), row]) for row in positions]
    lines = LineCollection(segments, cmap=cmap, norm=norm, linewidths=1.3, alpha=0.85)
    lines.set_array(scored[sweep.metric].to_numpy(float))
    ax.add_collection(lines)
    for k, (where, labels) in enumerate(ticks):
        ax.axvline(k, color="#333333", linewidth=0.9, zorder=0)
        for y, label in zip(where, labels, strict=True):
            ax.text(k + 0.04, y, label, fontsize=7.5, va="center", ha="left",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
    names = short_names(sweep.parameters)
    ax.set_xticks(range(len(keys)), [names.get(k, k) + (" (log)" if k != sweep.metric
                                                         and is_log_scaled(sweep, k) else "")
                                     for k in keys])
    ax.set_xlim(-0.15, len(keys) - 1 + 0.45)
    ax.set_ylim(-0.05, 1.05)
    ax.set_yticks([])
    ax.grid(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("swept parameter (each axis spans its own range; values printed on the axis)")
    bar = fig.colorbar(lines, ax=ax, pad=0.01)
    bar.set_label(f"{sweep.metric_label()}, {sweep.goal_words()}")
    missing = len(sweep.summary) - len(scored)
    fig.suptitle(f"{sweep.name}: {len(scored)} trials through the swept parameters, coloured by "
                 f"{sweep.metric}" + (f" ({missing} without a {sweep.metric} not shown)"
                                      if missing else ""))
    path = _save(fig, out, "parallel_coordinates.png")
    caption = (f"Each line is one trial, passing through its value of every swept parameter and "
               f"ending at its {sweep.metric}; brighter lines are better and are drawn on top.")
    return Picture(path, "Parallel coordinates", caption)


def _groups(sweep: SweepResults) -> tuple[str | None, list[tuple[Any, list[str]]]]:
    """Trials split by the compared parameter: [(value, trial ids)], at most MAX_PANELS, best
    group first."""
    key = group_parameter(sweep)
    summary = sweep.summary
    if key is None:
        return None, [(None, list(summary["trial"]))]
    groups = []
    for value in categories(sweep, key):
        mine = summary[summary[key] == value]
        scores = mine[sweep.metric].dropna()
        best = (scores.max() if sweep.maximize else -scores.min()) if len(scores) else -math.inf
        groups.append((best, value, list(mine["trial"])))
    if len(groups) > MAX_PANELS:
        groups = sorted(groups, key=lambda g: -g[0])[:MAX_PANELS]
    return key, [(value, trials) for _, value, trials in groups]


def plot_gradient_norms(sweep: SweepResults, out: Path,
                        say: Callable[[str], None]) -> Picture | None:
    """||dC/dW^l|| per layer against epoch (one panel a group), and against depth at epoch 1."""
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    key, groups = _groups(sweep)
    profiles = []
    for value, trials in groups:
        frames = [sweep.metrics[t] for t in trials if t in sweep.metrics]
        frames = [f for f in frames if any(c.startswith("grad_norm_") for c in f.columns)]
        if not frames:
            continue
        depth = max(sum(c.startswith("grad_norm_") for c in f.columns) for f in frames)
        columns = [f"grad_norm_{layer}" for layer in range(1, depth + 1)]
        deepest = [f for f in frames if all(c in f.columns for c in columns)]
        # The median over trials: one diverged trial must not drag the curve of its group.
        median = pd.concat([f[["epoch", *columns]] for f in deepest]).groupby("epoch").median()
        profiles.append((value, columns, median, len(deepest), len(frames)))
    if not profiles:
        _no_data(sweep, "gradient norms", say)
        return None
    n = len(profiles)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.6 * n + 4.4, 4.3), layout="constrained",
                             squeeze=False, gridspec_kw={"width_ratios": [1] * n + [1.15]})
    axes = axes[0]
    all_values = np.concatenate([p[2].to_numpy(float).ravel() for p in profiles])
    positive = all_values[np.isfinite(all_values) & (all_values > 0)]
    limits = (positive.min() / 1.5, positive.max() * 1.5) if len(positive) else None
    for ax in axes:
        ax.set_yscale("log")
        if limits:
            _plain_log_labels(ax.yaxis, *limits)
    layer_cmap = plt.get_cmap("viridis")
    names = short_names(sweep.parameters)
    for ax, (value, columns, median, count, total) in zip(axes[:n], profiles, strict=True):
        depth = len(columns)
        for layer, column in enumerate(columns, start=1):
            colour = layer_cmap(0.85 * (layer - 1) / max(depth - 1, 1))
            where = "  (input side)" if layer == 1 else "  (output)" if layer == depth else ""
            ax.plot(median.index, median[column].where(median[column] > 0), color=colour,
                    linewidth=1.5, label=f"layer {layer}{where}")
        if limits:
            ax.set_ylim(*limits)
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
        what = f"{names[key]}={format_value(value)}" if key else "all trials"
        trials = f"median of {count} trials" if count > 1 else "1 trial"
        deepest = " (the deepest)" if count < total else ""
        ax.set_title(f"{what}\n{trials}, {depth} layers{deepest}")
        if depth != len(profiles[0][1]):
            ax.legend(loc="best", fontsize=7, ncol=2 if depth > 5 else 1)
    axes[0].set_ylabel(f"gradient norm {NORM} (log scale)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 6))
    for ax in axes[1:n]:
        ax.sharey(axes[0])
        ax.tick_params(labelleft=False)
    depth_ax = axes[n]
    ratios = []
    for g, (value, columns, median, _, _) in enumerate(profiles):
        first = median.iloc[0][columns].to_numpy(float)
        label = f"{names[key]}={format_value(value)}" if key else "all trials"
        depth_ax.plot(range(1, len(columns) + 1), np.where(first > 0, first, np.nan),
                      marker=MARKERS[g % len(MARKERS)], color=OKABE_ITO[g % len(OKABE_ITO)],
                      linewidth=1.6, label=label)
        if first[-1] > 0 and np.isfinite(first[0]):
            ratios.append((label, first[0] / first[-1]))
    if limits:
        depth_ax.set_ylim(*limits)
    depth_ax.set_xlabel("layer l (1 = nearest the input)")
    depth_ax.set_ylabel("gradient norm at epoch 1 (log scale)")
    depth_ax.set_title("Against depth, first epoch")
    depth_ax.xaxis.get_major_locator().set_params(integer=True)
    if n > 1:
        depth_ax.legend(loc="best")
    fig.suptitle(f"{sweep.name}: gradient norm per layer {NORM}"
                 + (f" by {names[key]}" if key else ""))
    path = _save(fig, out, "gradient_norms.png")
    caption = ("Norm of the gradient of the cost with respect to each layer's weights, per epoch "
               "(log scale) and against depth in the first epoch")
    if ratios:
        caption += ("; in the first epoch layer 1's gradient is " + ", ".join(
            f"{ratio:.2g}× ({label})" for label, ratio in ratios) + " that of the last layer")
    return Picture(path, "Gradient norms per layer", caption + ".")


def plot_decision_regions(sweep: SweepResults, out: Path,
                          say: Callable[[str], None]) -> Picture | None:
    """The best trial's predicted class over the plane of a 2-D data set, training points on top.

    One panel a group (the best trial of each activation, say). The network sees standardized
    inputs when ``data.standardize`` is on, so the plane is drawn in those units.
    """
    import matplotlib.pyplot as plt

    if sweep.task != "classification":
        return None
    key, groups = _groups(sweep)
    chosen = []
    ranked = sweep.ranked()
    ranked = ranked[ranked["status"].isin(["ok", "stopped"])]
    for value, trials in groups:
        for trial in ranked["trial"]:
            if trial not in trials:
                continue
            folder = sweep.path / "trials" / trial
            result = _try_json(folder / "result.json")
            if (folder / "weights.npz").is_file() and result and \
                    (result.get("sizes") or [0])[0] == 2:
                chosen.append((value, trial, result))
            break
    if not chosen:
        return None
    try:
        from nnrun.core import Network
        from nnrun.data import load_dataset
    except ImportError as error:
        say(f"no decision regions: {error}")
        return None
    panels = []
    datasets: dict[str, Any] = {}
    for value, trial, result in chosen:
        try:
            panels.append((value, trial, *_network_and_data(sweep, trial, result, Network,
                                                            load_dataset, datasets)))
        except (NnrunError, OSError, KeyError, ValueError) as error:
            say(f"no decision regions for trial {trial}: {error}")
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels) + 0.4, 4.9),
                             layout="constrained", squeeze=False)
    names = short_names(sweep.parameters)
    handles = None
    for ax, (_, trial, net, data, standardized) in zip(axes[0], panels, strict=True):
        handles = _draw_regions(ax, net, data, standardized)
        score = sweep.summary.loc[sweep.summary["trial"] == trial, sweep.metric].iloc[0]
        settings = sweep.summary.loc[sweep.summary["trial"] == trial, "config"].iloc[0]
        ax.set_title(textwrap.fill(settings, 48) + f"\ntrial {trial[:10]}, {sweep.metric} "
                                                  f"{format_value(score)}")
    for ax in axes[0][1:]:
        ax.set_ylabel("")
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 8))
    best = "the best trial" + (f" of each {names[key]}" if key and len(panels) > 1 else "")
    fig.suptitle(f"{sweep.name}: decision regions of {best} (training points on top)")
    path = _save(fig, out, "decision_regions.png")
    space = "standardized input plane" if panels[0][4] else "input plane"
    caption = (f"Class predicted by {best} over the {space}, shaded, with the training points "
               f"coloured by their true class.")
    return Picture(path, "Decision regions", caption)


def _try_json(path: Path) -> dict[str, Any] | None:
    try:
        return read_json_object(path)
    except NnrunError:
        return None


def _network_and_data(sweep: SweepResults, trial: str, result: dict[str, Any], network_type: Any,
                      load_dataset: Callable[..., Any], cache: dict[str, Any]) -> tuple:
    """Rebuild a trial's trained network from weights.npz, and its data set (cached by spec)."""
    import numpy as np
    import yaml

    folder = sweep.path / "trials" / trial
    config = yaml.safe_load((folder / "config.yaml").read_text())
    sizes = [int(s) for s in result["sizes"]]
    model = config["model"]
    net = network_type(sizes, activation=model["activation"], loss=config["loss"],
                       output=model.get("output", "auto"), init="auto", seed=0, dtype="float64",
                       task=result.get("task") or sweep.task)
    with np.load(folder / "weights.npz", allow_pickle=False) as arrays:
        for i in range(len(sizes) - 1):
            net.weights[i][...] = arrays[f"W{i + 1}"]
            net.biases[i][...] = arrays[f"b{i + 1}"]
    spec = config["data"]
    key = json.dumps(spec, sort_keys=True, default=str)
    if key not in cache:
        config_path = sweep.meta.get("config_path")
        base_dir = Path(config_path).parent if config_path else None
        seed = spec.get("seed")
        cache[key] = load_dataset(spec, seed=0 if seed is None else int(seed), base_dir=base_dir)
    return net, cache[key], bool(spec.get("standardize", True))


def _draw_regions(ax: Axes, net: Any, data: Any, standardized: bool) -> list:
    import numpy as np
    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    X, Y = data.X_train, data.Y_train
    labels = (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)
    n_classes = max(Y.shape[1], 2)
    colours = [OKABE_ITO[i % len(OKABE_ITO)] for i in range(n_classes)]
    margin = 0.08 * (X.max(axis=0) - X.min(axis=0))
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(low[0], high[0], 220), np.linspace(low[1], high[1], 220)
    grid_x, grid_y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        out = net.forward(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    predicted = (out[:, 0] > 0.5).astype(int) if out.shape[1] == 1 else out.argmax(axis=1)
    predicted = predicted.reshape(grid_x.shape)
    cmap = ListedColormap(colours)
    ax.pcolormesh(xs, ys, predicted, cmap=cmap, vmin=-0.5, vmax=n_classes - 0.5, alpha=0.28,
                  shading="auto", rasterized=True)
    ax.contour(xs, ys, predicted, levels=np.arange(n_classes) + 0.5, colors="#333333",
               linewidths=0.7)
    if len(X) > 1500:  # enough points to see the shape; more only hides the regions
        keep = np.random.default_rng(0).choice(len(X), 1500, replace=False)
        X, labels = X[keep], labels[keep]
    for k in range(n_classes):
        mine = labels == k
        ax.scatter(X[mine, 0], X[mine, 1], s=11, color=colours[k],
                   marker=MARKERS[k % len(MARKERS)], edgecolors="white", linewidths=0.3)
    features = list(getattr(data, "feature_names", None) or ["x1", "x2"])
    unit = " (standardized: s.d. from the mean)" if standardized else ""
    ax.set_xlabel(f"{features[0]}{unit}")
    ax.set_ylabel(f"{features[1]}{unit}")
    ax.grid(False)
    classes = list(getattr(data, "classes", None) or range(n_classes))
    return [Line2D([], [], linestyle="", marker=MARKERS[k % len(MARKERS)], color=colours[k],
                   label=f"class {classes[k]}") for k in range(n_classes)]

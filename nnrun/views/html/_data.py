"""What report.html shows, as plain JSON-able data: one entry a sweep, one a trial, the curves
and gradient norms of each trial. No plotly here: the figures are built from this in
``_figures`` and the page's small glue reads it to filter and highlight.

Everything comes from :class:`nnrun.views.sweep.SweepResults`, the one reader's view of a
results folder, so a running or partly failed sweep shows what it has.
"""

from __future__ import annotations

import math
from typing import Any

from nnrun.views.plots._gather import categories, is_log_scaled, is_numeric
from nnrun.views.sweep import SweepResults, label_value, metric_label, short_names

CURVE_COLUMNS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
METRIC_COLUMNS = ("val_accuracy", "val_loss", "test_accuracy", "test_loss", "train_loss")


def rounded(value: Any, digits: int = 5) -> float | None:
    """A number for the page: ``digits`` significant digits (the file stays small), None for
    what is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return float(f"{number:.{digits}g}")


def _plain(value: Any) -> Any:
    """A parameter's value as the page shows it: a number, or its text."""
    if hasattr(value, "item") and not isinstance(value, str):  # a numpy scalar from pandas
        value = value.item()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return rounded(value, 6)
    try:
        if value != value:  # NaN from pandas
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def sweep_data(sweep: SweepResults) -> dict[str, Any]:
    """One sweep: its name, metric, parameters (with their kind and values in order), counts
    by status, and its trials with their curves."""
    names = short_names(sweep.parameters)
    parameters = []
    for key in sweep.parameters:
        numeric = is_numeric(sweep, key)
        parameters.append({
            "key": key, "name": names[key], "numeric": numeric,
            "log": numeric and is_log_scaled(sweep, key),
            "levels": None if numeric else [str(v) for v in categories(sweep, key)],
        })
    summary = sweep.summary
    counts = {str(k): int(v) for k, v in summary["status"].value_counts().items()}
    trials = _trials(sweep)
    return {
        "name": sweep.name, "metric": sweep.metric, "goal": sweep.goal, "task": sweep.task,
        "metric_label": sweep.metric_label(), "parameters": parameters, "counts": counts,
        "unfinished": len(sweep.unfinished), "trials": trials,
        "objectives": [{"metric": metric, "goal": goal,
                        "label": metric_label(metric, sweep.config.get("loss"),
                                              "loss" in sweep.parameters)}
                       for metric, goal in sweep.objectives],
        "front": _front(sweep, trials),
    }


def _front(sweep: SweepResults, trials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """With several objectives, each configuration with a value of every one: its label, its
    trials (best first), the means of the objectives, its non-dominated rank (0: the Pareto
    front); front first, as ``nnrun show`` lists them. [] with one objective."""
    if len(sweep.objectives) < 2:
        return []
    place = {trial["id"]: index for index, trial in enumerate(trials)}
    metrics = [metric for metric, _ in sweep.objectives]
    return [{"config": str(row["config"]),
             "trials": sorted(map(str, row["trials"]), key=lambda t: place.get(t, len(place))),
             "values": [rounded(row[metric], 6) for metric in metrics],
             "rank": int(row["rank"])}
            for _, row in sweep.front().iterrows()]


def _trials(sweep: SweepResults) -> list[dict[str, Any]]:
    """Every finished trial, best first (those without a metric last)."""
    summary = sweep.summary
    ranked = list(sweep.ranked()["trial"])
    order = ranked + [t for t in summary["trial"] if t not in set(ranked)]
    rows = summary.set_index("trial")
    objectives = [metric for metric, _ in sweep.objectives]
    metrics = [m for m in (*objectives, *METRIC_COLUMNS) if m in summary.columns]
    metrics = list(dict.fromkeys(metrics))
    trials = []
    for rank, trial in enumerate(order, start=1):
        row = rows.loc[trial]
        entry = {
            "id": str(trial), "sweep": sweep.name, "status": str(row["status"]),
            "rank": rank if rank <= len(ranked) else None, "config": str(row["config"]),
            "params": {p: _plain(row[p]) for p in sweep.parameters},
            "labels": {p: label_value(row[p]) for p in sweep.parameters},
            "metrics": {m: rounded(row[m]) for m in metrics},
            "epochs_run": rounded(row.get("epochs_run")),
            "score": rounded(row[sweep.metric]),
        }
        entry.update(_curves(sweep, str(trial)))
        trials.append(entry)
    return trials


def _curves(sweep: SweepResults, trial: str) -> dict[str, Any]:
    """The trial's per-epoch metrics and gradient norms (empty when it has no metrics.csv)."""
    frame = sweep.metrics.get(trial)
    if frame is None:
        return {"epochs": [], "curves": {}, "grad_norms": []}
    curves = {c: [rounded(v, 4) for v in frame[c]] for c in CURVE_COLUMNS if c in frame.columns}
    layers = sorted((c for c in frame.columns if c.startswith("grad_norm_")),
                    key=lambda c: int(c.rsplit("_", 1)[1]))
    return {"epochs": [int(e) for e in frame["epoch"]], "curves": curves,
            "grad_norms": [[rounded(v, 4) for v in frame[c]] for c in layers]}

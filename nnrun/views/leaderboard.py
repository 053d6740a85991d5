"""The leaderboard of a results folder: trials grouped by configuration, ranked by the metric.

Read through nnrun.results' reader (sweep.json, summary.csv), so it works on a sweep that
is still running and on one copied from another machine.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from nnrun.results.reader import read_summary, read_sweep_meta
from nnrun.vocabulary import METRICS


def leaderboard(folder: Path, top: int | None = None):
    """One row a configuration (mean and std over repeats), best first.

    Returns ``(table, meta)``: ``table`` has the swept parameters, ``n`` (the configuration's
    trials, whatever their status), the counts ``failed``, ``diverged`` and ``stopped``, then for
    each metric its mean over the finished (ok or stopped) trials and, with repeats,
    ``<metric>_std``.
    """
    import pandas as pd

    meta = read_sweep_meta(folder)
    summary = read_summary(folder, meta)
    params = [p for p in meta.get("parameters", []) if p in summary.columns]
    metric = meta.get("metric") or "val_loss"
    goal = meta.get("goal") or "minimize"
    metrics = [m for m in METRICS if m in summary.columns]
    if summary.empty:
        return pd.DataFrame(columns=[*params, "n", metric]), meta
    summary = summary.copy()
    for column in params:
        summary[column] = summary[column].astype(str)
    summary["_finished"] = summary["status"].isin(["ok", "stopped"])
    keys = params or ["trial"]
    rows = []
    for key, group in summary.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        good = group[group["_finished"]]
        row["n"] = len(group)
        row["failed"] = int((group["status"] == "failed").sum())
        row["diverged"] = int((group["status"] == "diverged").sum())
        row["stopped"] = int((group["status"] == "stopped").sum())
        if "epochs_run" in group.columns:
            epochs = pd.to_numeric(group["epochs_run"], errors="coerce").dropna()
            row["epochs_run"] = int(epochs.max()) if len(epochs) else 0
        for name in metrics:
            values = pd.to_numeric(good[name], errors="coerce").dropna()
            row[name] = float(values.mean()) if len(values) else math.nan
            row[f"{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        rows.append(row)
    table = pd.DataFrame(rows)
    if metric in table.columns:
        table = table.sort_values(metric, ascending=(goal == "minimize"), na_position="last",
                                  kind="stable")
    table = table.reset_index(drop=True)
    if top is not None:
        table = table.head(top)
    return table, meta


def display_columns(table, meta: dict[str, Any]) -> list[str]:
    """The columns worth showing: parameters, the metric first, then the others."""
    params = [p for p in meta.get("parameters", []) if p in table.columns] or (
        ["trial"] if "trial" in table.columns else [])
    metric = meta.get("metric")
    metrics = [m for m in METRICS if m in table.columns]
    if metric in metrics:
        metrics.remove(metric)
        metrics.insert(0, metric)
    # Successive halving cuts trials at different epochs: say how far each configuration got.
    epochs = ["epochs_run"] if "stopped" in table.columns and table["stopped"].any() else []
    return [*params, *metrics, *epochs, "n"]


def format_cell(table, row: Any, column: str) -> str:
    value = row[column]
    if column in METRICS:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "-"
        text = f"{value:.4f}"
        std = row.get(f"{column}_std") if f"{column}_std" in table.columns else None
        if std is not None and not (isinstance(std, float) and math.isnan(std)):
            text += f" ± {std:.4f}"
        return text
    if column == "n":
        extra = []
        if row.get("failed"):
            extra.append(f"{row['failed']} failed")
        if row.get("diverged"):
            extra.append(f"{row['diverged']} diverged")
        if row.get("stopped"):
            extra.append(f"{row['stopped']} stopped")
        return f"{value}" + (f" ({', '.join(extra)})" if extra else "")
    return str(value)


def to_markdown(table, meta: dict[str, Any]) -> str:
    """The leaderboard as a GitHub-flavoured markdown table."""
    columns = display_columns(table, meta)
    lines = ["| rank | " + " | ".join(columns) + " |",
             "|---:|" + "|".join("---:" if c in (*METRICS, "n", "epochs_run") else "---"
                                 for c in columns)
             + "|"]
    for rank, (_, row) in enumerate(table.iterrows(), start=1):
        cells = [format_cell(table, row, c).replace("|", "\\|") for c in columns]
        lines.append(f"| {rank} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

"""The run being checked: a results folder read through the one reader, its trials grouped by
configuration.

A configuration is identified by its swept values, never by seed; its metric is the mean over
its scored trials (``ok`` and ``stopped``: a trial that successive halving stopped counts with
the metrics it reached, since halving stops the same trials at the same rung for the same
seeds). The trials are those that ``nnrun show`` and ``nnrun plot`` count: summary.csv's rows
and the sweep's trials that finished since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnrun.check._values import canonical, cell_text, native, number, rounded
from nnrun.errors import NnrunError
from nnrun.results.layout import Layout, sweep_folders_in
from nnrun.results.reader import ResultsReader, sweep_objectives
from nnrun.vocabulary import FAILED, SCORED, TIMINGS, default_goal

# summary.csv columns that are never metrics, whatever their name.
NOT_METRICS = ("trial", "status", "seed", "best_epoch", "epochs_run", "wall_s")


@dataclass
class RunConfiguration:
    """One configuration of the run: its trials' statuses and the means over scored trials."""

    params: dict[str, Any]           # native values
    labels: dict[str, str]           # as summary.csv writes them
    statuses: list[str] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return sum(status in SCORED for status in self.statuses)

    @property
    def crashed(self) -> int:
        return self.statuses.count(FAILED)

    def mean(self, metric: str) -> float | None:
        values = [v for v in self.values.get(metric, []) if math.isfinite(v)]
        return rounded(sum(values) / len(values)) if values else None


@dataclass
class Run:
    folder: Path
    name: str
    parameters: list[str]
    data: dict[str, Any]
    metric: str | None
    goal: str | None
    finished_at: str | None
    columns: list[str]
    configurations: dict[str, RunConfiguration]
    objectives: list[tuple[str, str]] = field(default_factory=list)  # the sweep's (metric, goal)

    @property
    def metrics(self) -> list[str]:
        """The columns that are metrics."""
        return [c for c in self.columns if c not in NOT_METRICS and c not in self.parameters]

    def direction(self, metric: str) -> str:
        """``maximize`` or ``minimize``; raise NnrunError for a column that is not a metric."""
        if metric not in self.metrics:
            available = ", ".join(self.metrics) or "no metric columns"
            raise NnrunError(f"unknown metric {metric!r}: {Layout(self.folder).summary_csv} has "
                             f"{available}")
        if metric.endswith("accuracy"):
            return "maximize"
        if metric.endswith("loss"):
            return "minimize"
        goals = dict(self.objectives)
        if metric == self.metric and self.goal in ("maximize", "minimize"):
            return self.goal
        if goals.get(metric) in ("maximize", "minimize"):
            return goals[metric]
        if metric in ("n_parameters", *TIMINGS):
            return default_goal(metric)
        raise NnrunError(f"metric {metric!r}: cannot tell whether higher or lower is better")

    def default_metrics(self) -> list[str]:
        """The sweep's metrics (each objective's, but a measured time: it is not a result of
        the config and seed, so it is checked only when asked for) and val_loss."""
        metric = self.metric or ("val_accuracy" if "val_accuracy" in self.columns else "val_loss")
        objectives = [m for m, _ in self.objectives if m not in TIMINGS and m in self.columns]
        return list(dict.fromkeys([metric, *objectives, "val_loss"]))


def load_run(folder: Path) -> Run:
    """Read a results folder; raise NnrunError when it is not one."""
    folder = Path(folder)
    _require_results_folder(folder)
    reader = ResultsReader(folder)
    meta = reader.meta()
    name, parameters, data = _identity(meta, reader.layout.sweep_json)
    summary = reader.summary(meta)
    columns = [str(c) for c in summary.columns]
    for column in parameters:
        if column not in columns:
            raise NnrunError(f"{reader.layout.summary_csv}: no column {column!r}")
    run = Run(folder, name, parameters, data, meta.get("metric"), meta.get("goal"),
              meta.get("finished_at"), columns, {}, sweep_objectives(meta))
    metrics = run.metrics
    for row in summary.to_dict("records"):
        _count(run, row, metrics)
    return run


def _require_results_folder(folder: Path) -> None:
    """The check needs a sweep's folder with its summary.csv (a sweep that ran)."""
    if not folder.exists():
        raise NnrunError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise NnrunError(f"{folder}: not a folder (expected a results folder of nnrun sweep)")
    layout = Layout(folder)
    for path in (layout.sweep_json, layout.summary_csv):
        if not path.is_file():
            inside = [str(p) for p in sweep_folders_in(folder)]
            hint = f"; did you mean {' or '.join(inside[:3])}?" if inside else \
                " (run `nnrun sweep` first)"
            raise NnrunError(f"{folder}: not a results folder: {path.name} is missing{hint}")


def _identity(meta: dict[str, Any], path: Path) -> tuple[str, list[str], dict[str, Any]]:
    """The sweep's name, swept keys and data block, which a baseline must share."""
    name, parameters = meta.get("name"), meta.get("parameters")
    if not isinstance(name, str) or not name:
        raise NnrunError(f"{path}: 'name' is missing or not a string")
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise NnrunError(f"{path}: 'parameters' must be a list of dotted keys")
    config = meta.get("config")
    data = config.get("data") if isinstance(config, dict) else None
    if not isinstance(data, dict):
        raise NnrunError(f"{path}: 'config' has no 'data' block")
    return name, list(parameters), data


def _count(run: Run, row: dict[str, Any], metrics: list[str]) -> None:
    """Add one trial's row to its configuration."""
    params = {p: native(row[p]) for p in run.parameters}
    configuration = run.configurations.setdefault(
        canonical(params), RunConfiguration(params, {p: cell_text(row[p])
                                                     for p in run.parameters}))
    status = str(row["status"]).strip()
    configuration.statuses.append(status)
    if status in SCORED:
        for metric in metrics:
            configuration.values.setdefault(metric, []).append(number(row.get(metric)))

"""A sweep's results folder as the views see it: the trials with a label per configuration,
the metric and its goal, each trial's per-epoch metrics; and how parameters and metrics are
named on a page (short names, units).

Read through :mod:`nnrun.results` (the files) and shaped here (labels): the pictures and the
report are drawn from one :class:`SweepResults`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.errors import NnrunError
from nnrun.results.pareto import non_dominated_ranks
from nnrun.results.reader import ResultsReader, sweep_objectives
from nnrun.results.record import TrialRecord
from nnrun.vocabulary import FAILED, SCORED

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# What a swept value means, for axis labels; other keys are labelled by their dotted path.
PARAM_LABELS = {
    "optimizer.lr": "learning rate",
    "optimizer.weight_decay": "weight decay (L2 coefficient)",
    "optimizer.momentum": "momentum coefficient",
    "train.batch_size": "batch size, samples",
    "train.epochs": "epochs",
    "model.hidden": "hidden layer widths, units",
    "data.noise": "data noise, s.d.",
    "data.n_samples": "data set size, samples",
}
GENERIC_NAMES = {"name", "type", "seed", "path"}  # say `optimizer.name`, not just `name`
LOSS_NAMES = {"cross_entropy": "cross-entropy", "mse": "mean squared error"}


@dataclass
class SweepResults:
    """A sweep's results folder, read: what the pictures and the report are drawn from."""

    path: Path
    meta: dict[str, Any]
    summary: pd.DataFrame            # one row a finished trial; column "config" labels its settings
    parameters: list[str]            # swept dotted keys, as in sweep.json
    metric: str
    goal: str                        # maximize | minimize
    task: str                        # classification | regression
    metrics: dict[str, pd.DataFrame] = field(default_factory=dict)  # trial id -> metrics.csv
    unfinished: list[str] = field(default_factory=list)   # in sweep.json, no result yet
    no_metrics: list[str] = field(default_factory=list)   # finished (not failed), no metrics.csv
    others: int = 0                  # trial folders of other sweeps (not listed in sweep.json)
    # every (metric, goal) of the sweep, the first being ``metric`` and ``goal``
    objectives: list[tuple[str, str]] = field(default_factory=list)

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.name)

    @property
    def config(self) -> dict[str, Any]:
        return self.meta.get("config") or {}

    def scored(self) -> pd.DataFrame:
        """The trials with a score: ok or stopped, with a finite value of the metric. A diverged
        trial has none, whatever its file says (the numbers of a network whose loss became
        infinite): ``-`` here as in ``nnrun show`` and ``nnrun check``."""
        import numpy as np

        values = self.summary[self.metric].to_numpy(dtype=float)
        return self.summary[np.isfinite(values) & self._scored_status()]

    def _scored_status(self) -> np.ndarray:
        return self.summary["status"].isin(SCORED).to_numpy()

    def ranked(self) -> pd.DataFrame:
        """The trials with a metric, best first (ties by trial id, so the order is stable)."""
        return self.scored().sort_values([self.metric, "trial"],
                                         ascending=[not self.maximize, True], kind="mergesort")

    def configs(self) -> pd.DataFrame:
        """One row a configuration (repeats pooled): mean, s.d. and count of the metric, best
        first; ``trials`` lists its trial ids."""
        import numpy as np
        import pandas as pd

        summary = self.summary
        values = summary[self.metric].to_numpy(dtype=float, copy=True)
        values[~self._scored_status()] = math.nan  # a diverged trial has no score
        rows = []
        for label, group in summary.groupby("config", sort=False):
            scores = values[group.index.to_numpy()]
            scores = scores[np.isfinite(scores)]
            rows.append({
                "config": label, "trials": list(group["trial"]),
                "mean": float(scores.mean()) if len(scores) else math.nan,
                "std": float(scores.std(ddof=1)) if len(scores) > 1 else math.nan,
                "n": len(scores),
                **{p: group[p].iloc[0] for p in self.parameters},
            })
        columns = ["config", "trials", "mean", "std", "n", *self.parameters]
        table = pd.DataFrame(rows, columns=columns)
        return table.sort_values("mean", ascending=not self.maximize, na_position="last",
                                 kind="mergesort").reset_index(drop=True)

    def front(self) -> pd.DataFrame:
        """One row a configuration with a value of every objective: ``config``, ``trials``, the
        mean of each objective's metric over its scored trials, ``rank`` (non-dominated, 0 the
        Pareto front, :mod:`nnrun.results.pareto`) and ``pareto``; front first, then by the
        first metric."""
        import numpy as np
        import pandas as pd

        metrics = [metric for metric, _ in self.objectives]
        rows = []
        for label, group in self.summary.groupby("config", sort=False):
            means = {}
            for metric in metrics:
                values = pd.to_numeric(group[metric], errors="coerce").to_numpy(dtype=float)
                values = values[np.isfinite(values)]
                means[metric] = float(values.mean()) if len(values) else math.nan
            rows.append({"config": label, "trials": list(group["trial"]), **means})
        table = pd.DataFrame(rows, columns=["config", "trials", *metrics])
        table["rank"] = non_dominated_ranks(table[metrics].to_numpy(dtype=float),
                                            [goal for _, goal in self.objectives])
        table = table[table["rank"] >= 0].copy()
        table["pareto"] = table["rank"] == 0
        first = table[metrics[0]] * (-1 if self.maximize else 1)
        order = np.lexsort((first.to_numpy(), table["rank"].to_numpy()))
        return table.iloc[order].reset_index(drop=True)

    def metric_label(self) -> str:
        return metric_label(self.metric, self.config.get("loss"), "loss" in self.parameters)

    def goal_words(self) -> str:
        return "higher is better" if self.maximize else "lower is better"

    # A trial's own files, for a picture that needs more than the summary (decision regions
    # rebuild a trained network): read through the one reader.

    def record(self, trial: str) -> TrialRecord | None:
        """The trial's result.json (sizes, task, error, ...), or None."""
        return ResultsReader(self.path).record(trial)

    def trial_config(self, trial: str) -> dict[str, Any] | None:
        """The trial's resolved configuration (its config.yaml), or None."""
        return ResultsReader(self.path).config(trial)

    def has_weights(self, trial: str) -> bool:
        """Whether the trial saved its trained weights (weights.npz)."""
        return ResultsReader(self.path).has_weights(trial)

    def trial_weights(self, trial: str) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """The trained weights and biases, layer 1 first (its weights.npz), or None."""
        return ResultsReader(self.path).weights(trial)


def load_sweep(folder: Path) -> SweepResults:
    """Read a sweep through :class:`nnrun.results.ResultsReader`: its trials (summary.csv and
    those finished since), the metric and its goal, and each trial's metrics.csv; a running or
    killed sweep shows what it has."""
    import numpy as np
    import pandas as pd

    reader = ResultsReader(folder)
    meta = reader.meta()
    parameters = [str(p) for p in meta.get("parameters") or []]
    summary = reader.summary(meta)
    for p in parameters:
        if p not in summary.columns:
            summary[p] = None
    task = meta.get("task") or ("classification" if "val_accuracy" in summary.columns
                                else "regression")
    objectives = sweep_objectives({**meta, "task": task})
    metric, goal = objectives[0]
    for name, _ in objectives:
        if name not in summary.columns:
            if len(summary):
                raise NnrunError(f"{reader.layout.summary_csv}: has no column {name!r}, a "
                                 f"metric of the sweep")
            summary[name] = pd.Series(dtype=float)
        values = pd.to_numeric(summary[name], errors="coerce").astype(float)
        summary[name] = values.where(np.isfinite(values))
    summary["config"] = _config_labels(summary, parameters)
    sweep = SweepResults(path=reader.folder, meta=meta, summary=summary,
                         parameters=parameters, metric=metric, goal=goal, task=task,
                         unfinished=reader.unfinished(meta, summary),
                         others=len(reader.other_trials(meta)), objectives=objectives)
    for trial, status in zip(summary["trial"], summary["status"], strict=True):
        frame = reader.metrics(trial)
        if frame is not None:
            # Diverged trials hold inf: the pictures leave them out, as they do NaN.
            sweep.metrics[trial] = frame.replace([np.inf, -np.inf], np.nan)
        elif status != FAILED:
            sweep.no_metrics.append(trial)
    return sweep


def _config_labels(summary: pd.DataFrame, parameters: list[str]) -> list[str]:
    """A readable label per row that repeats of one configuration share: ``lr=0.01, tanh``."""
    if not parameters:
        return ["the configuration"] * len(summary)
    names = short_names(parameters)
    return [", ".join(f"{names[p]}={label_value(v)}" for p, v in zip(parameters, row,
                                                                       strict=True))
            for row in summary[parameters].itertuples(index=False, name=None)]


def short_names(parameters: list[str]) -> dict[str, str]:
    """``optimizer.lr`` -> ``lr``, unless two swept keys end alike."""
    lasts = [p.rsplit(".", 1)[-1] for p in parameters]
    lasts = [p if last in GENERIC_NAMES else last for p, last in zip(parameters, lasts,
                                                                     strict=True)]
    return {p: last if lasts.count(last) == 1 else p for p, last in zip(parameters, lasts,
                                                                        strict=True)}


def label_value(value: Any) -> str:
    """A value for a label: floats to 3 significant digits, ``[32, 32, 32, 32]`` as ``[32]×4``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    text = str(value)
    if text.startswith("[") and text.endswith("]"):
        items = [item.strip() for item in text[1:-1].split(",")]
        if len(items) >= 3 and len(set(items)) == 1:
            return f"[{items[0]}]×{len(items)}"
    return text


def metric_label(metric: str, loss: str | None, loss_swept: bool = False) -> str:
    """The metric with its unit, for an axis."""
    if metric.endswith("accuracy"):
        return f"{metric} (fraction correct)"
    if metric == "n_parameters":
        return "n_parameters (weights and biases)"
    if metric == "train_seconds":
        return "train_seconds (training time, s)"
    if metric.endswith("loss"):
        if loss_swept or not loss:
            return f"{metric} (each trial's own loss)"
        return f"{metric} ({LOSS_NAMES.get(loss, loss)})"
    return metric


def param_label(parameter: str) -> str:
    meaning = PARAM_LABELS.get(parameter)
    return f"{parameter}: {meaning}" if meaning else parameter


"""Which trial is ``best``: the one definition that ``nnrun predict``, ``refit``, ``export``,
``nnrun.load_model`` and ``open_results(...).best_trial`` share.

The best trial is the best repeat of the best configuration of the leaderboard (``nnrun
show``'s first row): trials are grouped by their swept parameters (repeats of one
configuration share them), each configuration is scored by the mean of the sweep's metric over
its scored trials (ok or stopped; failed and diverged trials have no model worth using), the
configurations are ranked by that mean in the sweep's goal (``maximize`` or ``minimize``; ties
keep the order of the summary), and of the first configuration the trial with the best value of
the metric is taken (ties: the smallest trial id).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nnrun.errors import NnrunError
from nnrun.results.reader import ResultsReader
from nnrun.vocabulary import SCORED

if TYPE_CHECKING:
    import pandas as pd

BEST = "best"


def metric_and_goal(meta: dict[str, Any]) -> tuple[str, str]:
    """The sweep's metric and goal, as sweep.json records them."""
    metric = str(meta.get("metric") or "val_loss")
    goal = str(meta.get("goal") or ("maximize" if metric.endswith("accuracy") else "minimize"))
    return metric, goal


def ranked_configurations(summary: pd.DataFrame, parameters: list[str], metric: str,
                          goal: str) -> list[tuple[float, list[str]]]:
    """Each configuration's mean metric over its scored trials and its trial ids (all of them,
    in the summary's order), best first; a configuration without a finite value comes last."""
    import pandas as pd

    keys = [p for p in parameters if p in summary.columns] or ["trial"]
    frame = summary.copy()
    for key in keys:
        frame[key] = frame[key].astype(str)
    values = pd.to_numeric(frame[metric], errors="coerce") if metric in frame else None
    rows = []
    for _, group in frame.groupby(keys, sort=False, dropna=False):
        scored = group["status"].isin(SCORED)
        finite = [] if values is None else [v for v in values[group.index[scored]]
                                            if math.isfinite(v)]
        mean = sum(finite) / len(finite) if finite else math.nan
        rows.append((mean, [str(t) for t in group["trial"]]))
    sign = -1.0 if goal == "maximize" else 1.0
    return sorted(rows, key=lambda row: (math.isnan(row[0]),
                                         0.0 if math.isnan(row[0]) else sign * row[0]))


def best_trial(summary: pd.DataFrame, parameters: list[str], metric: str, goal: str) -> str:
    """The best trial (the module docstring says which); NnrunError when no trial has a value
    of the metric."""
    import pandas as pd

    ranked = ranked_configurations(summary, parameters, metric, goal)
    if not ranked or math.isnan(ranked[0][0]):
        raise NnrunError(f"no finished trial has a value of the sweep's metric {metric}, so "
                         "there is no best trial; give one with --trial ID")
    trials = summary[summary["trial"].astype(str).isin(ranked[0][1])
                     & summary["status"].isin(SCORED)]
    values = pd.to_numeric(trials[metric], errors="coerce")
    candidates = sorted((-v if goal == "maximize" else v, str(t))
                        for v, t in zip(values, trials["trial"], strict=True) if math.isfinite(v))
    return candidates[0][1]


def find_trial(reader: ResultsReader, trial: str) -> str:
    """The trial id ``trial`` names in the sweep of ``reader``: ``best``, the id itself or a
    unique start of one (at least 4 characters)."""
    if trial == BEST:
        meta = reader.meta()
        metric, goal = metric_and_goal(meta)
        parameters = [str(p) for p in meta.get("parameters") or []]
        return best_trial(reader.summary(meta), parameters, metric, goal)
    ids = reader.layout.trial_ids()
    if trial in ids:
        return trial
    matches = [i for i in ids if len(trial) >= 4 and i.startswith(trial)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise NnrunError(f"{reader.folder}: trial {trial!r} is the start of several ids: "
                         f"{', '.join(matches)}")
    raise NnrunError(f"{reader.folder}: no trial {trial!r}; `nnrun show {reader.folder}` lists "
                     f"the trial ids (or use --trial best)")

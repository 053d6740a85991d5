"""What the trackers share: a sweep's objectives, a trial's times, values as trackers take them.

Everything here reads what :class:`~nnrun.results.reader.ResultsReader` hands over (sweep.json
as a dict, records, resolved configs); nothing spells a file name.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

from nnrun.results.record import TrialRecord

Objective = tuple[str, str]  # (metric, goal)


def sweep_objectives(meta: dict[str, Any]) -> list[Objective]:
    """Every (metric, goal) a sweep ranks by, in the file's order: sweep.json's ``objectives``
    ([{metric, goal}, ...], several objectives) or else its ``metric`` and ``goal`` (one)."""
    listed = meta.get("objectives")
    if listed:
        return [(str(item["metric"]), str(item["goal"])) for item in listed]
    metric, goal = meta.get("metric"), meta.get("goal")
    if isinstance(metric, list):  # metric: [a, b] with goal: [g1, g2] (or one goal for all)
        goals = goal if isinstance(goal, list) else [goal] * len(metric)
        return [(str(m), str(g)) for m, g in zip(metric, goals, strict=True)]
    return [(str(metric or "val_loss"), str(goal or "minimize"))]


def finite(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None (a missing or NaN metric)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def objective_values(record: TrialRecord, objectives: list[Objective]) -> list[float] | None:
    """The record's value of each objective, or None when one of them is missing."""
    values = [finite(record.final.get(metric)) for metric, _ in objectives]
    return None if any(value is None for value in values) else values  # type: ignore[return-value]


def scalar(value: Any) -> bool | int | float | str | None:
    """A parameter value as trackers take one: a number, text, a bool or None as it is; a list
    or a mapping (hidden: [32, 32]) as its JSON text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def flat_config(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A resolved configuration as dotted keys to leaf values (model.hidden -> [32, 32]), the
    keys a sweep's parameters are named by."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flat_config(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def trial_times(record: TrialRecord) -> tuple[datetime, datetime] | None:
    """When the trial started and finished (UTC), from its ``finished_at`` and ``wall_s``; None
    when the record has no finishing time."""
    if not record.finished_at:
        return None
    try:
        end = datetime.fromisoformat(record.finished_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return end - timedelta(seconds=float(record.wall_s or 0.0)), end


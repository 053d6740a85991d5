"""What more than one picture asks of a sweep: the kind of each swept parameter (numeric,
log-scaled, discrete), its values in order, the trials grouped by the parameter compared side by
side, and the sentence for a picture that has no data yet.

The package re-exports the parameter kinds, so this module stays light: no matplotlib, and
pandas only inside :func:`is_numeric`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nnrun import vocabulary
from nnrun.views.sweep import SweepResults

MAX_PANELS = 4  # gradient norms and decision regions: at most this many groups side by side


def is_numeric(sweep: SweepResults, parameter: str) -> bool:
    import pandas as pd

    column = sweep.summary[parameter]
    return bool(pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column))


def is_log_scaled(sweep: SweepResults, parameter: str) -> bool:
    """Log axis for log-uniform draws, and for positive values spanning a factor of 10 or more."""
    spec = _swept_values(sweep, parameter)
    if isinstance(spec, dict) and any("log" in str(k) for k in spec):
        return True
    if not is_numeric(sweep, parameter):
        return False
    values = sweep.summary[parameter].dropna().to_numpy(dtype=float)
    return bool(len(values) and values.min() > 0 and values.max() / values.min() >= 10)


def is_grid(sweep: SweepResults) -> bool:
    return sweep.meta.get("method", "grid") == "grid"


def is_discrete(sweep: SweepResults, parameter: str) -> bool:
    """Categories, or a grid's few numeric values: something a heatmap can have a cell for."""
    if not is_numeric(sweep, parameter):
        return True
    return is_grid(sweep) and sweep.summary[parameter].nunique() <= 10


def categories(sweep: SweepResults, parameter: str) -> list[Any]:
    """The values of a parameter in a sensible order: the config's order for a list, else sorted."""
    present = list(dict.fromkeys(sweep.summary[parameter].dropna()))
    if is_numeric(sweep, parameter):
        return sorted(present)
    spec = _swept_values(sweep, parameter)
    if isinstance(spec, dict):  # a random search's {choice: [...]}
        spec = next((v for v in spec.values() if isinstance(v, list)), None)
    # summary.csv holds a list value as its YAML text: compare the config's values as that text
    order = [vocabulary.format_value(v) for v in spec] if isinstance(spec, list) else []
    rank = {v: i for i, v in enumerate(order)}
    return sorted(present, key=lambda v: (rank.get(str(v), len(rank)), str(v)))


GROUP_KEYS = ("model.activation", "optimizer.name", "model.init", "loss", "model.hidden")
MAX_COLOURS = 6  # a parameter with more values is not told apart by colour


def group_parameter(sweep: SweepResults) -> str | None:
    """The swept parameter to compare side by side (gradient norms, decision regions)."""
    for key in GROUP_KEYS:
        if key in sweep.parameters:
            return key
    return None


def colour_parameter(sweep: SweepResults) -> str | None:
    """The categorical swept parameter whose values the parameter effects keep apart, a colour
    each (sigmoid and relu are not averaged together), or None."""
    keys = [k for k in GROUP_KEYS if k in sweep.parameters]
    keys += [p for p in sweep.parameters if p not in keys and not is_numeric(sweep, p)]
    for key in keys:
        if 2 <= sweep.summary[key].nunique() <= MAX_COLOURS:
            return key
    return None


def is_budgeted(sweep: SweepResults) -> bool:
    """Whether the trials trained for different budgets (successive halving stopped some at a
    rung): their scores are not comparable, so no picture averages them together."""
    return bool((sweep.summary["status"] == vocabulary.STOPPED).any()
                or sweep.meta.get("method") == "halving")


def trial_groups(sweep: SweepResults) -> tuple[str | None, list[tuple[Any, list[str]]]]:
    """Trials split by the compared parameter: (that parameter, [(value, trial ids)]), at most
    MAX_PANELS groups, the best groups kept; every trial in one group when nothing is compared."""
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


def no_data(what: str, say: Callable[[str], None]) -> None:
    say(f"no {what}: no finished trial has what it needs yet")


def _swept_values(sweep: SweepResults, parameter: str) -> Any:
    """What the config's ``sweep.parameters`` says of a parameter: a list, a {draw: ...}, None.
    For a list of sub-spaces, the values of every sub-space that sweeps it, in file order."""
    swept = (sweep.config.get("sweep") or {}).get("parameters") or {}
    if isinstance(swept, dict):
        return swept.get(parameter)
    found = [space[parameter] for space in swept
             if isinstance(space, dict) and parameter in space]
    if len(found) == 1 or not all(isinstance(values, list) for values in found):
        return found[0] if found else None
    return [value for values in found for value in values]

"""The depth x width form of a network's shape: ``model.depth`` and ``model.width`` in
``sweep.parameters`` stand for ``model.hidden: [width] * depth``, as sweeps commonly write it.

They are sweep-only keys: a trial's resolved configuration holds ``model.hidden`` (so a trial of
depth 2 and width 32 is the trial of ``model.hidden: [32, 32]``, with its id), and summary.csv
has a column for each of the two. A key swept alone takes the other from the base file's
``model.hidden``: its number of layers (depth) or the width of its first layer (width).
"""

from __future__ import annotations

import copy
from typing import Any

DEPTH, WIDTH = "model.depth", "model.width"
SHAPE_KEYS = (DEPTH, WIDTH)
# model.hidden's default (ModelSection), for a base file that does not say.
DEFAULT_HIDDEN = [32]


def shape_value_problem(key: str, value: Any) -> str:
    """What is wrong with one value of model.depth (an integer >= 0) or model.width (>= 1)."""
    low = 0 if key == DEPTH else 1
    if isinstance(value, bool) or not isinstance(value, int):
        return (f"found {value!r}; {key} is a whole number of "
                f"{'hidden layers' if key == DEPTH else 'units a hidden layer'}")
    if value < low:
        return f"found {value}; it must be >= {low}"
    return ""


def hidden_of(base_hidden: list[int] | None, params: dict[str, Any]) -> list[int] | None:
    """model.hidden for the model.depth / model.width among ``params`` (None when neither is
    there); ValueError when the width cannot be known (depth swept alone on a base of no hidden
    layer)."""
    if DEPTH not in params and WIDTH not in params:
        return None
    base = list(base_hidden) if isinstance(base_hidden, list) else list(DEFAULT_HIDDEN)
    depth = params.get(DEPTH, len(base))
    if WIDTH in params:
        width = params[WIDTH]
    elif base:
        width = base[0]
    else:
        raise ValueError("model.depth needs a width: sweep model.width beside it, or give "
                         "model.hidden a layer to take the width from")
    return [int(width)] * int(depth)


def apply_shape(config: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """``config`` (the trial sections) with model.hidden set from params' depth and width, in
    place; returns the other params, the ones to substitute key by key."""
    hidden = hidden_of((config.get("model") or {}).get("hidden"), params)
    if hidden is not None:
        config.setdefault("model", {})
        if config["model"] is None:
            config["model"] = {}
        config["model"]["hidden"] = hidden
    return {key: copy.deepcopy(value) for key, value in params.items() if key not in SHAPE_KEYS}

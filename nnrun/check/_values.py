"""Parameter values and means as the check matches, orders and shows them.

A configuration is matched by its swept values read as YAML flow reads them, so ``[32, 32]``,
``0.1`` and ``relu`` in summary.csv match the same in a baseline, ``1.0e-3`` matches ``0.001``
and a learning rate of 1 matches one of 1.0.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any

import yaml

from nnrun.vocabulary import SIGNIFICANT_DIGITS, format_value

NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def native(value: Any) -> Any:
    """A summary cell as plain data: text is read as YAML flow (``[32, 32]`` -> list), an
    empty cell is None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    # PyYAML reads 1e-05 (which is how Python writes 0.00001) as a string: YAML 1.1 wants a dot.
    if isinstance(parsed, str) and NUMBER.fullmatch(parsed.strip()):
        return float(parsed)
    return parsed


def normalise(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        # 1 and 1.0 are the same learning rate.
        return int(number) if number.is_integer() else number
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    return str(value)


def canonical(value: Any) -> str:
    """The text two values that match share."""
    return json.dumps(normalise(value), sort_keys=True)


def flow(value: Any) -> str:
    """A parameter value as a reader writes it: ``relu``, ``0.1``, ``[32, 32]``, ``null``."""
    return format_value(value, "null")


def cell_text(value: Any) -> str:
    """A summary cell as summary.csv writes it (``null`` for an empty one)."""
    return value if isinstance(value, str) else flow(native(value))


def label(params: dict[str, Any]) -> str:
    """``model.activation=relu, model.hidden=[8]``, for a message."""
    return ", ".join(f"{k}={v if isinstance(v, str) else flow(v)}" for k, v in params.items()) \
        or "(the only configuration)"


def sort_key(values: Sequence[Any]) -> tuple:
    """Numbers in numeric order, then strings, then lists element by element ([8] < [32, 32])."""
    return tuple(_sort_key(normalise(value)) for value in values)


def _sort_key(value: Any) -> tuple:
    if value is None:
        return (0,)
    if isinstance(value, bool):
        return (1, float(value))
    if isinstance(value, int | float):
        return (2, float(value))
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, list):
        return (4, sort_key(value))
    return (5, canonical(value))


def rounded(value: float | None) -> float | None:
    """A mean as a baseline keeps it: SIGNIFICANT_DIGITS significant digits; None if there is
    no finite value."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


def number(value: Any) -> float:
    """A metric cell as a float, NaN when it holds none."""
    try:
        return float(value) if value not in (None, "") else math.nan
    except (TypeError, ValueError):
        return math.nan

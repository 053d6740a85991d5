"""Dotted paths: ``"optimizer.lr"`` <-> ``config["optimizer"]["lr"]``, and which of them a sweep
may vary."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from nnrun.config._annotations import is_model, nullable, unwrap
from nnrun.config.schema import TrialConfig


def get_dotted(d: dict[str, Any], key: str) -> Any:
    """The value at a dotted path; KeyError if it isn't there."""
    value: Any = d
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def set_dotted(d: dict[str, Any], key: str, value: Any) -> None:
    """Set the value at a dotted path, making the mappings on the way (where missing or null).

    TypeError if something other than a mapping stands in the way.
    """
    parts = key.split(".")
    node = d
    for part in parts[:-1]:
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict):
            raise TypeError(f"{key}: {part} is not a mapping")
    node[parts[-1]] = value


def dotted_name(path: Sequence[Any]) -> str:
    """A location as messages name it: ``("model", "hidden", 1)`` is ``model.hidden[1]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def sweepable_keys() -> list[str]:
    """Every dotted key that ``sweep.parameters`` may vary: the leaves of the trial sections.

    A list value (model.hidden, optimizer.betas) is one value; an optional mapping
    (train.early_stopping) is one value and so is each of its keys.
    """
    keys: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            inner = unwrap(info.annotation)
            dotted = prefix + name
            if is_model(inner):
                if nullable(info.annotation):
                    keys.append(dotted)
                walk(inner, dotted + ".")
            else:
                keys.append(dotted)

    walk(TrialConfig, "")
    # the seed: repeats; the folds of cross-validation are how every trial is scored
    for fixed in ("seed", "data.folds", "data.fold"):
        keys.remove(fixed)
    return keys


@functools.cache
def sweepable() -> tuple[str, ...]:
    """``sweepable_keys()``, walked once."""
    return tuple(sweepable_keys())

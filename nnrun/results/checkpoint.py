"""Checkpoints: a trainer's ``state_dict()`` as an ``.npz`` archive, with no pickle.

Successive halving stops a trial at a rung and continues it later from its checkpoint (see
:mod:`nnrun.search`). A nested state (dicts, lists, tuples, arrays, numbers) is split into
named arrays and a JSON skeleton that points at them; the skeleton travels in the archive as
one more array, ``__state_json__``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.results.files import atomic_write_bytes, npz_bytes

STATE_JSON = "__state_json__"


def encode_state(state: Any) -> tuple[dict[str, np.ndarray], Any]:
    """Split a nested state into named arrays and a JSON-able skeleton that points at them.
    Numpy scalars are kept as 0-d arrays and Python floats as JSON text (``repr`` round-trips):
    loading gives back every number bit for bit."""
    arrays: dict[str, np.ndarray] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, np.ndarray | np.generic):
            name = f"a{len(arrays)}"
            arrays[name] = np.asarray(value)
            return {"__array__": name, "scalar": isinstance(value, np.generic)}
        if isinstance(value, dict):
            return {"__dict__": [[key, walk(item)] for key, item in value.items()]}
        if isinstance(value, tuple):
            return {"__tuple__": [walk(item) for item in value]}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return arrays, walk(state)


def decode_state(skeleton: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of :func:`encode_state`."""
    if isinstance(skeleton, list):
        return [decode_state(item, arrays) for item in skeleton]
    if isinstance(skeleton, dict):
        if "__array__" in skeleton:
            array = arrays[skeleton["__array__"]]
            return array[()] if skeleton["scalar"] else array
        if "__tuple__" in skeleton:
            return tuple(decode_state(item, arrays) for item in skeleton["__tuple__"])
        return {key: decode_state(item, arrays) for key, item in skeleton["__dict__"]}
    return skeleton


def save_state(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path``, atomically."""
    arrays, skeleton = encode_state(state)
    atomic_write_bytes(path, npz_bytes({**arrays, STATE_JSON: np.array(json.dumps(skeleton))}))


def load_state(path: Path) -> dict[str, Any] | None:
    """The state :func:`save_state` saved, or None if there is none or it is unreadable
    (the trial is then trained again from the start, which gives the same numbers)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
        return decode_state(json.loads(str(arrays.pop(STATE_JSON))), arrays)
    except (OSError, ValueError, KeyError):
        return None

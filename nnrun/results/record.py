"""A trial's record: what ``trials/<id>/result.json`` holds, typed.

The worker makes one (:mod:`nnrun.execution.worker`), the writer stores it, the reader and the
search methods read it back. Its fields are result.json's keys; ``to_json`` leaves out the
search fields a grid or random trial does not have, so such a file reads as it always did, and
``from_json`` ignores keys it does not know (a folder written by a newer nnrun still reads).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Fields only successive halving and TPE fill in: absent from result.json when None.
SEARCH_FIELDS = ("rung", "rung_epochs", "rung_values", "batch", "batch_size")


@dataclass
class TrialRecord:
    """One trial's outcome, without its per-epoch history and weights (those have files of
    their own: metrics.csv, weights.npz)."""

    trial: str                                   # the trial id
    status: str                                  # ok | diverged | failed | stopped
    seed: int | None = None
    params: dict[str, Any] = field(default_factory=dict)   # swept key -> value, file order
    final: dict[str, float | None] = field(default_factory=dict)  # train/val/test loss, accuracy
    best_epoch: int | None = None
    epochs_run: int = 0
    wall_s: float = 0.0                          # the whole trial in the worker
    train_s: float = 0.0                         # training alone (every piece of it)
    task: str | None = None                      # classification | regression
    sizes: list[int] | None = None               # layer widths, inputs to outputs
    error: str | None = None                     # why it failed or diverged
    traceback: str | None = None
    finished_at: str | None = None               # set by the writer
    # successive halving and TPE (see nnrun.search): the rung reached, the epochs it trains to,
    # the metric at each earlier rung ({"0": 0.8}), and TPE's batch
    rung: int | None = None
    rung_epochs: int | None = None
    rung_values: dict[str, float | None] | None = None
    batch: int | None = None
    batch_size: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The record as result.json stores it."""
        data = dataclasses.asdict(self)
        for name in SEARCH_FIELDS:
            if data[name] is None:
                del data[name]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrialRecord:
        """A record from result.json's object; unknown keys are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

"""What search and execution share: a Task to run, the TaskSource it comes from, the Worker that
runs it and the TrialResult it returns.

Executors only compute: they take :class:`Task` objects from a :class:`TaskSource` and yield
``(task, result)`` pairs in the order trials finish. Writing results is the driver's job, so the
same code runs on one machine or on a cluster with no shared disk.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from nnrun.results.record import TrialRecord
from nnrun.vocabulary import FAILED

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Continuation:
    """Train a trial only up to ``until_epoch`` (a rung of successive halving), carrying on from
    ``checkpoint`` when there is one. The learning-rate schedule still spans ``train.epochs``, so
    a trial trained piece by piece ends bit-identical to one trained straight through."""

    until_epoch: int
    checkpoint: dict[str, Any] | None = None  # a Trainer.state_dict() where a piece stopped
    keep_state: bool = False  # return the trainer's state, if the trial can go on
    wall_s_before: float = 0.0  # the wall time of the earlier pieces, counted in this one's
    train_s_before: float = 0.0  # likewise their training time (train_seconds)


@dataclass(frozen=True)
class SearchMark:
    """What a search method notes in a task's result.json (see nnrun.search): the rung it trains
    to, that rung's epochs, the metric at the rungs before (``{"0": 0.8}``) and TPE's batch.
    A re-run rebuilds the search from these."""

    rung: int
    rung_epochs: int
    rung_values: dict[str, float | None]
    batch: int | None = None
    batch_size: int | None = None


@dataclass
class Task:
    """One unit of work for a worker: a trial to train, from scratch or, when ``continuation``
    says so, up to a rung; ``mark`` is what the search records of it (None for grid and
    random)."""

    trial_id: str
    config: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    base_dir: str | None = None
    continuation: Continuation | None = None
    mark: SearchMark | None = None

    def marked(self, record: TrialRecord) -> TrialRecord:
        """``record`` with this task's search mark, as result.json stores it."""
        if self.mark is None:
            return record
        return dataclasses.replace(record, **dataclasses.asdict(self.mark))


@dataclass
class TrialResult:
    """What a worker returns: the trial's record (result.json) and what the writer stores beside
    it: the metrics of each epoch, the final weights and biases, what a model file says of them
    and the input scaling (:mod:`nnrun.results.model_files`), and the trainer's state when a
    continued trial can go on."""

    record: TrialRecord
    history: list[dict[str, Any]] = field(default_factory=list)
    weights: list[np.ndarray] | None = None
    biases: list[np.ndarray] | None = None
    state: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    scaler: dict[str, np.ndarray] | None = None


Worker = Callable[[Task], TrialResult]


class TaskSource(Protocol):
    """Where executors take work from. Search methods that decide the next trials from the
    results so far (halving, TPE) implement this; a fixed list is :class:`ListSource`."""

    def pop(self) -> Task | None:
        """The next task that can start now, or None when none can until a result arrives."""

    def tell(self, task: Task, record: TrialRecord) -> None:
        """A task's record, as the driver stored it (its mark included), before the next
        ``pop``."""


class ListSource:
    """A fixed list of tasks, handed out in order."""

    def __init__(self, tasks: Iterable[Task]):
        self._tasks = collections.deque(tasks)

    def pop(self) -> Task | None:
        return self._tasks.popleft() if self._tasks else None

    def tell(self, task: Task, record: TrialRecord) -> None:
        pass

    def __len__(self) -> int:
        return len(self._tasks)


def failed_result(task: Task, message: str, traceback_text: str | None = None) -> TrialResult:
    """The result of a trial that could not run at all."""
    return TrialResult(TrialRecord(trial=task.trial_id, status=FAILED,
                                   seed=task.config.get("seed"), params=task.params,
                                   error=message, traceback=traceback_text))

"""What search and execution share: a Task to run, the TaskSource it comes from, a Worker.

Executors only compute: they take :class:`Task` objects from a :class:`TaskSource` and yield
``(task, result)`` pairs in the order trials finish. Writing results is the driver's job, so the
same code runs on one machine or on a cluster with no shared disk.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Task:
    """One unit of work for a worker: a trial to train (or to continue, for halving)."""

    trial_id: str
    config: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    base_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)



Worker = Callable[[Task], dict[str, Any]]


class TaskSource(Protocol):
    """Where executors take work from. Search methods that decide the next trials from the
    results so far (halving, TPE) implement this; a fixed list is :class:`ListSource`."""

    def pop(self) -> Task | None:
        """The next task that can start now, or None when none can until a result arrives."""

    def tell(self, task: Task, result: dict[str, Any]) -> None:
        """A task's result, before the next ``pop``."""


class ListSource:
    """A fixed list of tasks, handed out in order."""

    def __init__(self, tasks: Iterable[Task]):
        self._tasks = collections.deque(tasks)

    def pop(self) -> Task | None:
        return self._tasks.popleft() if self._tasks else None

    def tell(self, task: Task, result: dict[str, Any]) -> None:
        pass

    def __len__(self) -> int:
        return len(self._tasks)


def failed_result(task: Task, message: str, traceback_text: str | None = None) -> dict[str, Any]:
    """The result of a trial that could not run at all."""
    return {"trial": task.trial_id, "seed": task.config.get("seed"), "params": task.params,
            "status": "failed", "error": message, "traceback": traceback_text, "history": [],
            "final": {}, "best_epoch": None, "epochs_run": 0, "wall_s": 0.0, "train_s": 0.0}

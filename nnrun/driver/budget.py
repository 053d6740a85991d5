"""Budgets: ``--max-trials N`` and ``--timeout DURATION`` (or ``sweep.max_trials`` and
``sweep.timeout`` in the file) end a sweep early, cleanly.

A budget counts this run of the command, as Optuna's ``study.optimize(n_trials=, timeout=)``
does: trials an earlier run finished are kept and not counted, so running the same command
again goes on with the next ``N`` trials (or the next ``DURATION``). Once the budget is spent
no new trial starts; the trials already running finish, and a successive-halving trial (method
halving, or bayes with ``early_stop: halving``) finishes the rung it is training and waits at its
checkpoint, as any trial between rungs does. The summary is written as always.

- A trial *starts* when its first task of this run is handed out and it does not carry on from
  a checkpoint: a halving trial promoted to its next rung is not a new trial.
- The clock of ``--timeout`` starts with the command; a trial is never cut in the middle, so the
  command ends when the last running trial (or rung) does.

The budget sits between the search's source and the executors, so every method and every
backend has it in the same way: it hands out the source's tasks until the budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnrun.errors import NnrunError
from nnrun.execution.base import Task
from nnrun.results.record import TrialRecord
from nnrun.vocabulary import format_duration, parse_duration

DURATION_FORMS = "e.g. 90s, 10m, 1h, 1h30m, or a number of seconds"


@dataclass(frozen=True)
class Budget:
    """What one run of a sweep may spend: trials started, seconds since the command began."""

    max_trials: int | None = None
    timeout_s: float | None = None
    max_trials_from: str = "--max-trials"  # where the limit was set, for the messages
    timeout_from: str = "--timeout"

    @property
    def limited(self) -> bool:
        return self.max_trials is not None or self.timeout_s is not None

    def to_json(self) -> dict[str, Any]:
        return {"max_trials": self.max_trials, "timeout_s": self.timeout_s}


def sweep_budget(sweep: dict[str, Any], max_trials: int | None = None,
                 timeout: str | None = None) -> Budget:
    """The budget of a run: the command line's ``--max-trials`` and ``--timeout`` where given,
    else the file's ``sweep.max_trials`` and ``sweep.timeout`` (checked by the schema)."""
    if max_trials is not None and max_trials < 1:
        raise NnrunError(f"--max-trials must be at least 1, not {max_trials}")
    timeout_s = None
    if timeout is not None:
        try:
            timeout_s = parse_duration(timeout)
        except ValueError as error:
            raise NnrunError(f"--timeout: {error}; {DURATION_FORMS}") from None
    file_timeout = sweep.get("timeout")
    return Budget(
        max_trials=max_trials if max_trials is not None else sweep.get("max_trials"),
        timeout_s=timeout_s if timeout_s is not None else (
            parse_duration(file_timeout) if file_timeout is not None else None),
        max_trials_from="--max-trials" if max_trials is not None else "sweep.max_trials",
        timeout_from="--timeout" if timeout is not None else "sweep.timeout",
    )


class BudgetedSource:
    """A source's tasks, handed out until the budget is spent (see the module docstring).

    ``spent`` is None while the budget lasts, then says what ended it (for the final line).
    """

    def __init__(self, source: Any, budget: Budget, started_at: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.source, self.budget, self.clock = source, budget, clock
        self.deadline = None if budget.timeout_s is None else started_at + budget.timeout_s
        self.started: set[str] = set()
        self.spent: str | None = None

    def __getattr__(self, name: str) -> Any:  # order, total, resumed, complete: the source's
        return getattr(self.source, name)

    def pop(self) -> Task | None:
        if self.spent is not None:
            return None
        if self.deadline is not None and self.clock() >= self.deadline:
            self.spent = (f"the time budget ({self.budget.timeout_from} "
                          f"{format_duration(self.budget.timeout_s or 0)}) ran out")
            return None
        task = self.source.pop()
        if task is None or not self._new_trial(task):
            return task
        limit = self.budget.max_trials
        if limit is not None and len(self.started) >= limit:
            # Held back for good: the next run starts with it.
            self.spent = (f"the trial budget ({self.budget.max_trials_from} {limit}) "
                          f"was reached")
            return None
        self.started.add(task.trial_id)
        return task

    def _new_trial(self, task: Task) -> bool:
        carries_on = task.continuation is not None and task.continuation.checkpoint is not None
        return task.trial_id not in self.started and not carries_on

    def tell(self, task: Task, record: TrialRecord) -> None:
        self.source.tell(task, record)

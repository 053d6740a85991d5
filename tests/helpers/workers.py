"""Worker functions for executor tests: stand-ins for nnrun's worker that sleep, fail or crash.

A task's ``params`` say what to do: ``x`` is the value of every metric, ``sleep`` the seconds
to sleep first."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from nnrun.execution import Task, TrialResult
from nnrun.results.record import TrialRecord


@dataclass
class StandInResult(TrialResult):
    """A TrialResult that also says which process computed it."""

    pid: int = 0


def result_for(task: Task, status: str = "ok") -> StandInResult:
    value = float(task.params.get("x", 0))
    record = TrialRecord(trial=task.trial_id, status=status, seed=task.config.get("seed"),
                         params=task.params,
                         final={"train_loss": value, "val_loss": value, "test_loss": value},
                         best_epoch=1, epochs_run=1, wall_s=0.01, train_s=0.01,
                         task="regression", sizes=[1, 1])
    history = [{"epoch": 1, "train_loss": value, "val_loss": value, "lr": 0.1,
                "grad_norm_1": 1.0, "wall_s": 0.01}]
    return StandInResult(record, history=history, pid=os.getpid())


def quick(task: Task) -> StandInResult:
    time.sleep(float(task.params.get("sleep", 0.0)))
    return result_for(task)


def crash_on_x3(task: Task) -> StandInResult:
    """Kills its own worker process whenever it runs the trial with x == 3."""
    time.sleep(float(task.params.get("sleep", 0.0)))
    if task.params.get("x") == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return result_for(task)


def without_building_data(task: Task) -> TrialResult:
    """nnrun's worker in a process that may not build a data set (nnrun.data.cache's builder
    raises): it trains only on a data set the sweep handed over. The record's ``error`` says
    where the trial's training arrays live (``shared``: memory-mapped from the driver's
    files)."""
    import numpy as np

    from nnrun.data import cache
    from nnrun.execution.worker import run_task

    def refuse(*args, **kwargs):
        raise AssertionError(f"a worker built a data set ({os.getpid()})")

    building, cache.load_dataset = cache.load_dataset, refuse
    try:
        result = run_task(task)
        dataset = cache.get_dataset(task.config["data"], task.base_dir)
        base = dataset.X_train.base
        result.record.traceback = "shared" if isinstance(base, np.memmap) else "in memory"
        return result
    finally:
        cache.load_dataset = building

"""Run a sweep's trials on workers and hand each result to the driver as it arrives.

The executors here only compute: they take :class:`Task` objects from a :class:`TaskSource` and
yield ``(task, result)`` pairs in the order trials finish. Writing results is the driver's job
(:mod:`nnrun.driver`), so the same code runs on one machine or on a cluster with no shared disk.

Local execution uses joblib's loky process pool. A worker process that dies (killed, out of
memory, a crash in native code) breaks the pool and fails every trial in flight at that moment;
those trials are not blamed at once. They are run again one at a time, alone, on a fresh pool:
a trial that kills its worker even then is recorded as ``failed``; the others simply finish.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

WORKER_DIED = ("the worker process running this trial died (killed, out of memory, or a crash "
               "in native code), also when the trial was run again alone")


@dataclass
class Task:
    """One unit of work for a worker: a trial to train (or to continue, for halving)."""

    trial_id: str
    config: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)
    base_dir: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def run_task(task: Task) -> dict[str, Any]:
    """The default worker function: train the task's trial (see :func:`nnrun.trial.train_trial`)."""
    from nnrun.trial import train_trial

    return train_trial(task.trial_id, task.config, task.params, task.base_dir)


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


def iter_inline(source: TaskSource, worker: Worker = run_task
                ) -> Iterator[tuple[Task, dict[str, Any]]]:
    """Run tasks one after the other in this process (``--jobs 1``)."""
    while (task := source.pop()) is not None:
        yield task, worker(task)


def iter_loky(source: TaskSource, jobs: int, worker: Worker = run_task
              ) -> Iterator[tuple[Task, dict[str, Any]]]:
    """Run tasks on ``jobs`` loky worker processes, yielding results as they finish.

    Closing the generator early (fail-fast, Ctrl-C) kills the workers; whatever was yielded
    before is the driver's to keep.
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    from joblib.externals.loky import get_reusable_executor
    from joblib.externals.loky.process_executor import BrokenProcessPool

    suspects: collections.deque[Task] = collections.deque()
    in_flight: dict[Any, tuple[Task, bool]] = {}  # future -> (task, run alone?)
    broken = False
    executor = get_reusable_executor(max_workers=jobs)
    finished = False
    try:
        while True:
            if not broken:
                if suspects:
                    if not in_flight:
                        task = suspects.popleft()
                        in_flight[executor.submit(worker, task)] = (task, True)
                else:
                    while len(in_flight) < jobs and (task := source.pop()) is not None:
                        in_flight[executor.submit(worker, task)] = (task, False)
            if not in_flight:
                if broken:
                    executor = get_reusable_executor(max_workers=jobs)
                    broken = False
                    continue
                if suspects:
                    continue
                break
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for future in done:
                task, alone = in_flight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    if alone:
                        yield task, failed_result(task, WORKER_DIED)
                    else:
                        suspects.append(task)
                    continue
                except Exception as error:  # the task could not be sent or its result returned
                    import traceback

                    yield task, failed_result(task, f"{type(error).__name__}: {error}",
                                              traceback.format_exc())
                    continue
                yield task, result
        finished = True
    finally:
        if not finished:
            for future in in_flight:
                future.cancel()
            with contextlib.suppress(Exception):
                executor.shutdown(wait=False, kill_workers=True)


def iter_results(source: TaskSource, *, jobs: int, backend: str = "loky",
                 scheduler: str | None = None, worker: Worker = run_task,
                 log: Callable[[str], None] | None = None
                 ) -> Iterator[tuple[Task, dict[str, Any]]]:
    """Results of the source's tasks as they finish, on the chosen backend."""
    if backend == "dask":
        from nnrun.dask_backend import iter_dask

        return iter_dask(source, jobs=jobs, scheduler=scheduler, worker=worker, log=log)
    if jobs <= 1:
        return iter_inline(source, worker)
    return iter_loky(source, jobs, worker)

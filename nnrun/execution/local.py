"""Run a sweep's trials in this process or on a local pool of loky worker processes.

Local execution uses joblib's loky process pool. A worker process that dies (killed, out of
memory, a crash in native code) breaks the pool and fails every trial in flight at that moment;
those trials are not blamed at once. They are run again one at a time, alone, on a fresh pool:
a trial that kills its worker even then is recorded as ``failed``; the others simply finish.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from nnrun.execution.base import Task, TaskSource, TrialResult, Worker, failed_result
from nnrun.execution.shared_data import SharedData, run_with_shared_data

PARENT_CHECK_S = 0.25  # how often a loky worker looks for its driver

WORKER_DIED = ("the worker process running this trial died (killed, out of memory, or a crash "
               "in native code), also when the trial was run again alone")


def iter_inline(source: TaskSource, worker: Worker) -> Iterator[tuple[Task, TrialResult]]:
    """Run tasks one after the other in this process (``--jobs 1``)."""
    while (task := source.pop()) is not None:
        yield task, worker(task)


def iter_loky(source: TaskSource, jobs: int, worker: Worker
              ) -> Iterator[tuple[Task, TrialResult]]:
    """Run tasks on ``jobs`` loky worker processes, yielding results as they finish.

    The data sets reach the workers as memory-mapped files written once by this process
    (:mod:`nnrun.execution.shared_data`), not built again in each. Closing the generator early
    (fail-fast, Ctrl-C) kills the workers; whatever was yielded before is the driver's to keep.
    """
    pool = _LokyPool(source, jobs, worker)
    finished = False
    try:
        while pool.submit():
            yield from pool.collect()
        finished = True
    finally:
        if not finished:
            pool.kill()
        pool.shared.close()


def start_workers(jobs: int) -> None:
    """Start the ``jobs`` loky worker processes now, in the background, instead of at the first
    trial: each spends a few tenths of a second starting Python and importing numpy and the
    trainer, while the driver writes sweep.json and the data sets' shared files. ``iter_loky``
    then finds them started (loky hands out the same pool to the same settings). The driver
    calls it once the sweep's checks have passed and it knows there is something to train: a
    config or data error, or a sweep already finished, ends the command without any worker."""
    _readies.append(_executor(jobs).submit(_ready))


def _ready() -> None:
    """A worker's first task from :func:`start_workers`: nothing (the imports are the
    initializer's)."""


_pools: list[Any] = []  # the loky pool this process asked for last
_readies: list[Future] = []  # the tasks of start_workers, until stop_idle_workers


def _executor(jobs: int) -> Any:
    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=jobs, initializer=_worker_started,
                                     initargs=(os.getpid(),))
    _pools[:] = [executor]
    return executor


def stop_idle_workers() -> None:
    """End the loky workers of the last sweep now that it is over (the command line, about to
    exit): killed at once, idle as they are, they let the process exit a tenth of a second
    sooner than loky's own shutdown at exit, which asks each to stop and waits. For a pool with
    nothing queued but :func:`start_workers`' task, which it waits for (a sweep with nothing
    left to train): killing a pool with a task queued trips loky up."""
    for ready in _readies:
        with contextlib.suppress(Exception, KeyboardInterrupt):  # a second Ctrl-C: kill now
            ready.result(timeout=60)
    _readies.clear()
    for executor in _pools:
        with contextlib.suppress(Exception):
            executor.shutdown(wait=True, kill_workers=True)
    _pools.clear()


def _worker_started(driver: int) -> None:
    """A loky worker's initializer: import what trials need (numpy, the core, the trainer), and
    end with the driver (:func:`exit_with_driver`)."""
    exit_with_driver(driver)
    import nnrun.core.training  # noqa: F401  (the worker itself comes with this module)


def exit_with_driver(driver: int, every_s: float = PARENT_CHECK_S) -> None:
    """A loky worker's initializer: a thread that ends this worker as soon as its parent, the
    driver ``driver``, is gone (SIGKILLed, out of memory) and this process was handed to another
    parent. loky's own workers would go on with the trials queued for them, then idle for
    minutes; the trial in flight is lost either way, since only the driver writes results."""

    def watch() -> None:
        if os.getppid() == driver:  # loky's own start method: the driver made this process
            while os.getppid() == driver:
                time.sleep(every_s)
        else:  # made by a fork server (loky.set_start_method): look for the driver itself
            while _exists(driver):
                time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="nnrun-exit-with-driver", daemon=True).start()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, and someone else's
        return True
    return True


class _LokyPool:
    """The trials in flight on a loky pool, and the suspects of a pool that broke: the trials
    that were in flight when a worker died, each run again alone."""

    def __init__(self, source: TaskSource, jobs: int, worker: Worker) -> None:
        self.source, self.jobs, self.worker = source, jobs, worker
        self.executor = self._new_executor()
        self.in_flight: dict[Future, tuple[Task, bool]] = {}  # future -> (task, run alone?)
        self.suspects: collections.deque[Task] = collections.deque()
        self.broken = False
        self.shared = SharedData()

    def submit(self) -> bool:
        """Start what can start now (on a fresh pool once a broken one has no trial left);
        False when nothing is in flight and nothing is left to run."""
        while True:
            if not self.broken:
                self._start_tasks()
            if self.in_flight:
                return True
            if not self.broken:
                return False
            self.executor = self._new_executor()
            self.broken = False

    def _new_executor(self) -> Any:
        return _executor(self.jobs)

    def _start_tasks(self) -> None:
        if self.suspects:  # one at a time, alone: if the pool breaks now, it was this one
            if not self.in_flight:
                self._start(self.suspects.popleft(), alone=True)
            return
        while len(self.in_flight) < self.jobs and (task := self.source.pop()) is not None:
            self._start(task, alone=False)

    def _start(self, task: Task, alone: bool) -> None:
        future = self.executor.submit(run_with_shared_data, self.worker, task,
                                      self.shared.folder_for(task))
        self.in_flight[future] = (task, alone)

    def collect(self) -> Iterator[tuple[Task, TrialResult]]:
        """Wait for the first trials to finish; yield their results (a trial a broken pool took
        down with it becomes a suspect instead)."""
        done, _ = wait(list(self.in_flight), return_when=FIRST_COMPLETED)
        for future in done:
            task, alone = self.in_flight.pop(future)
            result = self._result_of(future, task, alone)
            if result is not None:
                yield task, result

    def _result_of(self, future: Future, task: Task, alone: bool) -> TrialResult | None:
        from joblib.externals.loky.process_executor import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool:
            self.broken = True
            if alone:
                return failed_result(task, WORKER_DIED)
            self.suspects.append(task)
            return None
        except Exception as error:  # the task could not be sent or its result returned
            return failed_result(task, f"{type(error).__name__}: {error}",
                                 traceback.format_exc())

    def kill(self) -> None:
        """Cancel what is queued and kill the workers (the sweep stops early)."""
        for future in self.in_flight:
            future.cancel()
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=False, kill_workers=True)


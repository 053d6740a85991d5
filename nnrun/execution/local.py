"""Run a sweep's trials in this process or on a local pool of loky worker processes.

Local execution uses joblib's loky process pool. A worker process that dies (killed, out of
memory, a crash in native code) breaks the pool and fails every trial in flight at that moment;
those trials are not blamed at once. They are run again one at a time, alone, on a fresh pool:
a trial that kills its worker even then is recorded as ``failed``; the others simply finish.
"""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator
from typing import Any

from nnrun.execution.base import Task, TaskSource, Worker, failed_result
from nnrun.execution.worker import run_task

WORKER_DIED = ("the worker process running this trial died (killed, out of memory, or a crash "
               "in native code), also when the trial was run again alone")



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

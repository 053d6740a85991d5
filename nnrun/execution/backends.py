"""The backend switch: results of a source's tasks, on this machine or on a dask cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from nnrun.execution.base import Task, TaskSource, TrialResult, Worker
from nnrun.execution.local import iter_inline, iter_loky
from nnrun.execution.worker import run_task


def iter_results(source: TaskSource, *, jobs: int, backend: str = "loky",
                 scheduler: str | None = None, worker: Worker = run_task,
                 log: Callable[[str], None] | None = None
                 ) -> Iterator[tuple[Task, TrialResult]]:
    """Results of the source's tasks as they finish, on the chosen backend: ``loky`` runs
    ``jobs`` worker processes here (``jobs`` 1: in this process), ``dask`` a dask cluster (the
    one at ``scheduler``, or a local one of ``jobs`` processes)."""
    if backend == "dask":
        from nnrun.execution.dask_backend import iter_dask

        return iter_dask(source, jobs=jobs, scheduler=scheduler, worker=worker, log=log)
    if jobs <= 1:
        return iter_inline(source, worker)
    return iter_loky(source, jobs, worker)

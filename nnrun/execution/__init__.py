"""Where trials run: in this process, on local loky workers or on a dask cluster, and the worker
that trains one trial. Executors take :class:`Task` objects from a :class:`TaskSource` and yield
``(task, TrialResult)`` as trials finish; they never write files."""

from nnrun.execution.backends import iter_results
from nnrun.execution.base import (
    Continuation,
    ListSource,
    SearchMark,
    Task,
    TaskSource,
    TrialResult,
    Worker,
    failed_result,
)
from nnrun.execution.local import start_workers, stop_idle_workers
from nnrun.execution.worker import run_task

__all__ = [
    "Continuation",
    "ListSource",
    "SearchMark",
    "Task",
    "TaskSource",
    "TrialResult",
    "Worker",
    "failed_result",
    "iter_results",
    "run_task",
    "start_workers",
    "stop_idle_workers",
]

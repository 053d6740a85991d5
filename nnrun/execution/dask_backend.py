"""Run a sweep's trials on a dask.distributed cluster (``nnrun sweep --backend dask``).

This uses dask's own client API, ``Client.submit`` and ``as_completed``, not joblib's dask
backend, which never returns when a dask worker dies. Like the loky executor in
:mod:`nnrun.execution.local` it only computes: it yields ``(task, result)`` pairs as trials
finish and the driver writes them, so the workers need no shared file system.

- Without a scheduler address, a LocalCluster of ``jobs`` single-threaded worker processes is
  started on 127.0.0.1 and closed at the end. With one, as many trials are kept in flight as
  the cluster has worker threads.
- Built-in data sets are generated on the workers (each process caches its own). File data
  sets (csv, npz) are read by the driver and broadcast to every worker once; each trial gets a
  reference to that copy, not the data.
- A worker that dies mid-trial: the scheduler runs the trial again on another worker; if that
  worker dies too, the trial is recorded as failed and the sweep goes on. The local cluster
  allows that one retry; on your own cluster the scheduler's setting
  ``distributed.scheduler.allowed-failures`` (dask's default: 3) decides.
- Closing the generator early (fail-fast, Ctrl-C) cancels the trials still queued or running
  and closes the client and the local cluster.
- A scheduler that goes away mid-sweep raises NnrunError (one line, the address) at the next
  result; the trials finished before it are the driver's already.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from nnrun.errors import NnrunError
from nnrun.execution._dask_cluster import close_local_cluster, connect
from nnrun.execution._dask_logs import ConnectionLogsQuiet, quiet_shutdown_logs
from nnrun.execution.base import Task, TaskSource, TrialResult, Worker, failed_result
from nnrun.vocabulary import FILE_DATASETS, data_key

CONNECT_TIMEOUT_S = 10.0
WORKER_DIED = ("the dask worker running this trial died (killed, out of memory, or a crash in "
               "native code), also when the trial was run again on another worker")

Log = Callable[[str], None]


def iter_dask(source: TaskSource, *, jobs: int, worker: Worker, scheduler: str | None = None,
              log: Log | None = None) -> Iterator[tuple[Task, TrialResult]]:
    """Run the source's tasks on a dask cluster, yielding ``(task, result)`` as they finish.

    ``scheduler`` is the address of a running scheduler (``tcp://HOST:8786``); without it a
    local cluster of ``jobs`` worker processes is started. Raises NnrunError at once when
    dask.distributed is not installed; connecting happens on the first ``next``.
    """
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise NnrunError("--backend dask needs dask.distributed, which is not installed: "
                         "pip install 'nnrun[dask]'") from None
    return _iter_dask(_DaskRun(source, jobs, scheduler, worker, log or (lambda message: None)))


def nnrun_trial(worker: Worker, task: Task, dataset: Any = None) -> TrialResult:
    """Worker side: keep the file data set the driver sent (if any) in this process's cache,
    then run the trial. (The name shows in dask's dashboard.)"""
    if dataset is not None:
        from nnrun.data.cache import cache_dataset

        cache_dataset(task.config["data"], task.base_dir, dataset)
    return worker(task)


def _iter_dask(run: _DaskRun) -> Iterator[tuple[Task, TrialResult]]:
    # dask's connection noise, while the sweep runs on the user's scheduler
    with ConnectionLogsQuiet() if run.scheduler is not None else contextlib.nullcontext():
        finished = False
        try:
            run.connect()
            yield from run.results()
            finished = True
        finally:
            run.close(finished)


class _DaskRun:
    """One sweep on a dask cluster: the client (and the local cluster), the trials in flight,
    and the file data sets already sent to the workers."""

    def __init__(self, source: TaskSource, jobs: int, scheduler: str | None, worker: Worker,
                 log: Log) -> None:
        self.source, self.jobs, self.scheduler = source, jobs, scheduler
        self.worker, self.log = worker, log
        self.client: Any = None
        self.cluster: Any = None
        self.address = scheduler
        self.in_flight: dict[Any, Task] = {}
        self.datasets: dict[str, Any] = {}  # data key -> future of the broadcast data set
        self.completed: Any = None

    def connect(self) -> None:
        from distributed import as_completed

        self.client, self.cluster = connect(self.scheduler, self.jobs, self.log,
                                            CONNECT_TIMEOUT_S)
        self.address = self.scheduler or self.cluster.scheduler_address
        # with_results: the client's IO thread fetches each result as its trial ends, while
        # this thread writes the one before
        self.completed = as_completed(loop=self.client.loop, with_results=True,
                                      raise_errors=False)

    def results(self) -> Iterator[tuple[Task, TrialResult]]:
        """Keep the cluster busy, yielding each result as it arrives.

        A scheduler that goes away surfaces as an OSError (dask's CommClosedError is one) from
        whichever call talks to it next; a closed connection is noticed at once. Then what
        already arrived is yielded, and the loss raised as one NnrunError."""
        try:
            self._fill()
        except OSError as error:
            raise self._lost(error) from None
        while self.in_flight:
            try:
                yield self._next_result()
                if self.client.status != "running":  # reconnecting: the futures are gone
                    raise ConnectionError(f"the client is {self.client.status}")
                self._fill()
            except OSError as error:
                yield from _arrived(self.completed, self.in_flight)
                raise self._lost(error) from None
            except NnrunError:  # cancelled: the scheduler is gone
                yield from _arrived(self.completed, self.in_flight)
                raise

    def _slots(self) -> int:
        if self.cluster is not None:
            return self.jobs
        return max(1, sum(self.client.nthreads().values()))

    def _fill(self) -> None:
        if (limit := self._slots()) <= len(self.in_flight):
            return
        while len(self.in_flight) < limit and (task := self.source.pop()) is not None:
            dataset = self._scattered_dataset(task)
            # retries: an error outside the trial's own code (the worker records those itself),
            # e.g. a worker that cannot unpickle it, is tried once more
            future = self.client.submit(nnrun_trial, self.worker, task, dataset, pure=False,
                                        retries=1)
            self.in_flight[future] = task
            self.completed.add(future)

    def _next_result(self) -> tuple[Task, TrialResult]:
        # the future is not kept beyond this call: that lets the scheduler forget the result
        # held on the worker
        future, value = next(self.completed)
        task = self.in_flight.pop(future)
        if future.status == "finished":
            return task, value
        return task, _error_of(future, task, self.address)

    def _scattered_dataset(self, task: Task) -> Any:
        """For a file data set, the future of its copy on every worker (sent on first use);
        None for built-in data sets, which the workers generate themselves."""
        data_spec = task.config.get("data") or {}
        if data_spec.get("dataset") not in FILE_DATASETS:
            return None
        key = data_key(data_spec, task.base_dir)
        if key not in self.datasets:
            from nnrun.data.cache import get_dataset

            dataset = get_dataset(data_spec, task.base_dir)  # the driver has read it already
            self.datasets[key] = self.client.scatter(dataset, broadcast=True, hash=False)
            self.log(f"dask: sent the data set {data_spec.get('path')} to every worker")
        return self.datasets[key]

    def _lost(self, error: BaseException) -> NnrunError:
        return NnrunError(f"lost the connection to the dask scheduler at {self.address} "
                          f"({type(error).__name__}: {error}); the finished trials are saved, "
                          "run the same command again to resume")

    def close(self, finished: bool) -> None:
        """Close the client and the local cluster; a sweep stopped early (Ctrl-C, fail-fast,
        a lost scheduler) cancels its trials in flight first."""
        if not finished:
            quiet_shutdown_logs()
        if self.client is not None:
            if not finished and self.in_flight:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(self.in_flight), force=True)
            self.in_flight.clear()
            with contextlib.suppress(Exception):
                self.client.close()
        if self.cluster is not None:
            close_local_cluster(self.cluster, hurry=not finished)


def _arrived(completed: Any, in_flight: dict[Any, Task]) -> Iterator[tuple[Task, TrialResult]]:
    """The trials whose results reached this process before the scheduler went away: they are
    saved like any other, not trained again on resume."""
    try:
        ready = completed.next_batch(block=False)
    except Exception:  # the results are a bonus: the loss is reported anyway
        return
    for future, value in ready:
        task = in_flight.pop(future, None)
        if task is not None and future.status == "finished":
            yield task, value


def _error_of(future: Any, task: Task, address: str | None) -> TrialResult:
    """The failed result of a trial that did not finish: its workers died or it could not run."""
    from concurrent.futures import CancelledError

    from distributed import KilledWorker

    try:
        future.result()  # raises the trial's error (held by the future: no round trip)
        raise AssertionError(f"dask future of trial {task.trial_id} finished without a result")
    except KilledWorker:
        return failed_result(task, WORKER_DIED)
    except CancelledError:
        raise NnrunError(f"dask cancelled trial {task.trial_id}: the connection to the scheduler "
                         f"at {address} was lost, or the workers holding its data set died; the "
                         f"finished trials are saved, run the same command again to resume"
                         ) from None
    except Exception as error:  # the trial could not be sent, run or returned
        message = f"{type(error).__name__}: {error}"
        if isinstance(error, ModuleNotFoundError):
            message += " (install nnrun[dask], with the driver's versions, on every worker)"
        return failed_result(task, message, traceback.format_exc())

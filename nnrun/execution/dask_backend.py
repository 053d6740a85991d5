"""Run a sweep's trials on a dask.distributed cluster (``nnrun sweep --backend dask``).

This uses dask's own client API, ``Client.submit`` and ``as_completed``, not joblib's dask
backend, which never returns when a dask worker dies. Like the loky executor in
:mod:`nnrun.execution.local` it only computes: it yields ``(task, result)`` pairs as trials
finish and the driver writes them, so the workers need no shared file system.

- Without a scheduler address, a LocalCluster of ``jobs`` single-threaded worker processes is
  started on 127.0.0.1 and closed at the end. With one, as many trials are kept in flight as
  the cluster has worker threads.
- Built-in data sets are generated on the workers (the trial module caches them per process).
  File data sets (csv, npz) are read by the driver and broadcast to every worker once; each
  trial gets a reference to that copy, not the data.
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
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from nnrun.errors import NnrunError
from nnrun.execution.base import Task, TaskSource, Worker, failed_result
from nnrun.execution.worker import run_task

CONNECT_TIMEOUT_S = 10.0
FILE_DATASETS = ("csv", "npz")
# Also set by dask's nanny by default (distributed.nanny.pre-spawn-environ); said here so that a
# changed dask config cannot give every trial all the machine's BLAS threads.
ONE_BLAS_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
WORKER_DIED = ("the dask worker running this trial died (killed, out of memory, or a crash in "
               "native code), also when the trial was run again on another worker")

Log = Callable[[str], None]


def iter_dask(source: TaskSource, *, jobs: int, scheduler: str | None = None,
              worker: Worker = run_task, log: Log | None = None
              ) -> Iterator[tuple[Task, dict[str, Any]]]:
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
    return _iter_dask(source, jobs, scheduler, worker, log or (lambda message: None))


def nnrun_trial(worker: Worker, task: Task, dataset: Any = None) -> dict[str, Any]:
    """Worker side: keep the file data set the driver sent (if any) in this process's cache,
    then run the trial. (The name shows in dask's dashboard.)"""
    if dataset is not None:
        from nnrun.data.cache import cache_dataset

        cache_dataset(task.config["data"], task.base_dir, dataset)
    return worker(task)


def dask_setup(worker: Any) -> None:
    """Run in each worker process of the local cluster: leave Ctrl-C to the driver.

    Ctrl-C in a terminal reaches every process of the foreground group. The driver cancels the
    trials and closes the cluster; workers that took the signal too would each print a
    KeyboardInterrupt traceback."""
    import signal

    with contextlib.suppress(ValueError):  # not the main thread: the signal stays as it was
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _iter_dask(source: TaskSource, jobs: int, scheduler: str | None, worker: Worker, log: Log
               ) -> Iterator[tuple[Task, dict[str, Any]]]:
    from distributed import as_completed

    client = cluster = None
    in_flight: dict[Any, Task] = {}
    finished = False
    quiet = _ConnectionLogsQuiet() if scheduler is not None else contextlib.nullcontext()
    with quiet:  # dask's connection noise, while the sweep runs on the user's scheduler
        try:
            client, cluster = _connect(scheduler, jobs, log)
            address = scheduler or cluster.scheduler_address
            datasets: dict[str, Any] = {}  # data-spec key -> future of the broadcast data set
            # with_results: the client's IO thread fetches each result as its trial ends, while
            # this thread writes the one before
            completed = as_completed(loop=client.loop, with_results=True, raise_errors=False)

            def slots() -> int:
                if cluster is not None:
                    return jobs
                return max(1, sum(client.nthreads().values()))

            def fill() -> None:
                if (limit := slots()) <= len(in_flight):
                    return
                while len(in_flight) < limit and (task := source.pop()) is not None:
                    dataset = _scattered_dataset(client, task, datasets, log)
                    # retries: an error outside the trial's own code (train_trial records those
                    # itself), e.g. a worker that cannot unpickle it, is tried once more
                    future = client.submit(nnrun_trial, worker, task, dataset, pure=False,
                                           retries=1)
                    in_flight[future] = task
                    completed.add(future)

            def lost(error: BaseException) -> NnrunError:
                return NnrunError(f"lost the connection to the dask scheduler at {address} "
                                  f"({type(error).__name__}: {error}); the finished trials are "
                                  "saved, run the same command again to resume")

            # A scheduler that goes away surfaces as an OSError (dask's CommClosedError is one)
            # from whichever call talks to it next; a closed connection is noticed at once.
            try:
                fill()
            except OSError as error:
                raise lost(error) from None
            while in_flight:
                try:
                    future, value = next(completed)
                except OSError as error:
                    yield from _arrived(completed, in_flight)
                    raise lost(error) from None
                task = in_flight.pop(future)
                try:
                    result = (value if future.status == "finished"
                              else _error_of(future, task, address))
                except NnrunError:  # cancelled: the scheduler is gone
                    yield from _arrived(completed, in_flight)
                    raise
                del future  # lets the scheduler forget the result held on the worker
                yield task, result
                try:
                    if client.status != "running":  # reconnecting: the futures are gone
                        raise ConnectionError(f"the client is {client.status}")
                    fill()
                except OSError as error:
                    yield from _arrived(completed, in_flight)
                    raise lost(error) from None
            finished = True
        finally:
            if not finished:
                _quiet_shutdown_logs()
            if client is not None:
                if not finished and in_flight:
                    with contextlib.suppress(Exception):
                        client.cancel(list(in_flight), force=True)
                in_flight.clear()
                with contextlib.suppress(Exception):
                    client.close()
            if cluster is not None:
                _close_local_cluster(cluster, hurry=not finished)


def _arrived(completed: Any, in_flight: dict[Any, Task]) -> Iterator[tuple[Task, dict[str, Any]]]:
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


def _quiet_shutdown_logs() -> None:
    """Stopping mid-sweep (Ctrl-C, fail-fast) closes connections that have messages in flight;
    dask and asyncio then log "comm closed" tracebacks that say nothing to the user."""
    # dask's logging config gives children their own levels (tornado.application: error), so
    # setting the parents is not enough: every logger of these families goes quiet
    families = ("distributed", "asyncio", "tornado")
    names = [*families, *logging.root.manager.loggerDict]
    for name in names:
        if name.split(".")[0] in families:
            logging.getLogger(name).setLevel(logging.CRITICAL)


class _ConnectionLogsQuiet:
    """While a sweep runs on a scheduler of the user's: dask logs at INFO in the driver too
    ("Batched Comm Closed", with a traceback, when the scheduler goes away), and its IO loop
    logs each closed connection's traceback. nnrun says what matters itself; the loggers are
    put back as they were afterwards."""

    NOISY = ("tornado.application", "asyncio")

    def __enter__(self) -> None:
        self.level = logging.getLogger("distributed").level
        logging.getLogger("distributed").setLevel(logging.ERROR)
        self.filter = _ClosedConnectionNoise()
        for name in self.NOISY:
            logging.getLogger(name).addFilter(self.filter)

    def __exit__(self, *exc_info: object) -> None:
        logging.getLogger("distributed").setLevel(self.level)
        for name in self.NOISY:
            logging.getLogger(name).removeFilter(self.filter)


class _ClosedConnectionNoise(logging.Filter):
    """Drops log records whose traceback is that of a closed connection: when the scheduler
    goes away, dask's IO loop logs one for each request that was in flight, before nnrun
    notices and says so in one line. Other records pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        from distributed.comm.core import CommClosedError

        error = record.exc_info[1] if record.exc_info else None
        for _ in range(8):  # the chain of causes, not forever if it loops
            if error is None:
                break
            if isinstance(error, CommClosedError | ConnectionError):
                return False
            error = error.__cause__ or error.__context__
        return True


def _connect(scheduler: str | None, jobs: int, log: Log) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster (then also it)."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as error:  # refused, timed out, or not an address at all
            _close_unconnected_client(error)
            raise NnrunError(f"cannot connect to the dask scheduler at {scheduler} (within "
                             f"{CONNECT_TIMEOUT_S:g} s): {type(error).__name__}: {error}"
                             ) from None
        threads = client.nthreads()
        log(f"dask: connected to {scheduler}: {len(threads)} workers, "
            f"{sum(threads.values())} threads")
        if not threads:
            log("dask: the cluster has no workers yet; trials start when one joins")
        return client, None
    try:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR, env=ONE_BLAS_THREAD,
                               # its HTTP server (health, metrics) too on loopback, on a
                               # free port: dask's default, 8787, may be taken
                               scheduler_kwargs={"allowed_failures": 1,
                                                 "dashboard_address": "127.0.0.1:0"},
                               preload=[__name__])  # runs dask_setup in each worker
    except Exception as error:
        raise NnrunError(f"cannot start a local dask cluster: {type(error).__name__}: "
                         f"{error}") from None
    try:
        client = Client(cluster, set_as_default=False)
    except BaseException:
        cluster.close()
        raise
    log(f"dask: started a local cluster of {jobs} worker processes at "
        f"{cluster.scheduler_address}")
    return client, cluster


def _close_unconnected_client(error: BaseException) -> None:
    """Close the Client whose constructor raised ``error``. Only the error's traceback still
    holds it; left to the garbage collector at exit, its ``__del__`` waits 20 s for an event
    loop that is gone and prints a TimeoutError traceback after nnrun's clean message."""
    from distributed import Client

    frame = error.__traceback__
    while frame is not None:
        client = frame.tb_frame.f_locals.get("self")
        if isinstance(client, Client):
            with contextlib.suppress(Exception):
                client.close(timeout=1)
            return
        frame = frame.tb_next


def _close_local_cluster(cluster: Any, hurry: bool) -> None:
    """Close the local cluster. In a hurry (Ctrl-C, fail-fast) its workers are still training
    the cancelled trials: give them half a second, not dask's default of four, then kill."""
    import asyncio

    async def stop_workers() -> None:
        await asyncio.gather(*(nanny.close(timeout=0.5) for nanny in cluster.workers.values()),
                             return_exceptions=True)

    if hurry:
        with contextlib.suppress(Exception):
            cluster.sync(stop_workers)
    with contextlib.suppress(Exception):
        cluster.close()


def _scattered_dataset(client: Any, task: Task, datasets: dict[str, Any], log: Log) -> Any:
    """For a file data set, the future of its copy on every worker (sent on first use); None
    for built-in data sets, which the workers generate themselves."""
    import json

    data_spec = task.config.get("data") or {}
    if data_spec.get("dataset") not in FILE_DATASETS:
        return None
    key = json.dumps([data_spec, task.base_dir], sort_keys=True, default=str)
    if key not in datasets:
        from nnrun.data.cache import get_dataset

        dataset = get_dataset(data_spec, task.base_dir)  # the driver has read it already
        datasets[key] = client.scatter(dataset, broadcast=True, hash=False)
        log(f"dask: sent the data set {data_spec.get('path')} to every worker")
    return datasets[key]


def _error_of(future: Any, task: Task, address: str) -> dict[str, Any]:
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

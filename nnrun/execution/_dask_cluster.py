"""Connecting to a dask cluster, or starting a local one, and closing them again."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from nnrun.errors import NnrunError

# Also set by dask's nanny by default (distributed.nanny.pre-spawn-environ); said here so that a
# changed dask config cannot give every trial all the machine's BLAS threads.
ONE_BLAS_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

Log = Callable[[str], None]


def dask_setup(worker: Any) -> None:
    """Run in each worker process of the local cluster (this module is its preload): leave
    Ctrl-C to the driver.

    Ctrl-C in a terminal reaches every process of the foreground group. The driver cancels the
    trials and closes the cluster; workers that took the signal too would each print a
    KeyboardInterrupt traceback."""
    import signal

    with contextlib.suppress(ValueError):  # not the main thread: the signal stays as it was
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def connect(scheduler: str | None, jobs: int, log: Log, timeout_s: float) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler`` (None for the cluster: it is the user's), or
    of a new local cluster of ``jobs`` single-threaded worker processes (then also it)."""
    if scheduler is not None:
        return _connect_to(scheduler, log, timeout_s), None
    return _start_local_cluster(jobs, log)


def _connect_to(scheduler: str, log: Log, timeout_s: float) -> Any:
    from distributed import Client

    try:
        client = Client(scheduler, timeout=timeout_s, set_as_default=False)
    except Exception as error:  # refused, timed out, or not an address at all
        _close_unconnected_client(error)
        raise NnrunError(f"cannot connect to the dask scheduler at {scheduler} (within "
                         f"{timeout_s:g} s): {type(error).__name__}: {error}") from None
    threads = client.nthreads()
    log(f"dask: connected to {scheduler}: {len(threads)} workers, "
        f"{sum(threads.values())} threads")
    if not threads:
        log("dask: the cluster has no workers yet; trials start when one joins")
    return client


def _start_local_cluster(jobs: int, log: Log) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

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


def close_local_cluster(cluster: Any, hurry: bool) -> None:
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

"""`nnrun sweep --backend dask` on real clusters, on loopback only (127.0.0.1).

A LocalCluster that nnrun starts itself; a `dask scheduler` and two `dask worker` processes
started as separate commands, as a user would on a cluster; a worker killed mid-sweep; a file
data set sent to the workers by the driver. Every process a test starts, it stops.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from helpers.cli import invoke, nnrun_process, wait_for_results
from helpers.configs import SMALL, config_text

pytest.importorskip("distributed")

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))  # the console script of this environment
METRICS = ["status", "train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
           "test_accuracy", "best_epoch", "epochs_run"]

# Installed into each `dask worker` with --preload: a worker that tries to read a csv or npz
# file fails its trial, so a file data set only works when the driver has sent it.
# (dask may run a preload file more than once: patch only the original function.)
NO_FILES_ON_WORKERS = """\
import nnrun.data.cache

original = getattr(nnrun.data.cache, "original_load_dataset", nnrun.data.cache.load_dataset)


def load_dataset(spec, *args, original=original, **kwargs):
    if spec.get("dataset") in ("csv", "npz"):
        raise RuntimeError("a dask worker tried to read the data file itself")
    return original(spec, *args, **kwargs)


nnrun.data.cache.original_load_dataset = original
nnrun.data.cache.load_dataset = load_dataset
"""

# Long trials for the worker-kill test: each takes about a second.
LONG = config_text(SMALL, {"data.n_samples": 1000, "train.epochs": 300})

NPZ = """\
name: fromfile
seed: 1
data:
  dataset: npz
  path: points.npz
model:
  hidden: [8]
  activation: tanh
optimizer:
  name: adam
  lr: 0.01
train:
  batch_size: 32
  epochs: 5
  dtype: float64
sweep:
  method: grid
  parameters:
    model.activation: [tanh, relu, sigmoid]
"""


def summary_metrics(folder: Path) -> dict[str, tuple[str, ...]]:
    with (folder / "summary.csv").open() as handle:
        return {row["trial"]: tuple(row[m] for m in METRICS) for row in csv.DictReader(handle)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session, and its children (a worker's nanny has one)."""
    for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("w") as handle:
        return subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, cwd=log.parent,
                                env={**os.environ, **(env or {})}, start_new_session=True)


def wait_for_workers(address: str, names: list[str], timeout_s: float = 120) -> None:
    from distributed import Client

    with Client(address, timeout=10, set_as_default=False) as client:
        deadline = time.monotonic() + timeout_s
        while True:
            seen = {w["name"] for w in client.scheduler_info()["workers"].values()}
            if set(names) <= seen:
                return
            assert time.monotonic() < deadline, f"workers {names} did not join; saw {seen}"
            time.sleep(0.1)


@contextlib.contextmanager
def dask_cluster(folder: Path, preload: Path | None = None
                 ) -> Iterator[tuple[str, dict[str, subprocess.Popen]]]:
    """`dask scheduler` and two `dask worker` processes (nanny + one single-threaded worker
    each), on 127.0.0.1; yields the scheduler's address and the processes by name: the
    workers "a" and "b", and "scheduler"."""
    folder.mkdir(parents=True, exist_ok=True)
    address = f"tcp://127.0.0.1:{free_port()}"
    processes: list[subprocess.Popen] = []
    try:
        # A trial whose worker dies is run once more, as nnrun's own local cluster does.
        processes.append(start([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                address.rsplit(":", 1)[1], "--no-dashboard",
                                "--dashboard-address", "127.0.0.1:0"],
                               folder / "scheduler.log",
                               env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1"}))
        workers = {}
        for name in ("a", "b"):
            extra = ["--preload", str(preload)] if preload else []
            workers[name] = start([DASK, "worker", address, "--name", name, "--nthreads", "1",
                                   "--host", "127.0.0.1", "--no-dashboard", *extra],
                                  folder / f"worker-{name}.log")
            processes.append(workers[name])
        wait_for_workers(address, list(workers))
        yield address, {**workers, "scheduler": processes[0]}
    finally:
        for process in reversed(processes):
            stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    """A scheduler and two workers shared by the tests that only run sweeps on it; its workers
    refuse to read data files themselves."""
    folder = tmp_path_factory.mktemp("cluster")
    preload = folder / "no_files_on_workers.py"
    preload.write_text(NO_FILES_ON_WORKERS)
    with dask_cluster(folder, preload) as (address, _):
        yield address


def run_cli(*args: object, timeout_s: float = 60) -> subprocess.CompletedProcess:
    process = nnrun_process(*args, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    finally:
        stop(process)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_local_cluster_gives_the_same_metrics_as_loky(cli, small_config: Path,
                                                        tmp_path: Path) -> None:
    loky = invoke(cli, "sweep", small_config, "--out", tmp_path / "loky", "--jobs", "2")
    assert loky.exit_code == 0, loky.output
    dask = run_cli("sweep", small_config, "--out", tmp_path / "dask", "--jobs", "2",
                   "--backend", "dask")
    assert dask.returncode == 0, dask.stderr
    assert "local cluster of 2 worker processes at tcp://127.0.0.1:" in dask.stderr
    assert "4 of 4 trials finished (4 ok)" in dask.stdout
    expected = summary_metrics(tmp_path / "loky" / "small")
    assert summary_metrics(tmp_path / "dask" / "small") == expected and len(expected) == 4


def test_a_sweep_runs_on_a_scheduler_and_workers_started_by_hand(
        cluster: str, cli, small_config: Path, tmp_path: Path) -> None:
    dask = run_cli("sweep", small_config, "--out", tmp_path / "dask", "--backend", "dask",
                   "--scheduler", cluster)
    assert dask.returncode == 0, dask.stderr
    assert f"connected to {cluster}: 2 workers, 2 threads" in dask.stderr
    loky = invoke(cli, "sweep", small_config, "--out", tmp_path / "loky", "--jobs", "2")
    assert loky.exit_code == 0, loky.output
    expected = summary_metrics(tmp_path / "loky" / "small")
    assert summary_metrics(tmp_path / "dask" / "small") == expected and len(expected) == 4


def test_a_file_data_set_is_sent_by_the_driver_once(cluster: str, cli,
                                                    tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    np.savez(tmp_path / "points.npz", X=X, y=(X[:, 0] + X[:, 1] > 0).astype(int))
    config = tmp_path / "fromfile.yaml"
    config.write_text(NPZ)
    dask = run_cli("sweep", config, "--out", tmp_path / "dask", "--backend", "dask",
                   "--scheduler", cluster)
    assert dask.returncode == 0, dask.stderr
    assert dask.stderr.count("sent the data set points.npz to every worker") == 1
    loky = invoke(cli, "sweep", config, "--out", tmp_path / "loky", "--jobs", "2")
    assert loky.exit_code == 0, loky.output
    expected = summary_metrics(tmp_path / "loky" / "fromfile")
    assert summary_metrics(tmp_path / "dask" / "fromfile") == expected and len(expected) == 3


def test_a_data_file_changed_between_two_sweeps_is_not_served_from_a_worker_s_cache(
        cluster: str, cli, tmp_path: Path) -> None:
    """The cluster's workers outlive a sweep: the second one, on the file as it is now, trains
    on what the driver sends, not on the copy the workers kept from the first."""
    config = tmp_path / "fromfile.yaml"
    config.write_text(NPZ)
    for seed, out in ((0, "before"), (1, "after")):
        X = np.random.default_rng(seed).normal(size=(120, 3))
        np.savez(tmp_path / "points.npz", X=X, y=(X[:, 0] + X[:, 1] > 0).astype(int))
        dask = run_cli("sweep", config, "--out", tmp_path / out, "--backend", "dask",
                       "--scheduler", cluster)
        assert dask.returncode == 0, dask.stderr
    loky = invoke(cli, "sweep", config, "--out", tmp_path / "loky", "--jobs", "2")
    assert loky.exit_code == 0, loky.output
    expected = summary_metrics(tmp_path / "loky" / "fromfile")
    assert summary_metrics(tmp_path / "after" / "fromfile") == expected
    assert summary_metrics(tmp_path / "before" / "fromfile") != expected


def test_a_worker_killed_mid_sweep_loses_no_trial(tmp_path: Path) -> None:
    from distributed import Client

    config = tmp_path / "long.yaml"
    config.write_text(LONG)
    with dask_cluster(tmp_path / "cluster") as (address, workers), \
            Client(address, timeout=10, set_as_default=False) as observer:
        sweep = nnrun_process("sweep", config, "--out", tmp_path / "out", "--backend", "dask",
                              "--scheduler", address, start_new_session=True)
        try:
            worker_a = _address_of(observer, "a")
            deadline = time.monotonic() + 30
            while not observer.run(executing, workers=[worker_a])[worker_a]:
                assert time.monotonic() < deadline and sweep.poll() is None, "no trial on a"
                time.sleep(0.05)
            os.killpg(workers["a"].pid, signal.SIGKILL)
            stdout, stderr = sweep.communicate(timeout=300)
        finally:
            stop(sweep)
    assert sweep.returncode == 0, stderr
    assert "4 of 4 trials finished (4 ok)" in stdout
    rows = summary_metrics(tmp_path / "out" / "small")
    assert len(rows) == 4 and {row[0] for row in rows.values()} == {"ok"}


def test_a_scheduler_lost_mid_sweep_keeps_the_finished_trials_and_a_rerun_resumes(
        tmp_path: Path) -> None:
    config = tmp_path / "long.yaml"
    config.write_text(LONG)
    out = tmp_path / "out"
    twelve = ["--set", "sweep.parameters.optimizer.lr=[0.01, 0.02, 0.03, 0.04, 0.05, 0.07]",
              "--set", "train.epochs=1000"]  # about 0.6 s a trial: the kill lands mid-sweep
    with dask_cluster(tmp_path / "cluster") as (address, processes):
        sweep = nnrun_process("sweep", config, "--out", out, "--backend", "dask",
                              "--scheduler", address, *twelve, start_new_session=True)
        try:
            wait_for_results(out / "small", 1, sweep, timeout=300)  # hang guards, not timings
            os.killpg(processes["scheduler"].pid, signal.SIGKILL)
            stdout, stderr = sweep.communicate(timeout=300)
        finally:
            stop(sweep)
    assert sweep.returncode == 2, stderr
    # how dask shows the loss varies (a cancelled future, a closed or refused connection):
    # each way ends in one clean message
    assert f"scheduler at {address}" in stderr and "run the same command again" in stderr
    assert "Traceback" not in stderr
    finished = {path.parent.name for path in out.glob("small/trials/*/result.json")}
    assert set(summary_metrics(out / "small")) == finished and 0 < len(finished) < 12

    with dask_cluster(tmp_path / "cluster2") as (address, _):
        # a guard against a hang, not a timing: on a loaded machine a trial takes 20x longer
        again = run_cli("sweep", config, "--out", out, "--backend", "dask", "--scheduler",
                        address, *twelve, timeout_s=600)
    assert again.returncode == 0, again.stderr
    assert f"{len(finished)} of 12 trials already finished" in again.stderr
    rows = summary_metrics(out / "small")
    assert len(rows) == 12 and {row[0] for row in rows.values()} == {"ok"}


def test_results_that_arrived_before_the_scheduler_went_away_are_kept() -> None:
    from types import SimpleNamespace

    from nnrun.execution.dask_backend import _arrived

    class Future:  # hashable, as dask's are
        def __init__(self, status: str) -> None:
            self.status = status

    done, cancelled, unknown = Future("finished"), Future("cancelled"), Future("finished")
    tasks = {done: "t-done", cancelled: "t-cancelled", "queued": "t-queued"}
    ready = [(done, {"status": "ok"}), (cancelled, None), (unknown, {"status": "ok"})]
    completed = SimpleNamespace(next_batch=lambda block: ready)
    assert list(_arrived(completed, tasks)) == [("t-done", {"status": "ok"})]
    assert tasks == {"queued": "t-queued"}  # the cancelled one is gone from flight too

    def broken(block):
        raise OSError("closed")

    assert list(_arrived(SimpleNamespace(next_batch=broken), {})) == []


def _address_of(client, name: str) -> str:
    return next(address for address, info in client.scheduler_info()["workers"].items()
                if info["name"] == name)


# Run on a worker by Client.run: how many tasks it is running right now. (A lambda, so that
# it travels by value: the workers cannot import this test module.)
executing = lambda dask_worker: len(dask_worker.state.executing)  # noqa: E731


def live_processes_in_group(group: int) -> list[int]:
    """Processes of a process group that still run (zombies waiting to be reaped don't)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                alive.append(int(stat.parent.name))
    return alive


def test_ctrl_c_keeps_finished_trials_and_stops_the_local_cluster(tmp_path: Path) -> None:
    config = tmp_path / "long.yaml"
    config.write_text(LONG)
    out = tmp_path / "out"
    sweep = nnrun_process("sweep", config, "--out", out, "--jobs", "2", "--backend", "dask",
                          "--set",
                          "sweep.parameters.optimizer.lr=[0.01, 0.02, 0.03, 0.04, 0.05, 0.07]",
                          start_new_session=True)
    try:
        wait_for_results(out / "small", 1, sweep, timeout=300)  # hang guards, not timings
        os.killpg(sweep.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = sweep.communicate(timeout=20)
        deadline = time.monotonic() + 5  # multiprocessing's resource tracker exits last
        while (alive := live_processes_in_group(sweep.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive, [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in alive]
    finally:
        stop(sweep)
    assert sweep.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    finished = {path.parent.name for path in out.glob("small/trials/*/result.json")}
    rows = summary_metrics(out / "small")
    assert set(rows) == finished and 0 < len(finished) < 12
    assert {row[0] for row in rows.values()} == {"ok"}


def test_a_trial_that_kills_each_worker_it_runs_on_fails_after_one_retry() -> None:
    from helpers.workers import crash_on_x3

    from nnrun.execution import ListSource, Task
    from nnrun.execution.dask_backend import WORKER_DIED, iter_dask

    tasks = [Task(f"t{i}", {"seed": i, "data": {"dataset": "moons"}}, {"x": i, "sleep": 0.05})
             for i in range(6)]
    records = {task.trial_id: result.record for task, result
               in iter_dask(ListSource(tasks), jobs=2, worker=crash_on_x3)}
    assert sorted(records) == [f"t{i}" for i in range(6)]
    assert records["t3"].status == "failed" and records["t3"].error == WORKER_DIED
    assert all(records[f"t{i}"].status == "ok" for i in (0, 1, 2, 4, 5))


def test_a_bad_scheduler_address_is_a_usage_error_naming_it(cli, small_config: Path,
                                                            tmp_path: Path, monkeypatch) -> None:
    import nnrun.execution.dask_backend
    monkeypatch.setattr(nnrun.execution.dask_backend, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens there
    result = invoke(cli, "sweep", small_config, "--out", tmp_path, "--backend", "dask",
                    "--scheduler", address)
    assert result.exit_code == 2
    assert f"cannot connect to the dask scheduler at {address}" in result.stderr
    assert "Traceback" not in result.output


def test_a_malformed_scheduler_address_ends_at_once_with_the_message_only(
        small_config: Path, tmp_path: Path) -> None:
    # The client that failed to connect used to be closed by the garbage collector at exit:
    # 20 s later, with a TimeoutError traceback after the clean message.
    process = nnrun_process("sweep", small_config, "--out", tmp_path / "out", "--backend",
                            "dask", "--scheduler", "nonsense")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert "cannot connect to the dask scheduler at nonsense" in err
    assert "Traceback" not in err and "Exception ignored" not in err, err


def test_without_the_extra_the_message_says_what_to_install(cli, small_config: Path,
                                                             tmp_path: Path,
                                                             monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    result = invoke(cli, "sweep", small_config, "--out", tmp_path, "--backend", "dask")
    assert result.exit_code == 2
    assert "pip install 'nnrun[dask]'" in result.stderr

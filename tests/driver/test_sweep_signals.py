"""SIGTERM and SIGHUP end a sweep as Ctrl-C does, and no process of the sweep outlives it, even
when the driver itself is SIGKILLed. Each test runs `nnrun sweep` as a real process and watches
its processes through /proc."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from helpers.cli import nnrun_process, run_nnrun, wait_for_results
from helpers.configs import write_config
from helpers.processes import command_line, descendants, still_running

from nnrun.errors import NnrunError
from nnrun.results.store import SweepLock

#: "a few seconds": how long the sweep's processes may take to go once it has ended
GRACE_S = 10


def _long_config(tmp_path: Path) -> Path:
    """8 trials of a second or two each: the sweep is still running when a test stops it."""
    return write_config(tmp_path / "long.yaml", changes={
        "train.epochs": 150, "data.n_samples": 2000,
        "sweep.parameters.optimizer.lr": [0.05, 0.1, 0.2, 0.3]})


def _lock_is_free(folder: Path) -> bool:
    lock = SweepLock(folder)
    try:
        lock.acquire()
    except NnrunError:
        return False
    lock.release()
    return True


def _workers_of(pid: int, jobs: int) -> list[int]:
    """The sweep's processes once its loky workers (if any) have started."""
    deadline = time.monotonic() + 60
    while True:
        found = descendants(pid)
        workers = [p for p in found if "--pipe" in command_line(p)]  # loky's workers
        if len(workers) >= jobs or jobs == 1 or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "jobs"), [(signal.SIGTERM, 2), (signal.SIGHUP, 2),
                                              (signal.SIGTERM, 1), (signal.SIGINT, 2)],
                         ids=["SIGTERM", "SIGHUP", "SIGTERM-inline", "SIGINT"])
def test_sigterm_and_sighup_stop_a_sweep_as_ctrl_c_does(tmp_path: Path, signum: int,
                                                        jobs: int) -> None:
    config, out = _long_config(tmp_path), tmp_path / "out"
    folder = out / "small"
    process = nnrun_process("sweep", config, "--out", out, "--jobs", str(jobs))
    try:
        wait_for_results(folder, 2, process)
        processes = _workers_of(process.pid, jobs)
        assert jobs == 1 or len(processes) >= jobs, processes
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signum, stderr  # 143 SIGTERM, 129 SIGHUP, 130 Ctrl-C
    finished = {p.parent.name for p in folder.glob("trials/*/result.json")}
    by = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert (f"interrupted{by}: the {len(finished)} finished trials are saved in "
            f"{folder}; run the same command again to resume") in stderr
    assert "Traceback" not in stderr
    assert 2 <= len(finished) < 8
    summary = (folder / "summary.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in summary} == finished
    assert json.loads((folder / "sweep.json").read_text())["finished_at"] is None
    assert _lock_is_free(folder)
    assert still_running(processes, GRACE_S) == [], [command_line(p) for p in processes]
    if signum == signal.SIGTERM and jobs == 2:
        again = run_nnrun("sweep", config, "--out", out, "--jobs", "2")
        assert again.returncode == 0, again.stderr
        assert f"{len(finished)} of them from an earlier run" in again.stdout


@pytest.mark.slow
def test_the_workers_of_a_sigkilled_driver_do_not_outlive_it(tmp_path: Path) -> None:
    config, out = _long_config(tmp_path), tmp_path / "out"
    process = nnrun_process("sweep", config, "--out", out, "--jobs", "2")
    try:
        wait_for_results(out / "small", 1, process)
        processes = _workers_of(process.pid, 2)
        workers = [p for p in processes if "--pipe" in command_line(p)]
        assert len(workers) == 2, [command_line(p) for p in processes]
        process.kill()  # SIGKILL: the driver can do nothing about it
        process.wait(timeout=30)
        # no more than their current trial (a second or two); they go at once, in fact
        assert still_running(processes, GRACE_S) == [], [command_line(p) for p in processes]
        finished = len(list(out.glob("small/trials/*/result.json")))
        time.sleep(1)
        assert len(list(out.glob("small/trials/*/result.json"))) == finished  # none since
    finally:
        process.communicate(timeout=60)  # the pipes close once no process of it holds them

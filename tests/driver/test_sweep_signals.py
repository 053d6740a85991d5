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


# SIGTERM (or Ctrl-C) while the sweep checks its config and data, before any trial: injected by
# making the checks send it (a data set can take seconds to build; a test cannot time that).
SIGNAL_IN_PREFLIGHT = """
import os, signal, sys, time
import nnrun.driver.sweep as sweep
real, signum = sweep.preflight, getattr(signal, sys.argv.pop(1))
def slow(*args, **kwargs):
    os.kill(os.getpid(), signum)
    time.sleep(30)
    return real(*args, **kwargs)
sweep.preflight = slow
from nnrun.cli import app
sys.argv = ["nnrun", *sys.argv[1:]]
app()
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT"])
def test_a_signal_before_the_first_trial_ends_the_command_without_a_traceback(
        small_config: Path, tmp_path: Path, name: str) -> None:
    import subprocess
    import sys

    from helpers.cli import ROOT

    result = subprocess.run([sys.executable, "-c", SIGNAL_IN_PREFLIGHT, name, "sweep",
                             small_config, "--out", tmp_path / "out"], capture_output=True,
                            text=True, timeout=120, cwd=ROOT)
    signum = getattr(signal, name)
    assert result.returncode == 128 + signum, result.stderr
    by = "" if name == "SIGINT" else f" by {name}"
    assert result.stderr == f"interrupted{by} before the first trial: nothing was trained\n"
    assert not (tmp_path / "out").exists()


def test_a_signal_while_a_result_is_written_leaves_it_in_the_summary(
        small_config: Path, tmp_path: Path, monkeypatch) -> None:
    """The Ctrl-C that lands between a trial's result.json and its row: the row is written
    too (seen as a flaky summary in a Ctrl-C test on a loaded machine)."""
    import csv
    import os

    from helpers.workers import quick

    from nnrun.config import load_config
    from nnrun.driver.sweep import run_sweep
    from nnrun.results.store import ResultsStore

    real = ResultsStore.write_trial
    written: list[str] = []

    def write_then_sigterm(self, *args, **kwargs):
        stored = real(self, *args, **kwargs)
        written.append(stored.trial)
        if len(written) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # handled at once, before the record counts
        return stored

    monkeypatch.setattr(ResultsStore, "write_trial", write_then_sigterm)
    outcome = run_sweep(load_config(small_config), out=tmp_path, jobs=1, live=False,
                        log=lambda message: None, worker=quick)
    assert outcome.interrupted and outcome.signal == signal.SIGTERM
    assert sum(outcome.counts.values()) == 2
    with (tmp_path / "small" / "summary.csv").open() as handle:
        assert [row["trial"] for row in csv.DictReader(handle)] == written
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def _sigterm_in_finish(monkeypatch) -> None:
    """Send SIGTERM as the driver starts its last bookkeeping, once every trial has ended."""
    import os

    from nnrun.driver.sweep import _SweepRun

    real = _SweepRun.finish

    def finish_with_a_signal(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # handled at once, inside finish
        real(self)

    monkeypatch.setattr(_SweepRun, "finish", finish_with_a_signal)


def test_a_signal_in_the_last_bookkeeping_is_not_one_before_the_first_trial(
        small_config: Path, tmp_path: Path, monkeypatch) -> None:
    """The summary and sweep.json are written whole, and the outcome says the sweep ended
    with every trial saved (it used to raise SweepInterrupted: "before the first trial")."""
    import csv

    from helpers.workers import quick

    from nnrun.config import load_config
    from nnrun.driver.sweep import run_sweep

    _sigterm_in_finish(monkeypatch)
    outcome = run_sweep(load_config(small_config), out=tmp_path, jobs=1, live=False,
                        log=lambda message: None, worker=quick)
    assert outcome.interrupted and outcome.signal == signal.SIGTERM and outcome.complete
    assert sum(outcome.counts.values()) == 4
    folder = tmp_path / "small"
    with (folder / "summary.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 4
    meta = json.loads((folder / "sweep.json").read_text())
    assert len(meta["trials"]) == 4 and meta["finished_at"] is not None
    assert _lock_is_free(folder)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_the_command_says_every_trial_is_saved_when_the_signal_came_after_the_last(
        small_config: Path, tmp_path: Path, monkeypatch) -> None:
    from helpers.cli import invoke
    from typer.testing import CliRunner

    _sigterm_in_finish(monkeypatch)
    result = invoke(CliRunner(), "sweep", small_config, "--out", tmp_path, "--jobs", "1")
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert "before the first trial" not in result.stderr
    assert (f"interrupted by SIGTERM after the last trial: all 4 trials are saved in "
            f"{tmp_path / 'small'}, with the summary") in result.stderr


def test_a_signal_after_the_last_result_but_before_the_bookkeeping_keeps_the_end_time(
        small_config: Path, tmp_path: Path, monkeypatch) -> None:
    """Between the last result and finish() (the progress display closing, a dask cluster
    shutting down) a signal still stops the loop; every trial has its record, so sweep.json
    says the sweep finished."""
    import os

    from helpers.workers import quick

    from nnrun.config import load_config
    from nnrun.driver.progress import SweepProgress
    from nnrun.driver.sweep import run_sweep

    real_exit = SweepProgress.__exit__

    def exit_with_a_signal(self, *exc_info):
        real_exit(self, *exc_info)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(SweepProgress, "__exit__", exit_with_a_signal)
    outcome = run_sweep(load_config(small_config), out=tmp_path, jobs=1, live=False,
                        log=lambda message: None, worker=quick)
    assert outcome.interrupted and outcome.complete
    meta = json.loads((tmp_path / "small" / "sweep.json").read_text())
    assert meta["finished_at"] is not None

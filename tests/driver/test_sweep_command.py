"""`nnrun sweep` end to end: the results layout, determinism, resume, failures, kills, locks."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import ROOT, invoke, nnrun_process, wait_for_results
from helpers.configs import write_config

from nnrun.driver.sweep import run_sweep
from nnrun.errors import NnrunError
from nnrun.results.store import LOCK_NAME, SweepLock

METRICS = ["train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
           "test_accuracy", "best_epoch", "epochs_run"]


def lock_is_free(folder: Path) -> bool:
    """Whether a sweep could take the results folder's lock now."""
    lock = SweepLock(folder)
    try:
        lock.acquire()
    except NnrunError:
        return False
    lock.release()
    return True


def summary_rows(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "summary.csv").open() as handle:
        return {row["trial"]: row for row in csv.DictReader(handle)}


def metric_table(folder: Path) -> dict[str, tuple]:
    return {trial: tuple(row[m] for m in METRICS) for trial, row in summary_rows(folder).items()}


def test_sweep_writes_the_results_layout(cli, small_config: Path, tmp_path: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "small"
    meta = json.loads((folder / "sweep.json").read_text())
    assert meta["name"] == "small" and len(meta["trials"]) == 4
    assert meta["parameters"] == ["model.activation", "optimizer.lr"]
    assert meta["metric"] == "val_accuracy" and meta["goal"] == "maximize"
    assert meta["objectives"] == [{"metric": "val_accuracy", "goal": "maximize"}]
    assert meta["finished_at"] is not None and meta["task"] == "classification"
    rows = summary_rows(folder)
    assert set(rows) == set(meta["trials"])
    header = list(next(iter(rows.values())))
    assert header == ["trial", "status", "seed", "model.activation", "optimizer.lr",
                      "train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
                      "test_accuracy", "n_parameters", "train_seconds", "best_epoch",
                      "epochs_run", "wall_s"]
    for trial, row in rows.items():
        assert row["status"] == "ok" and row["epochs_run"] == "5"
        sizes = json.loads((folder / "trials" / trial / "result.json").read_text())["sizes"]
        # every weight and bias: sum over layers of m_l (m_{l-1} + 1)
        assert int(row["n_parameters"]) == sum(
            n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True))
        assert 0 < float(row["train_seconds"]) <= float(row["wall_s"])
        trial_dir = folder / "trials" / trial
        for name in ("config.yaml", "metrics.csv", "result.json", "weights.npz"):
            assert (trial_dir / name).is_file(), name
        with (trial_dir / "metrics.csv").open() as handle:
            epochs = list(csv.DictReader(handle))
        assert [int(e["epoch"]) for e in epochs] == [1, 2, 3, 4, 5]
        assert {"lr", "grad_norm_1", "grad_norm_2", "wall_s", "val_accuracy"} <= set(epochs[0])
    assert lock_is_free(folder)
    assert "4 of 4 trials finished (4 ok)" in result.stdout


def test_jobs_1_and_jobs_2_give_identical_metrics(cli, small_config: Path,
                                                  tmp_path: Path) -> None:
    assert invoke(cli, "sweep", small_config, "--out", tmp_path / "a", "-j", "1").exit_code == 0
    assert invoke(cli, "sweep", small_config, "--out", tmp_path / "b", "-j", "2").exit_code == 0
    one, two = metric_table(tmp_path / "a" / "small"), metric_table(tmp_path / "b" / "small")
    assert one == two and len(one) == 4


def test_rerun_resumes_and_a_wider_sweep_runs_only_new_trials(cli, small_config: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke(cli, "sweep", small_config, "--out", out, "-j", "1").exit_code == 0
    folder = out / "small"
    stamps = {p: p.stat().st_mtime_ns for p in folder.glob("trials/*/result.json")}
    again = invoke(cli, "sweep", small_config, "--out", out, "-j", "1")
    assert again.exit_code == 0 and "4 of them from an earlier run" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in folder.glob("trials/*/result.json")} == stamps
    wider = invoke(cli, "sweep", small_config, "--out", out, "-j", "1",
                   "--set", "sweep.parameters.optimizer.lr=[0.05, 0.1, 0.2]")
    assert wider.exit_code == 0, wider.output
    assert "6 of 6 trials finished" in wider.stdout
    assert "4 of them from an earlier run" in wider.stdout
    assert len(summary_rows(folder)) == 6
    fresh = invoke(cli, "sweep", small_config, "--out", out, "-j", "1", "--no-resume")
    assert fresh.exit_code == 0 and "earlier run" not in fresh.stdout
    assert len(summary_rows(folder)) == 4


def test_dry_run_prints_the_trials_and_trains_nothing(cli, small_config: Path,
                                                      tmp_path: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "4 trials" in result.stdout and "relu" in result.stdout and "0.05" in result.stdout
    assert not (tmp_path / "out").exists()


def test_dry_run_of_a_bayes_sweep_says_what_it_will_propose(cli, tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    result = invoke(cli, "sweep", ROOT / "experiments" / "bayes.yaml", "--out", tmp_path / "out",
                    "--dry-run")
    assert result.exit_code == 0, result.output
    assert "0 trials" not in result.stdout
    assert "30 configurations proposed by TPE" in result.stdout
    assert not (tmp_path / "out").exists()
    budgeted = invoke(cli, "sweep", ROOT / "experiments" / "bayes.yaml", "--dry-run",
                      "--max-trials", "4")
    assert "; --max-trials 4: at most 4 of them start in this run;" in budgeted.stdout


def test_cross_entropy_on_a_regression_csv_is_a_config_error(cli, tmp_path: Path) -> None:
    rows = "\n".join(f"{i % 7},{i % 5},{0.3 * i + 0.1}" for i in range(60))
    (tmp_path / "reg.csv").write_text("a,b,y\n" + rows + "\n")
    config = tmp_path / "reg.yaml"
    config.write_text("data:\n  dataset: csv\n  path: reg.csv\n  target: y\n"
                      "train:\n  epochs: 2\n")  # loss defaults to cross_entropy
    result = invoke(cli, "sweep", config, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "loss: cross_entropy needs a classification task" in result.stderr
    assert "use loss: mse" in result.stderr and not (tmp_path / "out" / "reg").exists()
    swept = tmp_path / "swept.yaml"
    swept.write_text(config.read_text() + "sweep:\n  parameters:\n    loss: [mse, cross_entropy]\n")
    result = invoke(cli, "sweep", swept, "--out", tmp_path / "out")
    assert result.exit_code == 2 and ("swept.yaml:9:17: sweep.parameters.loss[1]: "
                                         "cross_entropy") in result.stderr
    result = invoke(cli, "sweep", config, "--out", tmp_path / "out", "--set", "loss=mse")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("jobs", ["0", "-1"])
def test_jobs_below_1_is_a_usage_error(cli, small_config: Path, tmp_path: Path,
                                       jobs: str) -> None:
    result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "--jobs", jobs)
    assert result.exit_code == 2, result.output
    assert f"--jobs must be at least 1, not {jobs}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_or_unwritable_is_a_usage_error(cli, small_config: Path,
                                                              tmp_path: Path) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    result = invoke(cli, "sweep", small_config, "--out", a_file)
    assert result.exit_code == 2, result.output
    assert f"cannot create the results folder {a_file / 'small'}" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if os.geteuid() == 0:
        return  # root writes anywhere
    locked = tmp_path / "locked"
    (locked / "small").mkdir(parents=True)
    (locked / "small").chmod(0o555)
    try:
        result = invoke(cli, "sweep", small_config, "--out", locked)
    finally:
        (locked / "small").chmod(0o755)
    assert result.exit_code == 2, result.output
    assert "cannot write into the results folder" in result.stderr


def test_the_results_files_are_readable_by_others_as_the_umask_says(
        cli, small_config: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "small"
    trial = next((folder / "trials").iterdir())
    for path in (folder / "summary.csv", folder / "sweep.json", trial / "result.json",
                 trial / "metrics.csv", trial / "config.yaml"):
        assert path.stat().st_mode & 0o777 == 0o644, path


def test_a_failing_trial_is_recorded_and_the_rest_finish(cli, small_config: Path,
                                                         tmp_path: Path, monkeypatch) -> None:
    import nnrun.execution.worker

    real = nnrun.execution.worker.build_trainer

    def broken(config, dataset, net):
        if config["model"]["activation"] == "relu" and config["optimizer"]["lr"] == 0.1:
            raise RuntimeError("simulated bug in one trial")
        return real(config, dataset, net)

    monkeypatch.setattr(nnrun.execution.worker, "build_trainer", broken)
    result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "-j", "1")
    assert result.exit_code == 1
    assert "1 trial(s) failed" in result.stderr
    rows = summary_rows(tmp_path / "out" / "small")
    assert sorted(r["status"] for r in rows.values()) == ["failed", "ok", "ok", "ok"]
    failed = next(t for t, r in rows.items() if r["status"] == "failed")
    record = json.loads((tmp_path / "out" / "small" / "trials" / failed / "result.json")
                        .read_text())
    assert "simulated bug in one trial" in record["error"]
    assert "Traceback" in record["traceback"]
    monkeypatch.setattr(nnrun.execution.worker, "build_trainer", real)
    rerun = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "-j", "1")
    assert rerun.exit_code == 0 and "3 of them from an earlier run" in rerun.stdout


def test_fail_fast_stops_at_the_first_failure(small_config: Path, tmp_path: Path,
                                              monkeypatch) -> None:
    import nnrun.execution.worker
    from nnrun.config import load_config

    def always_broken(config, dataset, net):
        raise RuntimeError("broken")

    monkeypatch.setattr(nnrun.execution.worker, "build_trainer", always_broken)
    outcome = run_sweep(load_config(small_config), out=tmp_path, jobs=1, fail_fast=True,
                        live=False, log=lambda message: None)
    assert outcome.stopped_on_failure and sum(outcome.counts.values()) == 1


def test_a_diverging_trial_is_recorded_as_diverged(cli, small_config: Path,
                                                   tmp_path: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--out", tmp_path / "out", "-j", "1",
                    "--set", "loss=mse", "--set", "model.output=identity",
                    "--set", "sweep.parameters.optimizer.lr=[0.05, 1.0e+12]")
    assert result.exit_code == 0, result.output
    rows = summary_rows(tmp_path / "out" / "small")
    assert sorted(r["status"] for r in rows.values()) == ["diverged", "diverged", "ok", "ok"]
    diverged = next(t for t, r in rows.items() if r["status"] == "diverged")
    record = json.loads((tmp_path / "out" / "small" / "trials" / diverged / "result.json")
                        .read_text())
    assert record["error"].startswith("diverged in epoch ")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    out = []
    for child in _children(pid):
        out.append(child)
        out.extend(_descendants(child))
    return out


@contextlib.contextmanager
def sweep_process(config: Path, out: Path, jobs: int = 2) -> Iterator[subprocess.Popen]:
    """`nnrun sweep` running as a real process; killed on the way out if still alive."""
    process = nnrun_process("sweep", config, "--out", out, "--jobs", str(jobs))
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _write_long_config(tmp_path: Path, epochs: int = 150) -> Path:
    return write_config(tmp_path / "long.yaml", changes={
        "train.epochs": epochs, "data.n_samples": 2000,
        "sweep.parameters.optimizer.lr": [0.05, 0.1, 0.2, 0.3]})


@pytest.mark.slow
def test_a_killed_worker_loses_nothing(tmp_path: Path) -> None:
    config = _write_long_config(tmp_path)
    with sweep_process(config, tmp_path / "out") as process:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            workers = [p for p in _descendants(process.pid)
                       if "loky" in Path(f"/proc/{p}/cmdline").read_text(errors="replace")]
        assert workers, "no loky worker appeared"
        time.sleep(0.5)
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 0, stderr
    rows = summary_rows(tmp_path / "out" / "small")
    assert len(rows) == 8 and {r["status"] for r in rows.values()} == {"ok"}


@pytest.mark.slow
def test_a_sweep_killed_halfway_resumes_to_the_same_results(tmp_path: Path) -> None:
    config = _write_long_config(tmp_path)
    out = tmp_path / "killed"
    with sweep_process(config, out) as process:
        wait_for_results(out / "small", 3, process)
        for pid in [process.pid, *_descendants(process.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
    finished_before = len(list(out.glob("small/trials/*/result.json")))
    assert 3 <= finished_before < 8
    again = nnrun_process("sweep", config, "--out", out, "--jobs", "2")
    stdout, stderr = again.communicate(timeout=240)
    assert again.returncode == 0, stderr
    assert f"{finished_before} of them from an earlier run" in stdout
    straight = nnrun_process("sweep", config, "--out", tmp_path / "straight", "--jobs", "2")
    straight.communicate(timeout=240)
    assert metric_table(out / "small") == metric_table(tmp_path / "straight" / "small")
    assert len(list(out.glob("small/trials/*/result.json"))) == 8


@pytest.mark.slow
def test_a_second_sweep_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    config = _write_long_config(tmp_path)
    out = tmp_path / "out"
    with sweep_process(config, out, jobs=1) as first:
        deadline = time.monotonic() + 60
        lock_file = out / "small" / LOCK_NAME
        while not (lock_file.exists() and lock_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = nnrun_process("sweep", config, "--out", out, "--jobs", "1")
        _, stderr = second.communicate(timeout=60)
        assert second.returncode == 2
        assert f"in use by another nnrun sweep (pid {first.pid}" in stderr
        assert "Traceback" not in stderr


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_with_finished_trials_on_disk(tmp_path: Path) -> None:
    config = _write_long_config(tmp_path)
    out = tmp_path / "out"
    with sweep_process(config, out) as process:
        wait_for_results(out / "small", 2, process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    finished = {p.parent.name for p in out.glob("small/trials/*/result.json")}
    assert 2 <= len(finished) < 8
    assert set(summary_rows(out / "small")) == finished
    assert lock_is_free(out / "small")
    again = nnrun_process("sweep", config, "--out", out, "--jobs", "2")
    stdout, stderr = again.communicate(timeout=240)
    assert again.returncode == 0, stderr
    assert f"{len(finished)} of them from an earlier run" in stdout


def test_plots_and_show_leave_out_the_trials_of_an_earlier_wider_sweep(cli, small_config: Path,
                                                                      tmp_path: Path) -> None:
    from nnrun.views.plots import load_sweep

    out = tmp_path / "out"
    wider = invoke(cli, "sweep", small_config, "--out", out, "-j", "1",
                   "--set", "sweep.parameters.optimizer.lr=[0.05, 0.1, 0.2]")
    assert wider.exit_code == 0, wider.output
    narrower = invoke(cli, "sweep", small_config, "--out", out, "-j", "1")
    assert narrower.exit_code == 0, narrower.output
    folder = out / "small"
    assert len(list(folder.glob("trials/*/result.json"))) == 6
    (folder / "summary.csv").unlink()  # as if the sweep were killed before writing it
    assert len(load_sweep(folder).summary) == 4
    shown = invoke(cli, "show", folder, "--format", "csv")
    assert shown.exit_code == 0, shown.output
    assert len(shown.stdout.strip().splitlines()) == 1 + 4  # header and the 4 configurations


def test_ctrl_c_inside_a_finaliser_is_noted_not_lost(monkeypatch) -> None:
    import sys

    from nnrun.driver.interrupts import ctrl_c_noted

    swallowed: list = []  # what Python prints as "Exception ignored in ... __del__"
    monkeypatch.setattr(sys, "unraisablehook", swallowed.append)

    class Finalised:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while, say, a dask future is freed

    with ctrl_c_noted() as ctrl_c:
        Finalised()  # freed at once: Python would print and swallow a KeyboardInterrupt here
        assert ctrl_c.is_set()
    assert swallowed == []
    with pytest.raises(KeyboardInterrupt), ctrl_c_noted() as ctrl_c:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    assert ctrl_c.is_set()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def _listed_trials(stdout: str) -> list[str]:
    """The trial ids of --dry-run's table."""
    return [line.split()[0] for line in stdout.splitlines()[2:]]


@pytest.mark.parametrize("changes", [{}, {"sweep.method": "halving", "sweep.min_epochs": 1,
                                         "train.epochs": 3}], ids=["grid", "halving"])
def test_dry_run_lists_the_trials_max_trials_starts(cli, tmp_path: Path,
                                                   changes: dict) -> None:
    config = write_config(tmp_path / "small.yaml", changes=changes)
    method = changes.get("sweep.method", "grid")
    everything = invoke(cli, "sweep", config, "--dry-run")
    assert everything.stdout.startswith(f"small: 4 trials ({method})\n"), everything.stdout
    dry = invoke(cli, "sweep", config, "--dry-run", "--max-trials", "2")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith(f"small: the first 2 of 4 trials ({method}), those "
                                 f"--max-trials 2 starts"), dry.stdout
    listed = _listed_trials(dry.stdout)
    assert listed == _listed_trials(everything.stdout)[:2]
    run = invoke(cli, "sweep", config, "--out", tmp_path / "out", "-j", "1", "--max-trials", "2")
    assert run.exit_code == 0, run.output
    started = {path.name for path in (tmp_path / "out" / "small" / "trials").iterdir()}
    assert started == set(listed)
    more = invoke(cli, "sweep", config, "--dry-run", "--max-trials", "9")
    assert _listed_trials(more.stdout) == _listed_trials(everything.stdout)


def test_dry_run_of_one_trial_says_trial(cli, tmp_path: Path) -> None:
    config = write_config(tmp_path / "small.yaml",
                          changes={"sweep.parameters": {"optimizer.lr": [0.1]}})
    dry = invoke(cli, "sweep", config, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.startswith("small: 1 trial (grid)\n"), dry.stdout

"""The results folder: atomic files, the lock, summary.csv."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nnrun.errors import NnrunError
from nnrun.results.record import TrialRecord
from nnrun.results.store import LOCK_NAME, ResultsStore, SweepLock
from nnrun.vocabulary import format_value


def record(trial: str, status: str = "ok", value: float = 0.5) -> TrialRecord:
    return TrialRecord(
        trial, status, seed=7, params={"model.hidden": [32, 32], "optimizer.lr": 0.01},
        final={"train_loss": value, "val_loss": float("nan"), "test_loss": value,
               "train_accuracy": 0.9, "val_accuracy": 0.8, "test_accuracy": 0.7},
        best_epoch=3, epochs_run=4, wall_s=1.23456789, train_s=1.2)


ARTIFACTS = {"history": [{"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "lr": 0.01,
                          "grad_norm_1": 0.5, "wall_s": 0.1}],
             "weights": [np.ones((2, 3))], "biases": [np.zeros(2)]}


def test_write_trial_writes_every_file(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "sweep")
    stored = store.write_trial({"seed": 7, "model": {"hidden": [32, 32]}}, record("abc"),
                              **ARTIFACTS)
    folder = tmp_path / "sweep" / "trials" / "abc"
    result = json.loads((folder / "result.json").read_text())
    assert result["status"] == "ok" and result["final"]["val_loss"] is None  # NaN -> null
    assert "history" not in result and "weights" not in result
    assert stored.final["val_loss"] is None
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert config["trial"] == "abc" and config["model"]["hidden"] == [32, 32]
    rows = list(csv.DictReader((folder / "metrics.csv").open()))
    assert rows[0]["grad_norm_1"] == "0.5"
    weights = np.load(folder / "weights.npz", allow_pickle=False)
    assert weights["W1"].shape == (2, 3) and weights["b1"].shape == (2,)
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert store.read_result("abc").trial == "abc"
    assert store.read_result("missing") is None


def test_summary_has_the_contract_columns(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    store.write_summary([record("a"), record("b", "diverged")], ["model.hidden", "optimizer.lr"],
                        "classification")
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert list(rows[0]) == ["trial", "status", "seed", "model.hidden", "optimizer.lr",
                             "train_loss", "val_loss", "test_loss", "train_accuracy",
                             "val_accuracy", "test_accuracy", "n_parameters", "train_seconds",
                             "best_epoch", "epochs_run", "wall_s"]
    assert rows[0]["model.hidden"] == "[32, 32]" and rows[0]["optimizer.lr"] == "0.01"
    assert rows[0]["val_loss"] == "" and rows[1]["status"] == "diverged"
    store.write_summary([record("a")], ["optimizer.lr"], "regression")
    header = (tmp_path / "summary.csv").read_text().splitlines()[0]
    assert "accuracy" not in header


def test_format_value() -> None:
    assert format_value([16, [2, 3]]) == "[16, [2, 3]]"
    assert format_value(True) == "true" and format_value(None) == ""
    assert format_value(1e-3) == "0.001"


def test_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    first = SweepLock(tmp_path)
    first.acquire()
    with pytest.raises(NnrunError, match=rf"in use by another nnrun sweep \(pid {os.getpid()}"):
        SweepLock(tmp_path).acquire()
    first.release()
    assert (tmp_path / LOCK_NAME).read_text() == ""
    again = SweepLock(tmp_path)
    again.acquire()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    again.release()


@pytest.mark.parametrize("left_behind", ["", "{half-written", '{"pid": 999999999}'])
def test_a_lock_file_left_behind_does_not_block(tmp_path: Path, left_behind: str) -> None:
    (tmp_path / LOCK_NAME).write_text(left_behind)
    lock = SweepLock(tmp_path)
    lock.acquire()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.release()


def test_the_lock_of_a_killed_holder_is_free_at_once(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from nnrun.results.store import SweepLock; SweepLock(Path(sys.argv[1])).acquire(); "
         "print('held', flush=True); time.sleep(60)", str(tmp_path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(NnrunError, match=f"pid {holder.pid}"):
            SweepLock(tmp_path).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        holder.kill()
        holder.wait()
    lock = SweepLock(tmp_path)
    lock.acquire()
    lock.release()


def test_forget_deletes_only_the_trials_named(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path)
    for trial_id in ("abc", "def"):
        store.write_trial({"seed": 1}, record(trial_id), **ARTIFACTS)
    store.write_summary([record("abc"), record("def")], [], "classification")
    assert store.forget(["abc", "missing"]) == ["abc"]
    assert store.read_result("abc") is None and not (tmp_path / "trials" / "abc").exists()
    assert store.read_result("def") is not None
    assert not (tmp_path / "summary.csv").exists()  # rebuilt by the sweep


def test_a_failed_write_names_the_file_not_its_temporary_and_leaves_no_trace(
        tmp_path: Path, monkeypatch) -> None:
    import errno

    from nnrun.results import files

    target = tmp_path / "summary.csv"
    target.write_text("old\n")

    def full(fd: int, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fdopen", full)
    with pytest.raises(OSError) as info:
        files.atomic_write_text(target, "new\n")
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert target.read_text() == "old\n" and os.listdir(tmp_path) == ["summary.csv"]
    (tmp_path / "trials").write_text("")  # a file where a folder goes
    with pytest.raises(NotADirectoryError) as info:
        files.atomic_write_text(tmp_path / "trials" / "abc" / "result.json", "{}")
    assert info.value.filename == str(tmp_path / "trials" / "abc" / "result.json")


def test_check_writable_refuses_a_file_where_the_trials_folder_goes(tmp_path: Path) -> None:
    (tmp_path / "trials").write_text("")
    with pytest.raises(NnrunError, match="trials: a file is in the way: it must be a folder"):
        ResultsStore(tmp_path).check_writable()
    (tmp_path / "trials").unlink()
    ResultsStore(tmp_path).check_writable()
    assert sorted(os.listdir(tmp_path)) == ["trials"]  # the probe files are gone

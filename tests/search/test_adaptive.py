"""Successive halving and TPE: rung arithmetic, promotion, bit-identical continuation, resume."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.configs import DELETE, write_config

from nnrun.config import load_config
from nnrun.driver.sweep import run_sweep
from nnrun.errors import ConfigError, NnrunError
from nnrun.execution import Continuation, Task, TrialResult, failed_result, run_task
from nnrun.results.record import TrialRecord
from nnrun.results.store import ResultsStore
from nnrun.search import BayesSource, HalvingSource, Trial, expand
from nnrun.search.halving import best_first, default_min_epochs, n_kept, rung_epochs, rung_sizes
from nnrun.vocabulary import TIMINGS

HALVING = """\
name: halving
seed: 1
data: {dataset: moons, n_samples: 200, noise: 0.2}
model: {hidden: [8], activation: tanh}
optimizer: {name: adam, lr: 0.01, schedule: cosine}
train: {batch_size: 32, epochs: 9, dtype: float32}
sweep:
  method: halving
  min_epochs: 1
  reduction_factor: 3
  parameters:
    optimizer.lr: [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
"""

BAYES = """\
name: bayes
seed: 2
data: {dataset: moons, n_samples: 200, noise: 0.2}
model: {hidden: [8], activation: tanh}
optimizer: {name: adam, lr: 0.01}
train: {batch_size: 32, epochs: 3, dtype: float32}
sweep:
  method: bayes
  samples: 8
  parameters:
    optimizer.lr: {log_uniform: [1.0e-4, 1.0]}
    model.hidden: [[4], [8, 8]]
    train.batch_size: {int_uniform: [16, 64]}
"""


def write(tmp_path: Path, text: str, changes: dict[str, Any] | None = None,
          name: str = "sweep.yaml") -> Path:
    """``text`` with each dotted key of ``changes`` set, as a file in ``tmp_path``."""
    return write_config(tmp_path / name, text, changes)


def summary(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "summary.csv", newline="") as handle:
        return {row["trial"]: {k: v for k, v in row.items() if k not in ("wall_s", *TIMINGS)}
                for row in csv.DictReader(handle)}


def metrics(folder: Path, trial_id: str) -> list[dict[str, str]]:
    with open(folder / "trials" / trial_id / "metrics.csv", newline="") as handle:
        return [{k: v for k, v in row.items() if k != "wall_s"} for row in csv.DictReader(handle)]


def weights(folder: Path, trial_id: str) -> dict[str, np.ndarray]:
    with np.load(folder / "trials" / trial_id / "weights.npz") as saved:
        return {name: saved[name] for name in saved.files}


def quiet(message: str) -> None:
    pass


# --- rung arithmetic ------------------------------------------------------------------------


def test_rung_epochs_multiply_by_the_reduction_factor_up_to_max_epochs() -> None:
    assert rung_epochs(1, 27, 3) == [1, 3, 9, 27]
    assert rung_epochs(2, 20, 3) == [2, 6, 18, 20]
    assert rung_epochs(5, 100, 4) == [5, 20, 80, 100]
    assert rung_epochs(10, 10, 2) == [10]
    with pytest.raises(ValueError):
        rung_epochs(0, 10, 3)
    with pytest.raises(ValueError):
        rung_epochs(11, 10, 3)


def test_each_rung_keeps_the_best_third_and_at_least_one() -> None:
    assert rung_sizes(27, 4, 3) == [27, 9, 3, 1]
    assert rung_sizes(10, 4, 3) == [10, 3, 1, 1]
    assert [n_kept(n, 3) for n in (1, 2, 3, 5, 6)] == [1, 1, 1, 1, 2]
    assert rung_sizes(8, 4, 2) == [8, 4, 2, 1]


def test_default_min_epochs_gives_enough_rungs_to_reach_one_configuration() -> None:
    assert default_min_epochs(27, 81, 3) == 3  # 27 -> 9 -> 3 -> 1 over 3, 9, 27, 81 epochs
    assert default_min_epochs(9, 100, 3) == 11
    assert default_min_epochs(2, 10, 3) == 10  # too few configurations to halve
    assert default_min_epochs(1000, 10, 3) == 1


def test_best_first_follows_the_goal_and_puts_missing_values_last() -> None:
    values = [0.5, None, 0.9, float("nan"), 0.5, 0.1]
    assert best_first(values, "maximize") == [2, 0, 4, 5, 1, 3]
    assert best_first(values, "minimize") == [5, 0, 4, 2, 1, 3]


# --- promotion ------------------------------------------------------------------------------


def fake_trials(values: list[float], repeats: int = 1) -> list[Trial]:
    config = {"seed": 0, "train": {"epochs": 9}}
    return [Trial(id=f"c{i}r{r}", seed=r, repeat=r, params={"x": i}, config=config)
            for i in range(len(values)) for r in range(repeats)]


def drive(source: Any, value_of: Any) -> list[Task]:
    """Run a source to the end with results whose metric is value_of(task); return the tasks."""
    done = []
    while (task := source.pop()) is not None:
        rung = task.mark.rung
        final = {"val_accuracy": value_of(task, rung), "val_loss": value_of(task, rung)}
        last = task.continuation.until_epoch == 9
        source.tell(task, TrialRecord(task.trial_id, "ok" if last else "stopped", final=final))
        done.append(task)
    return done


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_halving_promotes_the_best_configurations_by_metric_and_goal(goal: str) -> None:
    values = [0.3, 0.9, 0.1, 0.7, 0.5, 0.8, 0.2, 0.6, 0.4]
    trials = fake_trials(values)
    metric = "val_accuracy" if goal == "maximize" else "val_loss"
    source = HalvingSource(trials, {}, rungs=[1, 3, 9], reduction_factor=3, metric=metric,
                           goal=goal)
    assert source.total == 9 + 3 + 1
    tasks = drive(source, lambda task, rung: values[task.params["x"]])
    by_rung: dict[int, list[int]] = {}
    for task in tasks:
        by_rung.setdefault(task.mark.rung, []).append(task.params["x"])
    order = sorted(range(9), key=lambda i: values[i], reverse=goal == "maximize")
    assert by_rung[0] == list(range(9))
    assert sorted(by_rung[1]) == sorted(order[:3])
    assert by_rung[2] == order[:1]
    assert [t.continuation.until_epoch for t in tasks] == [1] * 9 + [3] * 3 + [9]
    assert source.complete


def test_halving_ranks_a_configuration_by_the_mean_over_its_repeats() -> None:
    # configuration 0 has the best single run, configuration 1 the best mean
    per_run = {("c0r0"): 0.99, "c0r1": 0.1, "c1r0": 0.8, "c1r1": 0.8, "c2r0": 0.5, "c2r1": 0.5}
    source = HalvingSource(fake_trials([0, 0, 0], repeats=2), {}, rungs=[3, 9],
                           reduction_factor=3, metric="val_accuracy", goal="maximize")
    tasks = drive(source, lambda task, rung: per_run[task.trial_id])
    assert [t.trial_id for t in tasks[6:]] == ["c1r0", "c1r1"]


def test_a_failed_trial_ranks_last_and_the_rung_still_closes() -> None:
    source = HalvingSource(fake_trials([0, 0, 0]), {}, rungs=[1, 9], reduction_factor=3,
                           metric="val_accuracy", goal="maximize")
    done = []
    while (task := source.pop()) is not None:
        failed = task.trial_id == "c2r0"
        source.tell(task, TrialRecord(task.trial_id, "failed" if failed else "stopped",
                                      final={} if failed else {"val_accuracy": 0.1}))
        done.append(task.trial_id)
    assert done == ["c0r0", "c1r0", "c2r0", "c0r0"]
    assert source.complete


# --- bit-identical continuation ---------------------------------------------------------------


class Recording:
    """The halving worker, noting the epoch each task starts from (0 without a checkpoint)."""

    def __init__(self) -> None:
        self.starts: list[tuple[int, int]] = []

    def __call__(self, task: Task) -> TrialResult:
        checkpoint = task.continuation.checkpoint
        self.starts.append((checkpoint["epoch"] if checkpoint else 0,
                            task.continuation.until_epoch))
        return run_task(task)


def test_a_continued_trial_is_bit_identical_through_a_checkpoint_file(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, HALVING))
    trial = expand(spec)[3]
    store = ResultsStore(tmp_path / "r")
    first = run_task(Task(trial.id, trial.config,
                          continuation=Continuation(3, keep_state=True)))
    assert first.record.status == "stopped" and first.record.epochs_run == 3
    store.write_checkpoint(trial.id, first.state)
    rest = run_task(Task(trial.id, trial.config, continuation=Continuation(
        9, checkpoint=store.read_checkpoint(trial.id))))
    straight = run_task(Task(trial.id, trial.config, continuation=Continuation(9)))
    assert rest.record.status == straight.record.status == "ok"
    def results(final: dict) -> dict:
        return {metric: value for metric, value in final.items() if metric not in TIMINGS}

    assert results(rest.record.final) == results(straight.record.final)
    assert rest.record.final["train_seconds"] > 0
    for got, want in zip(rest.weights + rest.biases, straight.weights + straight.biases,
                         strict=True):
        np.testing.assert_array_equal(got, want)
    strip = [{k: v for k, v in row.items() if k != "wall_s"} for row in straight.history]
    assert [{k: v for k, v in row.items() if k != "wall_s"} for row in rest.history] == strip
    # the checkpoint is what the continuation starts from: change it and the result changes
    shifted = store.read_checkpoint(trial.id)
    shifted["parameters"] = shifted["parameters"] * 0.5
    other = run_task(Task(trial.id, trial.config,
                          continuation=Continuation(9, checkpoint=shifted)))
    assert not np.array_equal(other.weights[0], straight.weights[0])


def test_a_promoted_trial_ends_bit_identical_to_training_straight_through(tmp_path: Path) -> None:
    halving_spec = load_config(write(tmp_path, HALVING))
    worker = Recording()
    halving = run_sweep(halving_spec, out=tmp_path / "h", jobs=1, live=False, log=quiet,
                        worker=worker)
    assert halving.counts == {"ok": 1, "stopped": 8}
    # promoted trials carried on from their checkpoints, they did not start over
    assert worker.starts == [(0, 1)] * 9 + [(1, 3)] * 3 + [(3, 9)]
    rows = summary(halving.folder)
    winner = next(trial_id for trial_id, row in rows.items() if row["status"] == "ok")
    epochs_run = sorted(int(row["epochs_run"]) for row in rows.values())
    assert epochs_run == [1] * 6 + [3, 3, 9]

    grid_spec = load_config(write(tmp_path, HALVING, {"sweep.method": "grid",
                                                      "sweep.min_epochs": DELETE}))
    grid_ids = [trial.id for trial in expand(grid_spec)]
    assert sorted(grid_ids) == sorted(rows)  # rung epochs are not part of the id
    grid = run_sweep(grid_spec, out=tmp_path / "g", jobs=1, live=False, log=quiet)
    straight = summary(grid.folder)[winner]
    assert {k: v for k, v in rows[winner].items() if k != "status"} == \
        {k: v for k, v in straight.items() if k != "status"}
    assert metrics(halving.folder, winner) == metrics(grid.folder, winner)
    for name, array in weights(grid.folder, winner).items():
        np.testing.assert_array_equal(weights(halving.folder, winner)[name], array)
    # a stopped trial's history is the start of the same trial trained straight through
    for trial_id, row in rows.items():
        if row["status"] == "stopped":
            n = int(row["epochs_run"])
            assert metrics(halving.folder, trial_id) == metrics(grid.folder, trial_id)[:n]
            record = json.loads((halving.folder / "trials" / trial_id / "result.json").read_text())
            assert record["rung_epochs"] == n
            assert (halving.folder / "trials" / trial_id / "checkpoint.npz").exists()
    assert not (halving.folder / "trials" / winner / "checkpoint.npz").exists()


def test_a_checkpoint_round_trips_a_trainer_state_exactly(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, HALVING))
    trial = expand(spec)[0]
    task = Task(trial.id, trial.config, trial.params,
                continuation=Continuation(2, keep_state=True))
    state = run_task(task).state
    store = ResultsStore(tmp_path / "r")
    store.write_checkpoint(trial.id, state)
    loaded = store.read_checkpoint(trial.id)
    assert loaded["rng"] == state["rng"]
    assert loaded["history"] == state["history"]
    np.testing.assert_array_equal(loaded["parameters"], state["parameters"])
    assert loaded["parameters"].dtype == state["parameters"].dtype
    for saved, original in zip(loaded["optimizer"]["state"], state["optimizer"]["state"],
                               strict=True):
        for name in original:
            np.testing.assert_array_equal(saved[name], original[name])
    assert loaded["optimizer"]["hyperparameters"] == state["optimizer"]["hyperparameters"]
    assert store.read_checkpoint("nothing-here") is None


# --- resume after a kill --------------------------------------------------------------------


class Interrupting:
    """A worker that trains normally, then acts as if Ctrl-C came during call number ``at``."""

    def __init__(self, at: int):
        self.at, self.calls = at, 0

    def __call__(self, task: Task) -> TrialResult:
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        return run_task(task)


@pytest.mark.parametrize("kill_at", [5, 11])  # mid rung 0, mid rung 1
def test_halving_resumes_after_a_kill_to_the_same_results(tmp_path: Path, kill_at: int) -> None:
    spec = load_config(write(tmp_path, HALVING))
    whole = run_sweep(spec, out=tmp_path / "whole", jobs=1, live=False, log=quiet)
    worker = Interrupting(kill_at)
    first = run_sweep(spec, out=tmp_path / "cut", jobs=1, live=False, log=quiet, worker=worker)
    assert first.interrupted
    rest = Recording()
    second = run_sweep(spec, out=tmp_path / "cut", jobs=1, live=False, log=quiet, worker=rest)
    assert not second.interrupted
    assert len(rest.starts) == 13 - (kill_at - 1)  # only what the first run had not finished
    assert summary(second.folder) == summary(whole.folder)
    for trial_id in summary(whole.folder):
        assert metrics(second.folder, trial_id) == metrics(whole.folder, trial_id)
    sweep_json = json.loads((second.folder / "sweep.json").read_text())
    assert sweep_json["finished_at"] is not None


@pytest.mark.slow
def test_halving_sigkilled_mid_sweep_resumes_to_the_same_results(tmp_path: Path) -> None:
    """The real command killed with SIGKILL, driver and workers at once, while rungs are being
    trained from checkpoints: whatever it left on disk, a re-run ends as a straight run."""
    import os
    import signal
    import time

    from helpers.cli import nnrun_process, wait_for_results

    config = write(tmp_path, HALVING, {"data.n_samples": 30000, "train.epochs": 27,
                                       "sweep.min_epochs": 3})
    cut = tmp_path / "cut"
    process = nnrun_process("sweep", config, "--out", cut, "--jobs", "2",
                            start_new_session=True)
    try:
        # rung 0 is decided once all nine have a result: rung 1 trains from checkpoints next
        wait_for_results(cut / "halving", 9, process)
        time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert json.loads((cut / "halving" / "sweep.json").read_text())["finished_at"] is None

    again = nnrun_process("sweep", config, "--out", cut, "--jobs", "2")
    _, stderr = again.communicate(timeout=240)
    assert again.returncode == 0, stderr
    assert "resuming" in stderr
    straight = nnrun_process("sweep", config, "--out", tmp_path / "straight", "--jobs", "2")
    _, stderr = straight.communicate(timeout=240)
    assert straight.returncode == 0, stderr
    whole = tmp_path / "straight" / "halving"
    assert summary(cut / "halving") == summary(whole)
    for trial_id in summary(whole):
        assert metrics(cut / "halving", trial_id) == metrics(whole, trial_id)


# --- bayes ----------------------------------------------------------------------------------


def proposals(spec: Any, batch_size: int) -> list[str]:
    source = BayesSource(spec, {}, batch_size=batch_size, metric="val_accuracy",
                         goal="maximize")
    tasks = drive_bayes(source)
    return [task.trial_id for task in tasks]


def drive_bayes(source: BayesSource) -> list[Task]:
    tasks = []
    while (task := source.pop()) is not None:
        lr = task.params["optimizer.lr"]
        source.tell(task, TrialRecord(task.trial_id, "ok",
                                      final={"val_accuracy": 1.0 - abs(np.log10(lr) + 2)}))
        tasks.append(task)
    return tasks


def test_tpe_proposals_are_reproducible_and_come_in_batches(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, BAYES, {"sweep.samples": 14}))
    first = proposals(spec, batch_size=2)
    assert len(first) == len(set(first)) == 14
    assert proposals(spec, batch_size=2) == first
    other_seed = load_config(write(tmp_path, BAYES, {"seed": 3, "sweep.samples": 14},
                                   "other.yaml"))
    assert proposals(other_seed, batch_size=2) != first
    # a batch is asked only once the batch before is fully told
    source = BayesSource(spec, {}, batch_size=3, metric="val_accuracy", goal="maximize")
    batch = [source.pop() for _ in range(3)]
    assert source.pop() is None
    for task in batch[:2]:
        source.tell(task, TrialRecord(task.trial_id, "ok", final={"val_accuracy": 0.5}))
        assert source.pop() is None
    source.tell(batch[2], TrialRecord(batch[2].trial_id, "ok", final={"val_accuracy": 0.5}))
    assert source.pop() is not None
    trial = batch[0]
    assert set(trial.params) == {"optimizer.lr", "model.hidden", "train.batch_size"}
    assert trial.params["model.hidden"] in ([4], [8, 8])
    assert 16 <= trial.params["train.batch_size"] <= 64
    assert trial.config["model"]["hidden"] == trial.params["model.hidden"]


def test_tpe_learns_from_the_results(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, BAYES, {"sweep.samples": 40}))
    tasks = drive_bayes(BayesSource(spec, {}, batch_size=2, metric="val_accuracy",
                                    goal="maximize"))
    distance = [abs(np.log10(task.params["optimizer.lr"]) + 2) for task in tasks]
    # the first 10 are TPE's random start-up trials; later ones crowd around lr = 1e-2
    assert np.median(distance[-10:]) < np.median(distance[:10]) / 2


def test_bayes_sweep_resumes_after_a_kill_to_the_same_trials(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, BAYES))
    whole = run_sweep(spec, out=tmp_path / "whole", jobs=2, live=False, log=quiet)
    assert sum(whole.counts.values()) == 8
    first = run_sweep(spec, out=tmp_path / "cut", jobs=1, live=False, log=quiet,
                      worker=Interrupting(5))
    assert first.interrupted
    second = run_sweep(spec, out=tmp_path / "cut", jobs=1, live=False, log=quiet)
    third = run_sweep(spec, out=tmp_path / "straight", jobs=1, live=False, log=quiet)
    assert summary(second.folder) == summary(third.folder)
    assert second.resumed == 4
    sweep_json = json.loads((second.folder / "sweep.json").read_text())
    assert sweep_json["trials"] == list(summary(third.folder))
    # a re-run with another --jobs keeps the batch size of the results already there
    fourth = run_sweep(spec, out=tmp_path / "straight", jobs=2, live=False, log=quiet)
    assert fourth.resumed == 8 and summary(fourth.folder) == summary(third.folder)


def test_bayes_on_a_space_smaller_than_its_samples_counts_each_configuration_once(
        tmp_path: Path) -> None:
    # two configurations, six proposals: TPE proposes them again, and they are not trained again
    changes = {"sweep.parameters": {"optimizer.lr": [0.01, 0.1]}, "sweep.samples": 6}
    spec = load_config(write(tmp_path, BAYES, changes))
    outcome = run_sweep(spec, out=tmp_path / "out", jobs=1, live=False, log=quiet)
    assert outcome.n_trials == 2 and sum(outcome.counts.values()) == 2
    assert outcome.complete
    sweep_json = json.loads((outcome.folder / "sweep.json").read_text())
    assert len(sweep_json["trials"]) == 2 and sweep_json["finished_at"] is not None
    again = run_sweep(spec, out=tmp_path / "out", jobs=1, live=False, log=quiet)
    assert (again.n_trials, again.resumed) == (2, 2)


def test_bayes_with_halving_as_pruner_stops_poor_trials(tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, BAYES, {"train.epochs": 9, "sweep.early_stop": "halving",
                                               "sweep.min_epochs": 1}))
    outcome = run_sweep(spec, out=tmp_path / "p", jobs=2, live=False, log=quiet)
    rows = summary(outcome.folder)
    assert len(rows) == 8
    assert outcome.counts["stopped"] >= 4 and outcome.counts["ok"] >= 1
    assert {int(r["epochs_run"]) for r in rows.values() if r["status"] == "stopped"} <= {1, 3}


def test_halving_as_pruner_is_only_for_bayes(tmp_path: Path) -> None:
    changes = {"sweep.method": "random", "sweep.samples": 3, "sweep.early_stop": "halving"}
    with pytest.raises(ConfigError, match="early_stop"):
        load_config(write(tmp_path, HALVING, changes))


def test_bayes_without_optuna_names_the_extra(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)
    spec = load_config(write(tmp_path, BAYES))
    with pytest.raises(NnrunError, match=r"nnrun\[bayes\]"):
        run_sweep(spec, out=tmp_path / "o", jobs=1, live=False, log=quiet)


class FailingOnce:
    """The halving worker, failing the first task of rung 1 it sees."""

    def __init__(self) -> None:
        self.failed: str | None = None

    def __call__(self, task: Task) -> TrialResult:
        if task.mark.rung == 1 and self.failed is None:
            self.failed = task.trial_id
            return failed_result(task, "boom")
        return run_task(task)


def test_a_trial_that_failed_in_an_undecided_rung_is_retried_from_its_checkpoint(
        tmp_path: Path) -> None:
    spec = load_config(write(tmp_path, HALVING, {
        "sweep.parameters.optimizer.lr": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0], "train.epochs": 3}))
    failing = FailingOnce()
    first = run_sweep(spec, out=tmp_path / "f", jobs=1, live=False, log=quiet, worker=failing)
    assert first.counts["failed"] == 1
    record = json.loads((first.folder / "trials" / failing.failed / "result.json").read_text())
    assert record["rung"] == 1 and "0" in record["rung_values"]
    assert (first.folder / "trials" / failing.failed / "checkpoint.npz").exists()
    retry = Recording()
    second = run_sweep(spec, out=tmp_path / "f", jobs=1, live=False, log=quiet, worker=retry)
    assert retry.starts == [(1, 3)] and second.counts.get("failed", 0) == 0

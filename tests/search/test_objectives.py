"""Several objectives in the search: halving promotes by non-dominated rank then crowding
distance; bayes asks Optuna's multi-objective TPE (directions=) and tells it each vector."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.configs import write_config

from nnrun.config import load_config
from nnrun.driver.sweep import run_sweep
from nnrun.results.pareto import promotion_order
from nnrun.results.record import TrialRecord
from nnrun.search import BayesSource, HalvingSource, Trial

GOALS = ["maximize", "minimize"]
METRICS = ["val_accuracy", "n_parameters"]


def fake_trials(n: int, repeats: int = 1) -> list[Trial]:
    config = {"seed": 0, "train": {"epochs": 9}}
    return [Trial(id=f"c{i}r{r}", seed=r, repeat=r, params={"x": i}, config=config)
            for i in range(n) for r in range(repeats)]


def drive(source, point_of) -> list:
    done = []
    while (task := source.pop()) is not None:
        accuracy, size = point_of(task)
        last = task.continuation.until_epoch == 9
        source.tell(task, TrialRecord(task.trial_id, "ok" if last else "stopped",
                                      final={"val_accuracy": accuracy, "n_parameters": size}))
        done.append(task)
    return done


def test_halving_keeps_the_front_by_rank_then_crowding_distance() -> None:
    # 9 configurations; the front is 0..4 (accuracy up, size up); 5..8 are dominated
    points = [(0.70, 10), (0.80, 40), (0.85, 80), (0.90, 200), (0.95, 900),
              (0.60, 50), (0.79, 90), (0.84, 300), (0.50, 1000)]
    source = HalvingSource(fake_trials(9), {}, rungs=[1, 3, 9], reduction_factor=3,
                           metric=METRICS, goal=GOALS)
    tasks = drive(source, lambda task: points[task.params["x"]])
    rung1 = sorted(t.params["x"] for t in tasks if t.mark.rung == 1)
    # keep 3 of 9: the two ends of the front (infinite crowding), then the largest crowding
    order = promotion_order(points, GOALS)
    assert rung1 == sorted(order[:3])
    assert {0, 4} <= set(rung1) and not set(rung1) & {5, 6, 7, 8}
    # the rung values are stored as lists, in the order of `metric:`
    promoted = next(t for t in tasks if t.mark.rung == 1)
    assert promoted.mark.rung_values == {"0": list(points[promoted.params["x"]])}
    # the same values promote the same configurations again
    again = HalvingSource(fake_trials(9), {}, rungs=[1, 3, 9], reduction_factor=3,
                          metric=METRICS, goal=GOALS)
    assert [t.trial_id for t in drive(again, lambda task: points[task.params["x"]])] == \
        [t.trial_id for t in tasks]


BAYES = """\
name: pareto-bayes
seed: 2
data: {dataset: moons, n_samples: 120, noise: 0.2}
model: {hidden: [4], activation: tanh}
optimizer: {name: adam, lr: 0.01}
train: {batch_size: 32, epochs: 2, dtype: float32}
sweep:
  method: bayes
  samples: 14
  parameters:
    optimizer.lr: {log_uniform: [1.0e-3, 1.0e-1]}
    model.hidden: [[2], [4], [8], [16], [32]]
metric: [val_accuracy, n_parameters]
"""


def test_bayes_uses_a_multi_objective_study_and_tells_it_each_vector(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    spec = load_config(write_config(tmp_path / "b.yaml", BAYES))
    source = BayesSource(spec, {}, batch_size=2, metric=METRICS, goal=GOALS)
    assert [d.name for d in source.study.directions] == ["MAXIMIZE", "MINIMIZE"]
    told = []
    while (task := source.pop()) is not None:
        width = task.params["model.hidden"][0]
        point = (1.0 - 1.0 / width, 3 * width + 2)
        told.append(point)
        source.tell(task, TrialRecord(task.trial_id, "ok", final=dict(zip(METRICS, point,
                                                                         strict=True))))
    assert source.complete and len(told) == 14
    values = [tuple(t.values) for t in source.study.trials]
    assert sorted(values) == sorted(told)
    assert len(source.study.best_trials) >= 1


def test_a_bayes_sweep_with_two_objectives_and_halving_runs(tmp_path: Path) -> None:
    pytest.importorskip("optuna")
    path = write_config(tmp_path / "b.yaml", BAYES, {
        "sweep.samples": 4, "sweep.early_stop": "halving", "sweep.min_epochs": 1,
        "train.epochs": 3})
    outcome = run_sweep(load_config(path), out=tmp_path / "out", jobs=2, live=False,
                        log=lambda message: None)
    assert outcome.counts.get("failed", 0) == 0 and sum(outcome.counts.values()) == 4


HALVING = """\
name: pareto-halving
seed: 1
data: {dataset: moons, n_samples: 120, noise: 0.2}
model: {hidden: [4], activation: tanh}
optimizer: {name: adam, lr: 0.01, schedule: cosine}
train: {batch_size: 32, epochs: 9, dtype: float32}
sweep:
  method: halving
  min_epochs: 1
  parameters:
    model.hidden: [[1], [2], [4], [8], [16], [32]]
    optimizer.lr: [0.003, 0.03]
metric: [val_accuracy, n_parameters]
"""


def test_a_halving_sweep_with_two_objectives_resumes_with_nothing_to_redo(
        tmp_path: Path) -> None:
    import csv
    import json

    spec = load_config(write_config(tmp_path / "h.yaml", HALVING))
    first = run_sweep(spec, out=tmp_path / "out", jobs=2, live=False, log=lambda m: None)
    assert first.counts["ok"] >= 1 and first.failed == 0
    folder = first.folder
    rows = list(csv.DictReader((folder / "summary.csv").open()))
    promoted = [json.loads((folder / "trials" / r["trial"] / "result.json").read_text())
                for r in rows if int(r["epochs_run"]) > 1]
    # the rung values are [val_accuracy, n_parameters] at each rung passed
    assert promoted and all(len(rec["rung_values"]["0"]) == 2 for rec in promoted)
    assert all(rec["rung_values"]["0"][1] == rec["final"]["n_parameters"] for rec in promoted)
    again = run_sweep(spec, out=tmp_path / "out", jobs=2, live=False, log=lambda m: None)
    assert again.resumed == len(rows) and again.counts == first.counts

"""The order a sweep's trials start in: on several workers, grid and random start the longest
first (by nnrun.model.training_cost), so that no worker idles at the end waiting for one long
trial started late; with a budget, or on one worker, they go in the order of --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.configs import SMALL, spec_of, write_config

import nnrun.driver.sweep as sweep_module
from nnrun.config import load_config
from nnrun.data import load_dataset
from nnrun.driver import run_sweep
from nnrun.driver.budget import Budget
from nnrun.driver.preflight import preflight
from nnrun.execution.local import iter_inline
from nnrun.model import training_cost
from nnrun.results.record import TrialRecord
from nnrun.search import FixedSource, expand

# Two widths and two depths: the trials' costs differ by far more than the estimate's error.
SHAPES = """\
name: shapes
seed: 0
data:
  dataset: moons
  n_samples: 200
model:
  hidden: [4]
  activation: relu
loss: cross_entropy
optimizer:
  name: sgd
  lr: 0.1
train:
  batch_size: 20
  epochs: 2
sweep:
  method: grid
  parameters:
    model.hidden: [[4], [64, 64], [16], [64]]
"""


def config_of(spec, index: int = 0) -> dict:
    return expand(spec)[index].config


def test_the_estimate_grows_with_width_depth_epochs_and_the_cost_of_the_activation() -> None:
    spec = spec_of(SMALL)
    dataset = load_dataset(config_of(spec)["data"], seed=0)
    base = config_of(spec)

    def cost(**changes) -> float:
        config = {**base, "model": dict(base["model"]), "train": dict(base["train"])}
        for dotted, value in changes.items():
            section, key = dotted.split("__")
            config[section][key] = value
        return training_cost(config, dataset)

    assert cost(model__hidden=[8]) < cost(model__hidden=[64]) < cost(model__hidden=[64, 64])
    assert cost(train__epochs=20) == pytest.approx(2 * cost(train__epochs=10))
    assert cost(model__activation="relu") < cost(model__activation="tanh")
    # a step has a fixed cost: the same samples in smaller batches cost more
    assert cost(train__batch_size=5) > cost(train__batch_size=50)


def test_a_fixed_source_hands_out_the_longest_first_and_keeps_the_summary_order() -> None:
    trials = expand(spec_of(SHAPES))
    costs = {trial.id: cost for trial, cost in zip(trials, [1.0, 9.0, 3.0, 3.0], strict=True)}
    source = FixedSource(trials, {}, None, longest_first=costs)
    popped = [source.pop().trial_id for _ in trials]
    # ties (3.0, 3.0) keep the trials' order
    assert popped == [trials[1].id, trials[2].id, trials[3].id, trials[0].id]
    assert source.order == [trial.id for trial in trials]  # summary.csv's order
    in_order = FixedSource(trials, {}, None)
    assert [in_order.pop().trial_id for _ in trials] == [trial.id for trial in trials]


def test_a_finished_trial_is_not_handed_out_whatever_its_cost() -> None:
    trials = expand(spec_of(SHAPES))
    records = {trials[1].id: TrialRecord(trials[1].id, "ok")}
    costs = {trial.id: float(index) for index, trial in enumerate(trials)}
    source = FixedSource(trials, records, None, longest_first=costs)
    assert [source.pop().trial_id for _ in range(3)] == [trials[3].id, trials[2].id,
                                                         trials[0].id]
    assert source.pop() is None


def test_preflight_estimates_every_trial_and_the_widest_costs_most(tmp_path: Path) -> None:
    plan = preflight(load_config(write_config(tmp_path / "shapes.yaml", SHAPES)))
    assert set(plan.costs) == {trial.id for trial in plan.trials}
    hidden = {trial.id: trial.config["model"]["hidden"] for trial in plan.trials}
    assert [hidden[i] for i in sorted(plan.costs, key=plan.costs.get, reverse=True)] == [
        [64, 64], [64], [16], [4]]


def _started(monkeypatch, tmp_path: Path, jobs: int, budget: Budget | None) -> list[list[int]]:
    """The model.hidden of each trial in the order the sweep started them (run in this
    process, whatever ``jobs`` says)."""
    started: list[list[int]] = []

    def recording(source, *, jobs, backend, scheduler, worker, log):
        def noting(task):
            started.append(task.config["model"]["hidden"])
            return worker(task)
        return iter_inline(source, noting)

    monkeypatch.setattr(sweep_module, "iter_results", recording)
    monkeypatch.setattr(sweep_module, "start_workers", lambda jobs: None)
    config = write_config(tmp_path / "shapes.yaml", SHAPES)
    run_sweep(load_config(config), out=tmp_path / f"out-{jobs}-{budget is None}", jobs=jobs,
              live=False, log=lambda message: None, budget=budget)
    return started


def test_on_several_workers_the_longest_trials_start_first(monkeypatch, tmp_path) -> None:
    assert _started(monkeypatch, tmp_path, jobs=2, budget=None) == [
        [64, 64], [64], [16], [4]]


@pytest.mark.parametrize(("jobs", "budget"), [
    (1, None), (2, Budget(max_trials=3)), (2, Budget(timeout_s=600.0))])
def test_on_one_worker_or_with_a_budget_trials_start_in_the_dry_run_order(
        monkeypatch, tmp_path, jobs, budget) -> None:
    started = _started(monkeypatch, tmp_path, jobs=jobs, budget=budget)
    assert started == [[4], [64, 64], [16], [64]][:len(started)]
    assert len(started) == (3 if budget is not None and budget.max_trials else 4)


def test_workers_are_started_early_only_when_there_is_something_to_train(monkeypatch,
                                                                        tmp_path) -> None:
    started: list[int] = []
    monkeypatch.setattr(sweep_module, "start_workers", started.append)
    monkeypatch.setattr(sweep_module, "iter_results",
                        lambda source, *, worker, **options: iter_inline(source, worker))
    spec = load_config(write_config(tmp_path / "shapes.yaml", SHAPES))
    # a pool for 2 jobs; the same again: all finished, nothing to start; 1 job: no pool
    for jobs, resume in ((2, True), (2, True), (1, False)):
        run_sweep(spec, out=tmp_path / "out", jobs=jobs, live=False, log=lambda message: None,
                  resume=resume)
    assert started == [2]

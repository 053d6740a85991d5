"""Sweeps the trackers' tests watch or export: small, trained in this process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers.configs import SMALL, config_text, spec_of

from nnrun.driver.sweep import run_sweep
from nnrun.execution import Task, TrialResult, run_task
from nnrun.results.record import TrialRecord

# successive halving over a continuous and a list-valued parameter: trials stopped at a rung,
# one trained on to the last
HALVING = {"sweep.method": "halving", "sweep.samples": 6, "sweep.min_epochs": 1,
           "train.epochs": 4,
           "sweep.parameters": {"optimizer.lr": {"log_uniform": [0.01, 0.3]},
                                "model.hidden": [[4], [8, 8]]}}
BAYES = {"sweep.method": "bayes", "sweep.samples": 4,
         "sweep.parameters": {"optimizer.lr": {"uniform": [0.01, 0.3]},
                              "train.batch_size": {"int_uniform": [8, 64]}}}


def run(folder: Path, changes: dict[str, Any] | None = None, **options: Any) -> Path:
    """Run the small sweep (with ``changes``) in this process, into ``folder``/results; its
    results folder."""
    spec = spec_of(config_text(SMALL, changes))
    run_sweep(spec, out=folder / "results", jobs=1, live=False, log=lambda message: None,
              **options)
    return folder / "results" / spec.name


@pytest.fixture(scope="module")
def grid_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small grid sweep (2 activations x 2 learning rates), finished, with no journal."""
    return run(tmp_path_factory.mktemp("grid"))


def failing_relu(task: Task) -> TrialResult:
    """A worker that fails the trials with relu and trains the others."""
    if task.params.get("model.activation") == "relu":
        return TrialResult(TrialRecord(trial=task.trial_id, status="failed",
                                       params=task.params, error="ValueError: on purpose"))
    return run_task(task)

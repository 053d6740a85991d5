"""``nnrun refit``: a trial's configuration retrained on the training and validation rows
together, for the trial's best number of epochs, as scikit-learn's ``refit`` does after a
search. The test rows stay out of it (the same rows as in the sweep), and its test score is
reported. The model goes to RESULTS/refit/<trial>/ with a trial folder's files, so
``nnrun predict``, ``nnrun export`` and ``nnrun.load_model`` take that folder.

The network starts from the trial's seed and its learning-rate schedule keeps the trial's
horizon (``train.epochs``), stopped at the best epoch: the refit sees the learning rates the
trial saw up to the epoch it was best at. Early stopping is off, as there is no validation
split left to watch.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.best import find_trial
from nnrun.results.reader import ResultsReader
from nnrun.results.record import TrialRecord
from nnrun.results.store import ResultsStore
from nnrun.vocabulary import FAILED, OK


def _trial_to_refit(reader: ResultsReader, trial: str) -> tuple[str, TrialRecord, dict]:
    trial_id = find_trial(reader, trial)
    record, config = reader.record(trial_id), reader.config(trial_id)
    if record is None or config is None:
        raise NnrunError(f"{reader.layout.trial_dir(trial_id)}: the trial has not finished")
    if record.status == FAILED:
        raise NnrunError(f"{reader.folder}: trial {trial_id} failed; there is nothing to refit")
    return trial_id, record, {k: v for k, v in config.items() if k not in ("trial", "params")}


def refit_trial(results: str | Path, trial: str = "best") -> str:
    """Refit a trial of the sweep in ``results`` (see the module docstring); returns what to
    tell the user."""
    from nnrun.data import load_dataset
    from nnrun.execution.worker import build_trainer, final_metrics
    from nnrun.model import build_network
    from nnrun.model.trained import describe, scaler_arrays

    reader = ResultsReader(Path(results))
    meta = reader.meta()
    trial_id, record, config = _trial_to_refit(reader, trial)
    config_path = meta.get("config_path")
    base_dir = Path(config_path).parent if config_path else None
    data = config["data"]
    if data.get("folds") is not None:  # k-fold: fold null is every non-test row (data._folds)
        dataset = load_dataset({**data, "fold": None}, seed=int(data.get("seed") or 0),
                               base_dir=base_dir)
    else:
        dataset = load_dataset(data, seed=int(data.get("seed") or 0), base_dir=base_dir,
                               merge_validation=True)
    epochs = int(record.best_epoch or record.epochs_run)
    trained = copy.deepcopy(config)
    trained["train"]["early_stopping"] = None
    started = time.perf_counter()
    net = build_network(trained, dataset)
    trainer = build_trainer(trained, dataset, net)
    trainer.run(until_epoch=epochs)
    train_s = time.perf_counter() - started
    refit_info = {"trial": trial_id, "epochs": epochs, "train_samples": len(dataset.X_train)}
    final = final_metrics(net, dataset)
    refit_record = TrialRecord(trial=trial_id, status=OK, seed=record.seed, params=record.params,
                               final=final, epochs_run=epochs, wall_s=train_s, train_s=train_s,
                               task=dataset.task, sizes=list(net.sizes))
    folder = ResultsStore(reader.folder).write_refit(
        {**config, "refit": refit_info}, refit_record, history=trainer.history,
        weights=list(net.weights), biases=list(net.biases),
        model={**describe(config, dataset, net, trial_id), "refit": refit_info},
        scaler=scaler_arrays(dataset))
    return _report(trial_id, record, final, refit_info, folder, dataset.task)


def _report(trial_id: str, record: TrialRecord, final: dict[str, Any],
            refit: dict[str, Any], folder: Path, task: str) -> str:
    metric = "test_accuracy" if task == "classification" else "test_loss"
    before, after = record.final.get(metric), final.get(metric)

    def shown(value: float | None) -> str:
        return "-" if value is None else f"{value:.4f}"

    return (f"refit trial {trial_id} on {refit['train_samples']} training + validation samples "
            f"for {refit['epochs']} epochs: {metric} {shown(after)} (the trial's: "
            f"{shown(before)})\nsaved to {folder}; use it with `nnrun predict {folder} DATA`")

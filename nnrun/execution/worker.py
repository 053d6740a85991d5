"""One trial, worker side: build the data set and the network from a resolved config, train, return.

A worker never touches the results folder: :func:`run_task` returns a
:class:`~nnrun.execution.base.TrialResult` (the record, the metrics per epoch, the final
weights) and the driver writes it. The data set is built once per worker process and cached
(:mod:`nnrun.data.cache`), so a worker that runs many trials pays for it once.
"""

from __future__ import annotations

import math
import time
import traceback
from typing import TYPE_CHECKING, Any

import numpy as np

from nnrun.data.cache import get_dataset
from nnrun.errors import NnrunError
from nnrun.execution.base import Continuation, Task, TrialResult
from nnrun.model import build_network, trial_seeds
from nnrun.model.trained import describe, scaler_arrays
from nnrun.results.record import TrialRecord
from nnrun.vocabulary import DIVERGED, FAILED, STOPPED

if TYPE_CHECKING:
    from nnrun.core import Network, Trainer
    from nnrun.data import Dataset

# The trainer's word for a trial that has epochs left: stopped at a rung, it may be continued.
_RUNNING = "running"

_BLAS_LIMITED = False


def _limit_blas_threads() -> None:
    """Hold this process to one BLAS thread, once: trials run side by side, one per core."""
    global _BLAS_LIMITED
    if not _BLAS_LIMITED:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
        _BLAS_LIMITED = True


def build_trainer(config: dict[str, Any], dataset: Dataset, net: Network) -> Trainer:
    """The optimizer, schedule and training loop a trial config describes."""
    from nnrun.core import Trainer, make_optimizer, make_schedule

    opt_cfg = config["optimizer"]
    train_cfg = config["train"]
    optimizer = make_optimizer(opt_cfg["name"], lr=opt_cfg["lr"],
                               weight_decay=opt_cfg["weight_decay"],
                               momentum=opt_cfg.get("momentum"),
                               betas=tuple(opt_cfg["betas"]), eps=opt_cfg["eps"],
                               alpha=opt_cfg["alpha"])
    schedule = make_schedule(opt_cfg["schedule"], opt_cfg["lr"], train_cfg["epochs"],
                             step_size=opt_cfg.get("step_size"), gamma=opt_cfg.get("gamma"),
                             min_lr=opt_cfg.get("min_lr") or 0.0)
    _, shuffle_seed = trial_seeds(int(config["seed"]))
    return Trainer(net, optimizer, dataset.X_train, dataset.Y_train, dataset.X_val,
                   dataset.Y_val, batch_size=train_cfg["batch_size"],
                   epochs=train_cfg["epochs"], schedule=schedule,
                   early_stopping=train_cfg.get("early_stopping"), seed=shuffle_seed)


def _finite_or_none(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def final_metrics(net: Network, dataset: Dataset) -> dict[str, float | None]:
    """Loss (and accuracy for classification) on the train, validation and test parts."""
    metrics: dict[str, float | None] = {}
    parts = {"train": (dataset.X_train, dataset.Y_train), "val": (dataset.X_val, dataset.Y_val),
             "test": (dataset.X_test, dataset.Y_test)}
    with np.errstate(all="ignore"):
        for part, (X, Y) in parts.items():
            if len(X) == 0:
                metrics[f"{part}_loss"] = None
                if dataset.task == "classification":
                    metrics[f"{part}_accuracy"] = None
                continue
            evaluation = net.evaluate(X, Y)
            metrics[f"{part}_loss"] = _finite_or_none(evaluation["loss"])
            if dataset.task == "classification":
                metrics[f"{part}_accuracy"] = _finite_or_none(evaluation["accuracy"])
    return metrics


def size_and_time(net: Network, train_s: float) -> dict[str, float]:
    """n_parameters, the weights and biases the network trains (sum over layers of
    m_l (m_{l-1} + 1)), and train_seconds, the time its training took (every piece of a trial
    continued rung by rung), to the 0.1 ms."""
    return {"n_parameters": int(sum(w.size + b.size for w, b in zip(net.weights, net.biases,
                                                                       strict=True))),
            "train_seconds": round(train_s, 4)}


def run_task(task: Task) -> TrialResult:
    """The worker: train the task's trial and return its result; never raises for a trial's own
    failure (its record then says ``failed``, with the error text and traceback).

    Without a ``task.continuation`` the trial trains from scratch to ``train.epochs``. With one
    (successive halving) it carries on from the checkpoint if there is one, stops at
    ``until_epoch`` (status ``stopped`` while epochs are left), returns the trainer's state when
    asked to keep it, and counts the wall time of the earlier pieces in its own.
    """
    started = time.perf_counter()
    _limit_blas_threads()
    continuation = task.continuation
    try:
        result = _train(task, continuation)
    except Exception as error:  # a trial's own failure is recorded, and the sweep goes on
        message = (str(error) if isinstance(error, NnrunError)
                   else f"{type(error).__name__}: {error}")
        result = TrialResult(_record(task, status=FAILED, error=message,
                                     traceback=traceback.format_exc()))
    result.record.wall_s = time.perf_counter() - started
    if continuation is not None:
        result.record.wall_s += continuation.wall_s_before
    return result


def _record(task: Task, /, **fields: Any) -> TrialRecord:
    return TrialRecord(trial=task.trial_id, seed=task.config.get("seed"),
                       params=task.params or {}, **fields)


def _train(task: Task, continuation: Continuation | None) -> TrialResult:
    """Build, train (from the checkpoint, up to the rung) and measure the task's trial."""
    config = task.config
    dataset = get_dataset(config["data"], task.base_dir, config["train"]["dtype"])
    net = build_network(config, dataset)
    trainer = build_trainer(config, dataset, net)
    if continuation is not None and continuation.checkpoint is not None:
        trainer.load_state_dict(continuation.checkpoint)
    train_started = time.perf_counter()
    status = trainer.run(until_epoch=continuation.until_epoch if continuation else None)
    train_s = time.perf_counter() - train_started
    if continuation is not None:
        train_s += continuation.train_s_before
    keep_state = continuation is not None and continuation.keep_state and status == _RUNNING
    state = trainer.state_dict() if keep_state else None
    error = None
    if status == DIVERGED:
        error = (f"diverged in epoch {trainer.epoch}: the loss or the weights became infinite "
                 f"or NaN (a smaller optimizer.lr usually helps)")
    record = _record(task, status=STOPPED if status == _RUNNING else status, error=error,
                     task=dataset.task, sizes=list(net.sizes),
                     final={**final_metrics(net, dataset), **size_and_time(net, train_s)},
                     best_epoch=int(trainer.best_epoch) if trainer.best_epoch else None,
                     epochs_run=int(trainer.epoch), train_s=train_s)
    history = [{k: _finite_or_none(v) if k != "epoch" else int(v) for k, v in row.items()}
               for row in trainer.history]
    return TrialResult(record, history=history,
                       weights=[np.array(w) for w in net.weights],
                       biases=[np.array(b) for b in net.biases],
                       state=state, model=describe(config, dataset, net, task.trial_id),
                       scaler=scaler_arrays(dataset))

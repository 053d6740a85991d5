"""One trial, worker side: build the data set and the network from a resolved config, train, return.

A worker never touches the results folder: :func:`train_trial` returns a plain dict (metrics per
epoch, final metrics, final weights) and the driver writes it. The data set is built once per
worker process and cached (:mod:`nnrun.data.cache`), so a worker that runs many trials pays for
it once.
"""

from __future__ import annotations

import math
import time
import traceback
from typing import Any

import numpy as np

from nnrun.data.cache import get_dataset
from nnrun.errors import NnrunError
from nnrun.execution.base import Task
from nnrun.model import build_network, trial_seeds

_BLAS_LIMITED = False


def _limit_blas_threads() -> None:
    """Hold this process to one BLAS thread, once: trials run side by side, one per core."""
    global _BLAS_LIMITED
    if not _BLAS_LIMITED:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
        _BLAS_LIMITED = True


def build_trainer(config: dict[str, Any], dataset, net):
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


def final_metrics(net, dataset) -> dict[str, float | None]:
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


def train_trial(trial_id: str, config: dict[str, Any], params: dict[str, Any] | None = None,
                base_dir: str | None = None, *, until_epoch: int | None = None,
                state: dict[str, Any] | None = None, keep_state: bool = False
                ) -> dict[str, Any]:
    """Train one trial and return its result; never raises for a trial's own failure.

    The result holds ``status`` (ok | diverged | failed), ``history`` (one dict per epoch),
    ``final`` metrics, ``weights``/``biases`` (lists of arrays), timings and, for a failed
    trial, the error text and traceback.

    Successive halving trains a trial in pieces: ``state`` (a ``Trainer.state_dict()``) carries
    on from where an earlier piece stopped, ``until_epoch`` stops before ``train.epochs`` (status
    ``stopped``), and ``keep_state`` returns the trainer's state as ``result["state"]`` when it
    can go on. The learning-rate schedule always spans ``train.epochs``, so the pieces end
    bit-identical to training straight through.
    """
    started = time.perf_counter()
    _limit_blas_threads()
    result: dict[str, Any] = {"trial": trial_id, "seed": config.get("seed"),
                              "params": params or {}, "error": None, "traceback": None}
    try:
        dataset = get_dataset(config["data"], base_dir, config["train"]["dtype"])
        net = build_network(config, dataset)
        trainer = build_trainer(config, dataset, net)
        if state is not None:
            trainer.load_state_dict(state)
        train_started = time.perf_counter()
        status = trainer.run(until_epoch=until_epoch)
        train_s = time.perf_counter() - train_started
        if keep_state and status == "running":
            result["state"] = trainer.state_dict()
        result.update(
            status={"running": "stopped"}.get(status, status),
            task=dataset.task,
            sizes=list(net.sizes),
            history=[{k: _finite_or_none(v) if k != "epoch" else int(v) for k, v in row.items()}
                     for row in trainer.history],
            final=final_metrics(net, dataset),
            best_epoch=int(trainer.best_epoch) if trainer.best_epoch else None,
            epochs_run=int(trainer.epoch),
            train_s=train_s,
            weights=[np.array(w) for w in net.weights],
            biases=[np.array(b) for b in net.biases],
        )
        if status == "diverged":
            result["error"] = (f"diverged in epoch {trainer.epoch}: the loss or the weights "
                               f"became infinite or NaN (a smaller optimizer.lr usually helps)")
    except Exception as error:  # a trial's own failure is recorded, and the sweep goes on
        message = (str(error) if isinstance(error, NnrunError)
                   else f"{type(error).__name__}: {error}")
        result.update(status="failed", error=message, traceback=traceback.format_exc(),
                      history=[], final={}, best_epoch=None, epochs_run=0, train_s=0.0)
    result["wall_s"] = time.perf_counter() - started
    return result


def continue_trial(task: Any) -> dict[str, Any]:
    """The worker of halving and bayes sweeps: train ``task`` (a
    :class:`nnrun.execution.base.Task`) up to ``task.extra["until_epoch"]``, from
    ``task.extra["checkpoint"]`` if there is one."""
    extra = task.extra
    result = train_trial(task.trial_id, task.config, task.params, task.base_dir,
                         until_epoch=extra.get("until_epoch"), state=extra.get("checkpoint"),
                         keep_state=bool(extra.get("keep_state")))
    result["wall_s"] += float(extra.get("wall_s_before") or 0.0)
    return result


def run_task(task: Task) -> dict[str, Any]:
    """The default worker function: train the task's trial (see :func:`train_trial`)."""
    return train_trial(task.trial_id, task.config, task.params, task.base_dir)

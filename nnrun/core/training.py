"""Mini-batch training: epochs, shuffling, metrics, early stopping, divergence, resume."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nnrun.core.activations import constant
from nnrun.core.network import Network, predicted_labels
from nnrun.core.optimizers import Optimizer

# How ``Network.parameters`` lays out the weights (W[l]^T, then b[l], layer after layer): a
# checkpoint of another layout would load without an error into wrong weights.
PARAMETER_LAYOUT = "W^T,b per layer"
# A training set larger than this is not copied in shuffled order each epoch: each
# mini-batch's rows are gathered in turn into a small buffer instead. That saves a copy of
# the whole set per trial, and on large sets it is as fast or slightly faster (the batch is
# still in cache when its products read it); below it, the single gather of the whole set
# costs fewer calls. The batches are the same either way.
GATHER_BYTES = 8 * 2**20


class Trainer:
    """Trains ``net`` with ``opt`` on (X_train, Y_train) for ``epochs`` epochs.

    Every epoch reshuffles the training set with the trainer's own generator,
    ``np.random.default_rng(seed)``, and walks it in mini-batches of
    ``batch_size`` (the last, smaller batch is kept). ``schedule``, if given,
    sets ``opt.lr`` at the start of each epoch from the 0-based epoch index.

    ``early_stopping`` is None or ``dict(patience=int, monitor="val_loss",
    min_delta=0.0)``: training stops once the monitored metric (maximised if its
    name ends in ``accuracy``, minimised otherwise) has not improved by more
    than ``min_delta`` for ``patience`` epochs, and the weights of the best epoch
    are put back when training ends.

    A non-finite cost or weights end training with status "diverged".
    ``state_dict``/``load_state_dict`` capture everything, so training in
    pieces with ``run(until_epoch=...)``, even across a fresh Trainer, gives
    the same numbers bit for bit as training straight through.
    """

    def __init__(
        self,
        net: Network,
        opt: Optimizer,
        X_train: np.ndarray,
        Y_train: np.ndarray,
        X_val: np.ndarray | None = None,
        Y_val: np.ndarray | None = None,
        *,
        batch_size: int,
        epochs: int,
        schedule: Callable[[int], float] | None = None,
        early_stopping: dict[str, Any] | None = None,
        seed: int = 0,
    ) -> None:
        if batch_size < 1 or epochs < 0:
            raise ValueError(f"need batch_size >= 1 and epochs >= 0, got {batch_size}, {epochs}")
        if (X_val is None) != (Y_val is None):
            raise ValueError("give both X_val and Y_val, or neither")
        if X_val is not None and len(X_val) == 0:  # an empty validation split: none at all
            X_val = Y_val = None
        self.net, self.opt = net, opt
        # cast once: every batch is then a slice in the network's dtype
        self.X_train, self.Y_train = (np.ascontiguousarray(a) for a in net._check(X_train, Y_train))
        self.X_val, self.Y_val = (None, None) if X_val is None else net._check(X_val, Y_val)
        self.batch_size, self.epochs, self.schedule, self.seed = batch_size, epochs, schedule, seed
        self.classification = net.task == "classification"
        self.labels = predicted_labels(self.Y_train) if self.classification else None

        self.monitor, self.patience, self.min_delta = None, 0, 0.0
        if early_stopping is not None:
            options = dict(early_stopping)
            unknown = set(options) - {"patience", "monitor", "min_delta"}
            if unknown or "patience" not in options:
                raise ValueError(
                    "early_stopping takes patience (required), monitor and min_delta; "
                    f"got {options}"
                )
            self.monitor = options.get("monitor", "val_loss")
            self.patience = int(options["patience"])
            self.min_delta = float(options.get("min_delta", 0.0))
            allowed = ["train_loss", "val_loss"]
            if self.classification:
                allowed += ["train_accuracy", "val_accuracy"]
            if self.X_val is None:
                allowed = [name for name in allowed if name.startswith("train")]
            if self.monitor not in allowed:
                raise ValueError(
                    f"early_stopping cannot monitor {self.monitor!r} here; choose one of "
                    f"{', '.join(allowed)}"
                )

        self.rng = np.random.default_rng(seed)
        self.epoch = 0
        self.status = "running"
        self.stopped_early = False
        self.history: list[dict[str, float]] = []
        self.best_value: float | None = None
        self.best_epoch_monitored = 0
        self.epochs_without_improvement = 0
        self.best_parameters = net.parameters.copy() if self.monitor else None
        self.wall_s = 0.0
        self._gather_batches = self.X_train.nbytes > GATHER_BYTES
        if self._gather_batches:
            rows = min(batch_size, len(self.X_train))  # batch_size may say "all of it"
            self._X_batch = np.empty((rows, *self.X_train.shape[1:]), self.X_train.dtype)
            self._Y_batch = np.empty((rows, *self.Y_train.shape[1:]), self.Y_train.dtype)
        else:
            self._X_shuffled = np.empty_like(self.X_train)
            self._Y_shuffled = np.empty_like(self.Y_train)
        self._predicted = np.empty(len(self.X_train), np.intp)  # class predictions of an epoch

    @property
    def best_epoch(self) -> int:
        """The epoch (1-based) whose weights the network ends with under early stopping;
        otherwise the epoch of lowest val_loss, or the last epoch without validation data."""
        if self.monitor:
            return self.best_epoch_monitored
        if self.X_val is not None and self.history:
            losses = [record["val_loss"] for record in self.history]
            finite = [(loss, i) for i, loss in enumerate(losses) if math.isfinite(loss)]
            return min(finite)[1] + 1 if finite else self.epoch
        return self.epoch

    def run(
        self,
        until_epoch: int | None = None,
        callback: Callable[[dict[str, float]], None] | None = None,
    ) -> str:
        """Train from ``self.epoch`` up to ``until_epoch`` (default: ``epochs``).

        Returns the status: "running" (more epochs to go), "ok" or "diverged".
        """
        until_epoch = self.epochs if until_epoch is None else until_epoch
        if until_epoch > self.epochs:
            raise ValueError(f"until_epoch {until_epoch} is beyond epochs={self.epochs}")
        # overflow to inf/nan is how divergence shows itself: detected below, not warned about
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while self.status == "running" and self.epoch < until_epoch:
                record = self._train_epoch()
                self.history.append(record)
                if self.status == "running":
                    self._watch(record)
                if callback is not None:
                    callback(record)
            if self.status == "running" and self.epoch >= self.epochs:
                self._finish()
        return self.status

    def _train_epoch(self) -> dict[str, float]:
        start = time.perf_counter()
        net, opt, batch_size = self.net, self.opt, self.batch_size
        if self.schedule is not None:
            opt.lr = self.schedule(self.epoch)
        n_samples = self.X_train.shape[0]
        order = self.rng.permutation(n_samples)
        gather = self._gather_batches
        if gather:  # each batch's rows are gathered in turn (see GATHER_BYTES)
            X_train, Y_train = self.X_train, self.Y_train
            X, Y = self._X_batch, self._Y_batch
        else:  # the whole set in shuffled order, then each batch is a slice of it
            # mode="clip": a permutation is always in range, and "raise" would buffer the copy
            X = np.take(self.X_train, order, axis=0, out=self._X_shuffled, mode="clip")
            Y = np.take(self.Y_train, order, axis=0, out=self._Y_shuffled, mode="clip")
        params, grads = [net.parameters], [net.gradient]
        # each dC/dW[l]^T as a flat view: the squared norm is then g.dot(g), one quick call
        grad_weights_flat = [dW_T.reshape(-1) for dW_T in net._grad_weights_T]
        net._sync()

        loss_sum, n_batches, n_predicted = 0.0, 0, 0
        predicted = self._predicted
        grad_norm_sums = [0.0] * net.n_layers
        layers = range(net.n_layers)
        sqrt, take, isfinite = math.sqrt, np.take, math.isfinite
        classification, workspaces = self.classification, net._workspaces
        single_output, half = net.sizes[-1] == 1, constant(0.5, net.dtype)
        for begin in range(0, n_samples, batch_size):
            end = min(begin + batch_size, n_samples)
            if gather:
                rows = order[begin:end]
                X_batch = take(X_train, rows, 0, X[: end - begin], "clip")
                Y_batch = take(Y_train, rows, 0, Y[: end - begin], "clip")
            else:
                X_batch, Y_batch = X[begin:end], Y[begin:end]
            cost = net._backprop(X_batch, Y_batch)
            loss_sum += cost * (end - begin)
            n_batches += 1
            if not isfinite(cost):
                self.status = "diverged"
                break
            if classification:  # checked against the labels once the epoch is over
                n_predicted = end
                outputs = workspaces[end - begin].activations[-1]
                if single_output:  # predicted_labels(), inlined: this runs every batch
                    np.greater(outputs[:, 0], half, predicted[begin:end])
                else:
                    outputs.argmax(1, predicted[begin:end])
            for l in layers:
                g = grad_weights_flat[l]
                grad_norm_sums[l] += sqrt(g.dot(g))
            opt.step(params, grads)
        self.epoch += 1
        if self.status == "running" and not np.isfinite(net.parameters).all():
            self.status = "diverged"

        seen = min(n_batches * batch_size, n_samples)
        if self.classification:
            correct = np.count_nonzero(
                predicted[:n_predicted] == self.labels[order[:n_predicted]]
            )
        record: dict[str, float] = {"epoch": self.epoch, "train_loss": loss_sum / seen}
        if self.X_val is not None:
            val = net.evaluate(self.X_val, self.Y_val)
            record["val_loss"] = val["loss"]
        if self.classification:
            record["train_accuracy"] = correct / seen
            if self.X_val is not None:
                record["val_accuracy"] = val["accuracy"]
        record["lr"] = opt.lr
        for l, norm_sum in enumerate(grad_norm_sums, start=1):
            record[f"grad_norm_{l}"] = norm_sum / n_batches
        self.wall_s += time.perf_counter() - start
        record["wall_s"] = self.wall_s
        return record

    def _watch(self, record: dict[str, float]) -> None:
        """Early stopping's bookkeeping after a finished epoch."""
        if self.monitor is None:
            return
        value = record[self.monitor]
        sign = -1.0 if self.monitor.endswith("accuracy") else 1.0  # compare as a loss
        if self.best_value is None or sign * value < sign * self.best_value - self.min_delta:
            self.best_value = value
            self.best_epoch_monitored = self.epoch
            self.epochs_without_improvement = 0
            np.copyto(self.best_parameters, self.net.parameters)
        else:
            self.epochs_without_improvement += 1
            if self.epochs_without_improvement >= self.patience:
                self.stopped_early = True
                self._finish()

    def _finish(self) -> None:
        self.status = "ok"
        if self.monitor is not None and self.best_value is not None:
            np.copyto(self.net.parameters, self.best_parameters)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to carry on later: weights, optimizer, generator, early stopping,
        history and counters (all copied)."""
        return {
            "layout": PARAMETER_LAYOUT,
            "parameters": self.net.parameters.copy(),
            "optimizer": self.opt.state_dict(),
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "epoch": self.epoch,
            "status": self.status,
            "stopped_early": self.stopped_early,
            "history": copy.deepcopy(self.history),
            "best_value": self.best_value,
            "best_epoch_monitored": self.best_epoch_monitored,
            "epochs_without_improvement": self.epochs_without_improvement,
            "best_parameters": (
                None if self.best_parameters is None else self.best_parameters.copy()
            ),
            "wall_s": self.wall_s,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a ``state_dict`` (the trainer must be built with the same settings)."""
        if state.get("layout") != PARAMETER_LAYOUT:
            raise ValueError(
                f"this checkpoint stores the parameters as {state.get('layout', 'W (old)')!r}, "
                f"not as {PARAMETER_LAYOUT!r}: it was written by another version of nnrun; "
                "train the trial again (nnrun sweep --no-resume)")
        self.net._sync()
        np.copyto(self.net.parameters, state["parameters"])
        self.opt.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self.epoch = state["epoch"]
        self.status = state["status"]
        self.stopped_early = state["stopped_early"]
        self.history = copy.deepcopy(state["history"])
        self.best_value = state["best_value"]
        self.best_epoch_monitored = state["best_epoch_monitored"]
        self.epochs_without_improvement = state["epochs_without_improvement"]
        if state["best_parameters"] is not None:
            self.best_parameters = state["best_parameters"].copy()
        self.wall_s = state["wall_s"]


__all__ = ["PARAMETER_LAYOUT", "Trainer"]

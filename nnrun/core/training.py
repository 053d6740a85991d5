"""Mini-batch training: epochs, shuffling, metrics, early stopping, divergence, resume."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from nnrun.core import _kernels as kernels
from nnrun.core.network import Network, Workspace
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
EARLY_STOPPING_OPTIONS = ("patience", "monitor", "min_delta")


class _Batches:
    """A training set walked in mini-batches of ``batch_size`` rows (the last one smaller),
    in a new random order every epoch."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, batch_size: int) -> None:
        self.X, self.Y, self.batch_size = X, Y, batch_size
        self.order = np.arange(len(X))  # the order of the latest epoch
        self.gather = X.nbytes > GATHER_BYTES
        if self.gather:  # a buffer of one batch
            rows = min(batch_size, len(X))  # batch_size may say "all of it"
            self.X_batch = np.empty((rows, *X.shape[1:]), X.dtype)
            self.Y_batch = np.empty((rows, *Y.shape[1:]), Y.dtype)
        else:  # a buffer of the whole set
            self.X_shuffled, self.Y_shuffled = np.empty_like(X), np.empty_like(Y)

    def shuffled(self, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The mini-batches (X, Y) of one epoch, in the order of a new permutation from rng."""
        n_samples, batch_size = len(self.X), self.batch_size
        order = self.order = rng.permutation(n_samples)
        if self.gather:  # each batch's rows gathered in turn (see GATHER_BYTES)
            for begin in range(0, n_samples, batch_size):
                rows = order[begin : begin + batch_size]
                yield (kernels.take_rows(self.X, rows, self.X_batch[: len(rows)]),
                       kernels.take_rows(self.Y, rows, self.Y_batch[: len(rows)]))
        else:  # the whole set in shuffled order, then each batch is a slice of it
            X = kernels.take_rows(self.X, order, self.X_shuffled)
            Y = kernels.take_rows(self.Y, order, self.Y_shuffled)
            for begin in range(0, n_samples, batch_size):
                yield X[begin : begin + batch_size], Y[begin : begin + batch_size]


class _EpochSums:
    """What an epoch's record sums over its mini-batches: the cost times the batch's rows,
    the predicted classes (into ``predicted``, None for regression) and ||dC/dW[l]||."""

    def __init__(self, net: Network, predicted: np.ndarray | None) -> None:
        self.loss_sum, self.n_batches, self.n_predicted = 0.0, 0, 0
        self.predicted = predicted
        self.L = net.n_layers
        self.layers = range(1, net.n_layers + 1)
        # each dC/dW[l] as a flat view: its squared norm is then one dot product
        self.grad_weights_flat = [None] + [kernels.flat_view(dW) for dW in net.grad_weights]
        self.grad_norm_sums = [None] + [0.0] * net.n_layers

    def add_cost(self, cost: float, n_rows: int) -> None:
        """The cost of a batch of ``n_rows`` (alone: a batch whose cost is not finite)."""
        self.loss_sum += cost * n_rows
        self.n_batches += 1

    def add(self, cost: float, n_rows: int, last_pass: Workspace) -> None:
        """The cost, predictions and gradient norms of the batch just backpropagated."""
        self.loss_sum += cost * n_rows
        self.n_batches += 1
        if self.predicted is not None:  # checked against the labels once the epoch is over
            outputs = last_pass.a[self.L]
            begin = self.n_predicted
            self.n_predicted = end = begin + len(outputs)
            kernels.predicted_labels(outputs, self.predicted[begin:end])
        grad_weights_flat, grad_norm_sums = self.grad_weights_flat, self.grad_norm_sums
        for l in self.layers:
            g = grad_weights_flat[l]
            grad_norm_sums[l] += math.sqrt(g.dot(g))  # ||dC/dW[l]||

    def correct(self, labels: np.ndarray, order: np.ndarray) -> int:
        """How many of the predictions match the labels of the rows, taken in ``order``."""
        n = self.n_predicted
        return np.count_nonzero(self.predicted[:n] == labels[order[:n]])


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
        self.X_train, self.Y_train = (np.ascontiguousarray(a)
                                      for a in net.check_data(X_train, Y_train))
        self.X_val, self.Y_val = (None, None) if X_val is None else net.check_data(X_val, Y_val)
        self.batch_size, self.epochs, self.schedule, self.seed = batch_size, epochs, schedule, seed
        self.classification = net.task == "classification"
        self.labels = kernels.predicted_labels(self.Y_train) if self.classification else None
        self.monitor, self.patience, self.min_delta = self._early_stopping(early_stopping)
        self._batches = _Batches(self.X_train, self.Y_train, batch_size)
        self._predicted = np.empty(len(self.X_train), np.intp)  # class predictions of an epoch
        self._start()

    def _start(self) -> None:
        """The state of training before its first epoch: what ``state_dict`` captures."""
        self.rng = np.random.default_rng(self.seed)
        self.epoch = 0
        self.status = "running"
        self.stopped_early = False
        self.history: list[dict[str, float]] = []
        self.best_value: float | None = None
        self.best_epoch_monitored = 0
        self.epochs_without_improvement = 0
        self.best_parameters = self.net.parameters.copy() if self.monitor else None
        self.wall_s = 0.0

    def _early_stopping(self, options: dict[str, Any] | None) -> tuple[str | None, int, float]:
        """(monitor, patience, min_delta) from the ``early_stopping`` settings, checked."""
        if options is None:
            return None, 0, 0.0
        options = dict(options)
        if set(options) - set(EARLY_STOPPING_OPTIONS) or "patience" not in options:
            raise ValueError(
                f"early_stopping takes patience (required), monitor and min_delta; got {options}"
            )
        monitor = options.get("monitor", "val_loss")
        allowed = ["train_loss", "val_loss"]
        if self.classification:
            allowed += ["train_accuracy", "val_accuracy"]
        if self.X_val is None:
            allowed = [name for name in allowed if name.startswith("train")]
        if monitor not in allowed:
            raise ValueError(
                f"early_stopping cannot monitor {monitor!r} here; choose one of "
                f"{', '.join(allowed)}"
            )
        return monitor, int(options["patience"]), float(options.get("min_delta", 0.0))

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
        """One epoch of mini-batch stochastic gradient descent, as in the lecture: for each
        mini-batch of the reshuffled training set, backpropagate (the cost C and its gradient
        dC/dtheta) and let the optimizer take one step; the batches' costs, predictions and
        gradient norms are summed into the epoch's record."""
        started = time.perf_counter()
        net, opt = self.net, self.opt
        if self.schedule is not None:
            opt.lr = self.schedule(self.epoch)
        params, grads = [net.parameters], [net.gradient]
        sums = _EpochSums(net, self._predicted if self.classification else None)
        for X, Y in self._batches.shuffled(self.rng):
            cost = net.backprop(X, Y)  # C of the batch, and dC/dtheta into net.gradient
            if not math.isfinite(cost):
                sums.add_cost(cost, len(X))
                self.status = "diverged"
                break
            sums.add(cost, len(X), net.last_pass)  # its cost, predictions, gradient norms
            opt.step(params, grads)  # theta <- theta - lr (the update rule's step)
        self.epoch += 1
        if self.status == "running" and not np.isfinite(net.parameters).all():
            self.status = "diverged"
        return self._record(sums, started)

    def _record(self, sums: _EpochSums, started: float) -> dict[str, float]:
        """The epoch's metrics, in the order of metrics.csv's columns."""
        seen = min(sums.n_batches * self.batch_size, len(self.X_train))
        record: dict[str, float] = {"epoch": self.epoch, "train_loss": sums.loss_sum / seen}
        if self.X_val is not None:
            val = self.net.evaluate(self.X_val, self.Y_val)
            record["val_loss"] = val["loss"]
        if self.classification:
            record["train_accuracy"] = sums.correct(self.labels, self._batches.order) / seen
            if self.X_val is not None:
                record["val_accuracy"] = val["accuracy"]
        record["lr"] = self.opt.lr
        for l in sums.layers:
            record[f"grad_norm_{l}"] = sums.grad_norm_sums[l] / sums.n_batches
        self.wall_s += time.perf_counter() - started
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

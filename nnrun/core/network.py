"""A fully connected network trained by backpropagation, vectorised over the batch.

Notation (the lecture's): the network has layers l = 0..L with m_l nodes.
Layer l >= 1 holds weights W[l] of shape (m_l, m_{l-1}) -- row k is the weights
into node k, so W[l][k, j] = w^l_kj is the weight from node j of layer l-1 to
node k of layer l -- and a bias b[l] of shape (m_l,). In code the lists are
0-based: ``weights[l - 1]`` is W[l].

Samples are rows. For a batch of n samples, a^0 = X (n, m_0) and

    z^l = a^{l-1} W[l]^T + b[l],      a^l = f(z^l)                 (forward)
    delta^L = dC/dz^L                 (from the loss, see losses.py)
    delta^l = (delta^{l+1} W[l+1]) * f'(z^l)                       (backward)
    dC/dW[l]^T = a^{l-1}^T delta^l,   dC/db[l] = sum over rows of delta^l

where the cost's 1/n is already inside delta^L, so the gradients are averages
over the batch.

All weights and biases are views into one flat vector, ``parameters``
(W[1]^T, b[1], W[2]^T, b[2], ...), and the gradients into another, laid out
alike: an optimizer then updates the whole network with a few numpy calls.
Each weight matrix is stored transposed, as the contiguous (m_{l-1}, m_l)
array W[l]^T that the forward pass multiplies by (BLAS is 10-40% slower with
a transposed second operand); ``weights[l - 1]`` is the (m_l, m_{l-1}) view
W[l] of it. Assign in place (``net.weights[0][...] = W``); an array put in
place of a view is copied back into the flat vector before the next pass.
Work arrays are kept per batch size, so a training step allocates almost
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nnrun.core.activations import (
    ACTIVATIONS,
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    softmax,
)
from nnrun.core.losses import LOSSES
from nnrun.core.optimizers import Optimizer


def xavier(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out)), as torch's xavier_uniform_."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_out, fan_in))


def he(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """He (Kaiming) normal for ReLU: N(0, 2 / fan_in), as torch's kaiming_normal_."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


def small_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """N(0, 0.01^2) whatever the width: the classic small-random start (vanishes in deep nets)."""
    return rng.normal(0.0, 0.01, size=(fan_out, fan_in))


INITS: dict[str, Callable[[np.random.Generator, int, int], np.ndarray]] = {
    "xavier": xavier,
    "he": he,
    "normal": small_normal,
}
AUTO_INIT = {"sigmoid": "xavier", "tanh": "xavier", "relu": "he"}
TASKS = ("classification", "regression")
DTYPES = ("float32", "float64")


def auto_output(loss: str, task: str, n_outputs: int) -> str:
    """output="auto": softmax (sigmoid for one unit) with cross-entropy; with mse, sigmoid
    for classification as in the lecture and identity for regression."""
    if loss == "cross_entropy":
        return "sigmoid" if n_outputs == 1 else "softmax"
    return "sigmoid" if task == "classification" else "identity"


class _Workspace:
    """The arrays of one pass for a batch of n samples: z^l, a^l, delta^l and scratch."""

    def __init__(self, n_samples: int, sizes: Sequence[int], dtype: np.dtype) -> None:
        self.zs = [None] + [np.empty((n_samples, m), dtype) for m in sizes[1:]]
        self.activations = [None] + [np.empty((n_samples, m), dtype) for m in sizes[1:]]
        self.deltas = [None] + [np.empty((n_samples, m), dtype) for m in sizes[1:]]
        self.derivatives = [None] + [np.empty((n_samples, m), dtype) for m in sizes[1:]]
        self.ones = np.ones(n_samples, dtype)  # sum over rows as a BLAS product: ones^T delta
        self.log_sum_exp = np.empty(n_samples, dtype)  # a softmax output's lse, for the cost


def _choose(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")
    return value


class Network:
    """A fully connected network; see the module docstring for the notation."""

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "sigmoid",
        loss: str = "mse",
        output: str = "auto",
        init: str = "auto",
        seed: int = 0,
        dtype: str = "float64",
        task: str = "classification",
    ) -> None:
        sizes = [int(m) for m in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two layer widths >= 1, got {sizes}")
        self.sizes = sizes
        self.activation = _choose(activation, HIDDEN_ACTIVATIONS, "hidden activation")
        self.loss = _choose(loss, tuple(LOSSES), "loss")
        self.task = _choose(task, TASKS, "task")
        self.dtype = np.dtype(_choose(str(np.dtype(dtype)), DTYPES, "dtype"))
        if output == "auto":
            output = auto_output(loss, task, sizes[-1])
        self.output = _choose(output, OUTPUT_ACTIVATIONS, "output activation")
        if self.output not in LOSSES[loss]:
            raise ValueError(
                f"output {self.output!r} cannot be used with loss {loss!r}: {loss} needs one of "
                f"{', '.join(LOSSES[loss])} output (cross_entropy needs probabilities; "
                "softmax goes with cross_entropy only)"
            )
        if self.output == "softmax" and sizes[-1] < 2:
            raise ValueError("softmax needs at least 2 output units; use sigmoid for one")
        self.init = _choose(init, ("auto", *INITS), "init")
        self.seed = seed

        self._hidden = ACTIVATIONS[self.activation]
        self._output = ACTIVATIONS[self.output]
        self._loss = LOSSES[loss][self.output]
        self.n_layers = len(sizes) - 1

        shapes = [(m, m_prev) for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True)]
        n_parameters = sum(m * m_prev + m for m, m_prev in shapes)
        self.parameters = np.zeros(n_parameters, self.dtype)
        self.gradient = np.zeros(n_parameters, self.dtype)
        self._weights_T, self.biases = self._views(self.parameters, shapes)
        self.weights = [W_T.T for W_T in self._weights_T]
        self._weight_views = list(self.weights)
        self._bias_views = list(self.biases)
        self._grad_weights_T, self._grad_biases = self._views(self.gradient, shapes)

        # every draw from one seeded generator, in float64 and cast once, so a float32
        # network starts from the float64 one's weights rounded; biases start at zero
        rng = np.random.default_rng(seed)
        draw = INITS[AUTO_INIT[self.activation] if self.init == "auto" else self.init]
        for W, (m, m_prev) in zip(self.weights, shapes, strict=True):
            W[...] = draw(rng, m_prev, m)
        self._workspaces: dict[int, _Workspace] = {}

    @staticmethod
    def _views(
        flat: np.ndarray, shapes: list[tuple[int, int]]
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Views of ``flat`` as the transposed weights W[l]^T (m_{l-1}, m_l) and biases b[l]."""
        weights_T, biases, start = [], [], 0
        for m, m_prev in shapes:
            weights_T.append(flat[start : start + m * m_prev].reshape(m_prev, m))
            start += m * m_prev
            biases.append(flat[start : start + m])
            start += m
        return weights_T, biases

    def __repr__(self) -> str:
        return (
            f"Network({self.sizes}, activation={self.activation!r}, loss={self.loss!r}, "
            f"output={self.output!r}, init={self.init!r}, seed={self.seed!r}, "
            f"dtype={self.dtype.name!r}, task={self.task!r})"
        )

    # -- inputs and work arrays ------------------------------------------------------------

    def _check(self, X: np.ndarray, Y: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Cast the inputs to the network's dtype (once) and check their shapes."""
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (n, {self.sizes[0]}), got {X.shape}")
        if Y is None:
            return (X,)
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.shape != (X.shape[0], self.sizes[-1]):
            raise ValueError(f"Y must have shape ({X.shape[0]}, {self.sizes[-1]}), got {Y.shape}")
        return X, Y

    def _workspace(self, n_samples: int) -> _Workspace:
        workspace = self._workspaces.get(n_samples)
        if workspace is None:
            if len(self._workspaces) >= 4:  # training uses two sizes, evaluation one or two
                self._workspaces.pop(next(iter(self._workspaces)))
            workspace = self._workspaces[n_samples] = _Workspace(n_samples, self.sizes, self.dtype)
        return workspace

    def _sync(self) -> None:
        """Copy any array assigned in place of a weight or bias view back into ``parameters``."""
        pairs = ((self.weights, self._weight_views), (self.biases, self._bias_views))
        for replaced, views in pairs:
            for i, view in enumerate(views):
                if replaced[i] is not view:
                    view[...] = replaced[i]
                    replaced[i] = view

    # -- the two passes --------------------------------------------------------------------

    def _forward(self, X: np.ndarray) -> _Workspace:
        """z^l = a^{l-1} W[l]^T + b[l], a^l = f(z^l), keeping every z and a in the workspace."""
        workspace = self._workspace(X.shape[0])
        zs, activations = workspace.zs, workspace.activations
        weights_T, biases = self._weights_T, self._bias_views
        activations[0] = X
        L, f = self.n_layers, self._hidden.f
        # np.dot rather than matmul, and outputs given positionally: both cost less time per
        # call, which counts on small networks (the same BLAS calls, the same numbers)
        dot, add = np.dot, np.add
        for l in range(1, L + 1):
            # z^l = a^{l-1} W[l]^T + b[l]
            z = dot(activations[l - 1], weights_T[l - 1], zs[l])
            add(z, biases[l - 1], z)
            if l < L:
                f(z, activations[l])  # a^l = f(z^l)
        # a^L = f_out(z^L); softmax also leaves lse = log sum_k e^{z_k} for the cost
        if self.output == "softmax":
            softmax(zs[L], activations[L], workspace.log_sum_exp)
        else:
            self._output.f(zs[L], activations[L])
        return workspace

    def _cost(self, workspace: _Workspace, Y: np.ndarray) -> float:
        L = self.n_layers
        return self._loss.cost(workspace.zs[L], workspace.activations[L], Y, workspace.log_sum_exp)

    def _backprop(self, X: np.ndarray, Y: np.ndarray) -> float:
        """Cost of the batch; its gradient is left in ``gradient`` (views dW^T, db)."""
        L, df = self.n_layers, self._hidden.df
        workspace = self._forward(X)
        zs, activations, deltas = workspace.zs, workspace.activations, workspace.deltas
        derivatives, ones = workspace.derivatives, workspace.ones
        weights_T, grad_weights_T, grad_biases = (
            self._weights_T, self._grad_weights_T, self._grad_biases)
        cost = self._cost(workspace, Y)
        delta = self._loss.delta(zs[L], activations[L], Y, self._output, deltas[L])
        dot, multiply = np.dot, np.multiply
        for l in range(L, 0, -1):
            # dC/dW[l]^T = a^{l-1}^T delta^l,  dC/db[l] = 1^T delta^l (the sum over the rows)
            dot(activations[l - 1].T, delta, grad_weights_T[l - 1])
            dot(ones, delta, grad_biases[l - 1])
            if l > 1:  # delta^0 = dC/da^0 is never needed
                # delta^{l-1} = (delta^l W[l]) * f'(z^{l-1})
                delta = dot(delta, weights_T[l - 1].T, deltas[l - 1])
                multiply(delta, df(zs[l - 1], activations[l - 1], derivatives[l - 1]), delta)
        return cost

    # -- public API ------------------------------------------------------------------------

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The output a^L for inputs X (n, sizes[0]): a new (n, sizes[-1]) array."""
        self._sync()
        (X,) = self._check(X)
        return self._forward(X).activations[-1].copy()

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The cost C averaged over the rows of X."""
        self._sync()
        X, Y = self._check(X, Y)
        return self._cost(self._forward(X), Y)

    def gradients(
        self, X: np.ndarray, Y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The cost and new arrays dC/dW[l], dC/db[l], shaped as ``weights`` and ``biases``."""
        self._sync()
        X, Y = self._check(X, Y)
        cost = self._backprop(X, Y)
        dW = [dW_T.T.copy() for dW_T in self._grad_weights_T]
        db = [db_l.copy() for db_l in self._grad_biases]
        return cost, dW, db

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """``loss`` and, for classification, ``accuracy`` (None for regression)."""
        self._sync()
        X, Y = self._check(X, Y)
        L = self.n_layers
        workspace = self._forward(X)
        A = workspace.activations[L]
        accuracy = correct_count(A, Y) / X.shape[0] if self.task == "classification" else None
        return {"loss": self._cost(workspace, Y), "accuracy": accuracy}

    def train_batch(self, X: np.ndarray, Y: np.ndarray, opt: Optimizer) -> float:
        """One forward pass, backward pass and update of all weights and biases by ``opt``.

        Returns the cost before the update. ``opt`` keeps its state for the flat
        ``parameters`` vector, so use one optimizer per network.
        """
        self._sync()
        # shapes checked as in gradients(): a Y of the wrong width would broadcast against a^L
        X, Y = self._check(X, Y)
        cost = self._backprop(X, Y)
        opt.step([self.parameters], [self.gradient])
        return cost


def predicted_labels(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Class predictions: the largest output, or output > 0.5 for a single unit (into ``out``)."""
    return np.greater(A[:, 0], 0.5, out=out) if A.shape[1] == 1 else A.argmax(axis=1, out=out)


def correct_count(A: np.ndarray, Y: np.ndarray) -> int:
    """How many rows of outputs A predict the class of the one-hot (or 0/1) targets Y."""
    return int(np.count_nonzero(predicted_labels(A) == predicted_labels(Y)))

"""A fully connected network trained by backpropagation, vectorised over the batch.

Notation (the lecture's), and the one index convention of the core: the network
has layers l = 0..L with m_l nodes, layer 0 being the input. Layer l >= 1 holds
weights W[l] of shape (m_l, m_{l-1}) -- row k is the weights into node k, so
W[l][k, j] = w^l_kj is the weight from node j of layer l-1 to node k of layer l
-- and a bias b[l] of shape (m_l,). Every per-layer list inside the core is
indexed by that l: z[l], a[l], delta[l], W[l]^T, b[l] and their gradients, with
a[0] = X and None at 0 in the others (layer 0 has no weights, z or delta). Only
the public lists are 0-based, as Python lists are: ``weights[l - 1]`` is W[l],
and likewise ``biases``, ``grad_weights``, ``grad_biases`` and what
``gradients`` returns; ``sizes[l]`` is m_l.

Samples are rows. For a batch of n samples, a[0] = X (n, m_0) and

    z[l] = a[l-1] W[l]^T + b[l],      a[l] = f(z[l])            (forward, l = 1..L)
    delta[L] = dC/dz[L]               (from the loss, see losses.py)
    delta[l-1] = (delta[l] W[l]) * f'(z[l-1])                   (backward, l = L..2)
    dC/dW[l] = delta[l]^T a[l-1],     dC/db[l] = sum over the rows of delta[l]

where the cost's 1/n is already inside delta[L], so the gradients are averages
over the batch.

All weights and biases are views into one flat vector, ``parameters``
(W[1]^T, b[1], W[2]^T, b[2], ...), and the gradients into another, ``gradient``,
laid out alike: an optimizer then updates the whole network with a few numpy
calls. Each weight matrix is stored transposed, as the contiguous
(m_{l-1}, m_l) array W[l]^T that the forward pass multiplies by (BLAS is 10-40%
slower with a transposed second operand); ``weights[l - 1]`` is the
(m_l, m_{l-1}) view W[l] of it. Assign in place (``net.weights[0][...] = W``);
an array assigned in place of a view (``net.weights[0] = W``) is copied into it.
The work arrays of a pass are kept, one :class:`Workspace` per batch size, so a
training step allocates almost nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnrun.core import _kernels as kernels
from nnrun.core.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from nnrun.core.losses import LOSSES
from nnrun.core.optimizers import Optimizer

# Workspaces kept at most: training uses two batch sizes (the full and the last, smaller
# batch), evaluation one or two more.
KEPT_WORKSPACES = 4


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


class Workspace:
    """The arrays of one pass over a batch of n samples, indexed by layer l = 0..L.

    z[l], a[l], delta[l] and df[l] = f'(z[l]) are (n, m_l); a[0] is the input X
    itself, and the others hold None at 0. ``log_sum_exp`` (n,) is a softmax
    output's lse = log sum_k e^{z_k} per row, for the cost; ``ones`` (n,) a vector
    of ones, so that 1^T x sums the rows of x (as one BLAS product).
    """

    def __init__(self, n_samples: int, sizes: Sequence[int], dtype: np.dtype) -> None:
        def per_layer() -> list[Any]:
            return [None] + [np.empty((n_samples, m), dtype) for m in sizes[1:]]

        self.z, self.a, self.delta, self.df = per_layer(), per_layer(), per_layer(), per_layer()
        self.log_sum_exp = np.empty(n_samples, dtype)
        self.ones = np.ones(n_samples, dtype)


class _Views(list):
    """Views into a flat vector, one a layer: an array assigned in place of a view is copied
    into the view, so that the flat vector always holds what the list shows."""

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            for view, array in zip(self[index], value, strict=True):
                view[...] = array
        else:
            self[index][...] = value


def _views_property(name: str, doc: str) -> property:
    """A property for the :class:`_Views` held in ``name``: assigning a list to it copies the
    arrays into the views."""

    def get(self: Any) -> list[np.ndarray]:
        return getattr(self, name)

    def set_(self: Any, arrays: Sequence[np.ndarray]) -> None:
        getattr(self, name)[:] = arrays

    return property(get, set_, doc=doc)


def _layer_views(flat: np.ndarray, sizes: Sequence[int]) -> tuple[list[Any], list[Any]]:
    """Views of ``flat`` as W[l]^T (m_{l-1}, m_l) and b[l] (m_l,) for l = 1..L (None at 0)."""
    weights_T, biases, start = [None], [None], 0
    for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True):
        weights_T.append(flat[start : start + m_prev * m].reshape(m_prev, m))
        start += m_prev * m
        biases.append(flat[start : start + m])
        start += m
    return weights_T, biases


def _choose(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(allowed)}")
    return value


def _output_for(loss: str, output: str, task: str, n_outputs: int) -> str:
    """The output activation, ``output="auto"`` resolved and its pairing with the loss checked."""
    if output == "auto":
        output = auto_output(loss, task, n_outputs)
    _choose(output, OUTPUT_ACTIVATIONS, "output activation")
    if output not in LOSSES[loss]:
        raise ValueError(
            f"output {output!r} cannot be used with loss {loss!r}: {loss} needs one of "
            f"{', '.join(LOSSES[loss])} output (cross_entropy needs probabilities; "
            "softmax goes with cross_entropy only)"
        )
    if output == "softmax" and n_outputs < 2:
        raise ValueError("softmax needs at least 2 output units; use sigmoid for one")
    return output


class Network:
    """A fully connected network; see the module docstring for the notation.

    Public arrays: ``parameters`` and ``gradient`` (flat), their per-layer views
    ``weights``, ``biases`` and ``grad_weights``, ``grad_biases`` (0-based, shaped
    (sizes[i+1], sizes[i]) and (sizes[i+1],)), and ``last_pass``, the
    :class:`Workspace` of the latest forward pass (None before the first): z, a and
    delta of every layer, overwritten by the next pass of the same batch size.
    """

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
        self.sizes, self.n_layers = sizes, len(sizes) - 1
        self.activation = _choose(activation, HIDDEN_ACTIVATIONS, "hidden activation")
        self.loss = _choose(loss, tuple(LOSSES), "loss")
        self.task = _choose(task, TASKS, "task")
        self.dtype = np.dtype(_choose(str(np.dtype(dtype)), DTYPES, "dtype"))
        self.output = _output_for(loss, output, task, sizes[-1])
        self.init = _choose(init, ("auto", *INITS), "init")
        self.seed = seed

        self._hidden = ACTIVATIONS[self.activation]
        self._output = ACTIVATIONS[self.output]
        self._loss = LOSSES[loss][self.output]
        self._allocate()
        self._initialise(seed)
        self._workspaces: dict[int, Workspace] = {}
        self.last_pass: Workspace | None = None

    def _allocate(self) -> None:
        """The flat vectors, their per-layer views, and the public lists of those views."""
        sizes = self.sizes
        n_parameters = sum((m_prev + 1) * m for m_prev, m in zip(sizes, sizes[1:], strict=False))
        self.parameters = np.zeros(n_parameters, self.dtype)
        self.gradient = np.zeros(n_parameters, self.dtype)
        self._W_T, self._b = _layer_views(self.parameters, sizes)
        self._dW_T, self._db = _layer_views(self.gradient, sizes)
        self._weights = _Views(W_T.T for W_T in self._W_T[1:])
        self._biases = _Views(self._b[1:])
        self.grad_weights = tuple(dW_T.T for dW_T in self._dW_T[1:])
        self.grad_biases = tuple(self._db[1:])

    def _initialise(self, seed: int) -> None:
        """Weights drawn by ``init``, biases zero."""
        # every draw from one seeded generator, in float64 and cast once, so a float32
        # network starts from the float64 one's weights rounded
        rng = np.random.default_rng(seed)
        draw = INITS[AUTO_INIT[self.activation] if self.init == "auto" else self.init]
        for l in range(1, self.n_layers + 1):
            self._W_T[l].T[...] = draw(rng, self.sizes[l - 1], self.sizes[l])

    weights = _views_property(
        "_weights", "W[1], ..., W[L]: views into ``parameters``, weights[l - 1] (m_l, m_{l-1}).")
    biases = _views_property(
        "_biases", "b[1], ..., b[L]: views into ``parameters``, biases[l - 1] of shape (m_l,).")

    def __repr__(self) -> str:
        return (
            f"Network({self.sizes}, activation={self.activation!r}, loss={self.loss!r}, "
            f"output={self.output!r}, init={self.init!r}, seed={self.seed!r}, "
            f"dtype={self.dtype.name!r}, task={self.task!r})"
        )

    # -- inputs and work arrays ------------------------------------------------------------

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (n, {self.sizes[0]}), got {X.shape}")
        return X

    def check_data(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """X and Y as arrays of the network's dtype (cast once), their shapes checked: what
        :meth:`backprop` expects."""
        X = self._inputs(X)
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.shape != (X.shape[0], self.sizes[-1]):
            raise ValueError(f"Y must have shape ({X.shape[0]}, {self.sizes[-1]}), got {Y.shape}")
        return X, Y

    def _new_workspace(self, n_samples: int) -> Workspace:
        if len(self._workspaces) >= KEPT_WORKSPACES:
            self._workspaces.pop(next(iter(self._workspaces)))
        workspace = self._workspaces[n_samples] = Workspace(n_samples, self.sizes, self.dtype)
        return workspace

    @property
    def workspaces(self) -> tuple[Workspace, ...]:
        """The work arrays kept, one :class:`Workspace` per batch size seen lately."""
        return tuple(self._workspaces.values())

    # -- the two passes --------------------------------------------------------------------

    def _forward(self, X: np.ndarray) -> Workspace:
        """z[l] = a[l-1] W[l]^T + b[l] and a[l] = f(z[l]) for l = 1..L, kept in a workspace."""
        n_samples = X.shape[0]
        workspace = self._workspaces.get(n_samples) or self._new_workspace(n_samples)
        self.last_pass = workspace
        z, a = workspace.z, workspace.a
        W_T, b = self._W_T, self._b
        L, f = self.n_layers, self._hidden.f
        a[0] = X
        for l in range(1, L + 1):
            kernels.affine(a[l - 1], W_T[l], b[l], z[l])  # z[l] = a[l-1] W[l]^T + b[l]
            if l < L:
                f(z[l], a[l])  # a[l] = f(z[l])
        # a[L] = f_out(z[L]); softmax also leaves lse = log sum_k e^{z_k} for the cost
        if self.output == "softmax":
            self._output.f(z[L], a[L], workspace.log_sum_exp)
        else:
            self._output.f(z[L], a[L])
        return workspace

    def _cost(self, workspace: Workspace, Y: np.ndarray) -> float:
        L = self.n_layers
        return self._loss.cost(workspace.z[L], workspace.a[L], Y, workspace.log_sum_exp)

    def backprop(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The cost C of the batch (X, Y); its gradient is left in ``gradient`` (views
        ``grad_weights``, ``grad_biases``), and the pass in ``last_pass``.

        X and Y must be arrays of the network's dtype and shapes, as :meth:`check_data`
        returns them: the training loop calls this on every batch, so it checks nothing.
        """
        workspace = self._forward(X)
        z, a, delta, df, ones = (workspace.z, workspace.a, workspace.delta, workspace.df,
                                 workspace.ones)
        W_T, dW_T, db = self._W_T, self._dW_T, self._db
        L, f_prime = self.n_layers, self._hidden.df
        cost = self._loss.cost(z[L], a[L], Y, workspace.log_sum_exp)
        self._loss.delta(z[L], a[L], Y, self._output, delta[L])  # delta[L] = dC/dz[L]
        for l in range(L, 0, -1):
            kernels.matmul(a[l - 1].T, delta[l], dW_T[l])  # dC/dW[l]^T = a[l-1]^T delta[l]
            kernels.matmul(ones, delta[l], db[l])  # dC/db[l] = 1^T delta[l]
            if l > 1:  # delta[0] = dC/da[0] is never needed
                # delta[l-1] = (delta[l] W[l]) * f'(z[l-1])
                kernels.matmul(delta[l], W_T[l].T, delta[l - 1])
                kernels.multiply(delta[l - 1], f_prime(z[l - 1], a[l - 1], df[l - 1]),
                                 delta[l - 1])
        return cost

    # -- public API ------------------------------------------------------------------------

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The output a[L] for inputs X (n, sizes[0]): a new (n, sizes[-1]) array."""
        return self._forward(self._inputs(X)).a[self.n_layers].copy()

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        """The cost C averaged over the rows of X."""
        X, Y = self.check_data(X, Y)
        return self._cost(self._forward(X), Y)

    def gradients(
        self, X: np.ndarray, Y: np.ndarray
    ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
        """The cost and new arrays dC/dW[l], dC/db[l], shaped as ``weights`` and ``biases``."""
        cost = self.backprop(*self.check_data(X, Y))
        return cost, [dW.copy() for dW in self.grad_weights], [db.copy() for db in self.grad_biases]

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> dict[str, float | None]:
        """``loss`` and, for classification, ``accuracy`` (None for regression)."""
        X, Y = self.check_data(X, Y)
        workspace = self._forward(X)
        A = workspace.a[self.n_layers]
        accuracy = correct_count(A, Y) / X.shape[0] if self.task == "classification" else None
        return {"loss": self._cost(workspace, Y), "accuracy": accuracy}

    def train_batch(self, X: np.ndarray, Y: np.ndarray, opt: Optimizer) -> float:
        """One forward pass, backward pass and update of all weights and biases by ``opt``.

        Returns the cost before the update. ``opt`` keeps its state for the flat
        ``parameters`` vector, so use one optimizer per network.
        """
        # shapes checked: a Y of the wrong width would broadcast against a[L]
        cost = self.backprop(*self.check_data(X, Y))
        opt.step([self.parameters], [self.gradient])
        return cost


def correct_count(A: np.ndarray, Y: np.ndarray) -> int:
    """How many rows of outputs A predict the class of the one-hot (or 0/1) targets Y."""
    return int(np.count_nonzero(kernels.predicted_labels(A) == kernels.predicted_labels(Y)))

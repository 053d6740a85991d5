"""Losses as (C, delta) pairs, keyed by the loss name and the output activation.

Costs are averaged over the n samples of the batch, with no factor 1/2:

- ``mse``: C = (1/n) sum_i ||a^L_i - y_i||^2, so dC/da^L = (2/n) (a^L - y) and
  delta^L = dC/dz^L = (2/n) (a^L - y) * f'(z^L);
- ``cross_entropy`` with softmax output: C = -(1/n) sum_i sum_j y_ij log a_ij,
  computed as log-softmax = z - logsumexp(z) so that it never takes log(0)
  (the row's logsumexp is the one the forward pass's softmax left behind);
- ``cross_entropy`` with sigmoid output (binary cross-entropy, one unit, or
  several independent ones): C = -(1/n) sum_ij [y log a + (1 - y) log(1 - a)],
  computed from the logits as softplus(z) - y z.

For both cross-entropies the output activation's derivative cancels the
loss's, leaving the fused delta^L = (a^L - y) / n.

Allowed pairings (``LOSSES[loss][output]``): mse goes with sigmoid, tanh, relu
or identity outputs; cross_entropy needs softmax or sigmoid, whose values are
probabilities. Softmax with mse is refused because its delta would need the
full softmax Jacobian, and the pairing is a poor model anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nnrun.core import _kernels as kernels
from nnrun.core.activations import Activation


class Loss(NamedTuple):
    """A cost C(z^L, a^L, y, lse) -> float and its error at the output, delta^L = dC/dz^L.

    ``lse`` is the row-wise log-sum-exp of z^L that a softmax output computed on the
    way (``activations.softmax``); only the softmax cross-entropy reads it.
    """

    cost: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], float]
    delta: Callable[[np.ndarray, np.ndarray, np.ndarray, Activation, np.ndarray], np.ndarray]


def mse(z: np.ndarray, a: np.ndarray, y: np.ndarray, lse: np.ndarray | None) -> float:
    """C = (1/n) sum_i ||a_i - y_i||^2."""
    diff = a - y
    return float(np.vdot(diff, diff)) / a.shape[0]


def mse_delta(
    z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation, out: np.ndarray
) -> np.ndarray:
    """delta^L = (2/n) (a - y) * f'(z), the chain rule through an element-wise output f."""
    delta = kernels.scale(kernels.subtract(a, y, out), 2.0 / a.shape[0], out)
    return kernels.multiply(delta, activation.df(z, a, np.empty_like(out)), out)


def softmax_cross_entropy(z: np.ndarray, a: np.ndarray, y: np.ndarray, lse: np.ndarray) -> float:
    """C = -(1/n) sum_ij y_ij log softmax(z)_ij, with log softmax(z)_ij = z_ij - lse_i.

    lse_i = log sum_k e^{z_ik} = max_i + log sum_k e^{z_ik - max_i} never overflows
    (softmax computed it), and no probability is ever passed to log.
    """
    # sum_ij y_ij (lse_i - z_ij) = sum_j (lse^T y)_j - <y, z>
    return (kernels.total(np.dot(lse, y)) - float(np.vdot(y, z))) / len(z)


def binary_cross_entropy(
    z: np.ndarray, a: np.ndarray, y: np.ndarray, lse: np.ndarray | None
) -> float:
    """C = (1/n) sum_ij softplus(z) - y z, which equals -(1/n) sum y log a + (1-y) log(1-a).

    softplus(z) = max(z, 0) + log(1 + e^-|z|) never overflows.
    """
    softplus = np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))
    return (float(softplus.sum()) - float(np.vdot(y, z))) / a.shape[0]


def fused_delta(
    z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation, out: np.ndarray
) -> np.ndarray:
    """delta^L = (a - y) / n, where softmax (or sigmoid) meets cross-entropy."""
    return kernels.scale(kernels.subtract(a, y, out), 1.0 / a.shape[0], out)


MSE = Loss(mse, mse_delta)

LOSSES: dict[str, dict[str, Loss]] = {
    "mse": {"sigmoid": MSE, "tanh": MSE, "relu": MSE, "identity": MSE},
    "cross_entropy": {
        "softmax": Loss(softmax_cross_entropy, fused_delta),
        "sigmoid": Loss(binary_cross_entropy, fused_delta),
    },
}

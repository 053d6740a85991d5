"""Activation functions as (f, f') pairs, keyed by the names a user writes.

Each entry holds the function and its derivative side by side so they can be
checked against each other by eye. Both write into a preallocated ``out`` array
(the passes run once per mini-batch, so temporaries are avoided; the in-place
kernels they call are in ``_kernels.py``):

- ``f(z, out)`` computes a = f(z);
- ``df(z, a, out)`` computes f'(z) element by element. It may use the already
  computed activation ``a`` when that is cheaper (sigmoid' = a(1 - a),
  tanh' = 1 - a^2, relu' = [a > 0]).

``softmax`` is not element-wise: its Jacobian is never formed. It is only
allowed as the output of a cross-entropy network, where the backward pass uses
the fused delta a - y (see ``losses.py``), so its ``df`` is ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nnrun.core import _kernels as kernels


class Activation(NamedTuple):
    """An activation function f and its derivative f'."""

    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None


def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + e^-z) (computed as (1 + tanh(z/2)) / 2, which never overflows)."""
    return kernels.logistic(z, out)


def sigmoid_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a)."""
    return kernels.multiply(kernels.one_minus(a, out), a, out)


def tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(z)."""
    return np.tanh(z, out=out)


def tanh_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    return kernels.one_minus(kernels.multiply(a, a, out), out)


def relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu(z) = max(z, 0)."""
    return kernels.positive_part(z, out)


def relu_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink), i.e. [a > 0] since a = max(z, 0)."""
    return kernels.is_positive(a, out)


def identity(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f(z) = z."""
    np.copyto(out, z)
    return out


def identity_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f'(z) = 1."""
    out.fill(1.0)
    return out


def softmax(z: np.ndarray, out: np.ndarray, log_sum_exp: np.ndarray | None = None) -> np.ndarray:
    """softmax(z)_j = e^{z_j} / sum_k e^{z_k} per row.

    If ``log_sum_exp`` (n,) is given, the row's lse = log sum_k e^{z_k} is left in it
    as a by-product, for the cross-entropy cost (losses.py). Computed without
    overflow for any z (``_kernels.softmax`` says how).
    """
    return kernels.softmax(z, out, log_sum_exp)


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, sigmoid_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "identity": Activation(identity, identity_derivative),
    "softmax": Activation(softmax, None),
}

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")

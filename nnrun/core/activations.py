"""Activation functions as (f, f') pairs, keyed by the names a user writes.

Each entry holds the function and its derivative side by side so they can be
checked against each other by eye. Both write into a preallocated ``out`` array
(the backward pass runs once per mini-batch, so temporaries are avoided):

- ``f(z, out)`` computes a = f(z);
- ``df(z, a, out)`` computes f'(z) element by element. It may use the already
  computed activation ``a`` when that is cheaper (sigmoid' = a(1 - a),
  tanh' = 1 - a^2, relu' = [a > 0]).

``softmax`` is not element-wise: its Jacobian is never formed. It is only
allowed as the output of a cross-entropy network, where the backward pass uses
the fused delta a - y (see ``losses.py``), so its ``df`` is ``None``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Activation(NamedTuple):
    """An activation function f and its derivative f'."""

    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None


def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows."""
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    np.multiply(out, 0.5, out=out)
    np.add(out, 0.5, out=out)
    return out


def sigmoid_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a)."""
    np.subtract(1.0, a, out=out)
    np.multiply(out, a, out=out)
    return out


def tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(z)."""
    return np.tanh(z, out=out)


def tanh_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    np.multiply(a, a, out=out)
    np.subtract(1.0, out, out=out)
    return out


def relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu(z) = max(z, 0)."""
    # against an array of zeros rather than the scalar 0: numpy's vectorised loop, 3x faster
    out.fill(0.0)
    return np.maximum(z, out, out=out)


def relu_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink), i.e. [a > 0] since a = max(z, 0)."""
    # the comparison's True/False written straight into the float array as 1/0
    return np.greater(a, 0.0, out=out, casting="unsafe")


def identity(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f(z) = z."""
    np.copyto(out, z)
    return out


def identity_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """f'(z) = 1."""
    out.fill(1.0)
    return out


def row_max(z: np.ndarray) -> np.ndarray:
    """The largest entry of each row, as a column (n, 1).

    Gathered at the argmax: numpy's max along short rows is several times slower.
    """
    return z[row_indices(z.shape[0]), z.argmax(axis=1)][:, None]


@functools.lru_cache(maxsize=16)
def row_indices(n: int) -> np.ndarray:
    """0, 1, ..., n - 1 (read only), kept for the last few batch sizes."""
    indices = np.arange(n)
    indices.flags.writeable = False
    return indices


@functools.lru_cache(maxsize=16)
def ones(k: int, dtype: np.dtype) -> np.ndarray:
    """A vector of k ones: ``x @ ones(k)`` sums the rows of x as one BLAS product (read only)."""
    vector = np.ones(k, dtype)
    vector.flags.writeable = False
    return vector


def softmax(z: np.ndarray, out: np.ndarray, log_sum_exp: np.ndarray | None = None) -> np.ndarray:
    """softmax(z)_j = e^{z_j} / sum_k e^{z_k} per row.

    z is shifted by its row maximum first, so exp never overflows. If
    ``log_sum_exp`` (n,) is given, the row's lse = log sum_k e^{z_k} is left in it
    as a by-product, for the cross-entropy cost (losses.py).
    """
    z_max = row_max(z)
    np.subtract(z, z_max, out=out)
    np.exp(out, out=out)
    sum_exp = out @ ones(out.shape[1], out.dtype)
    if log_sum_exp is not None:
        # lse = max + log sum_k e^{z_k - max}
        np.log(sum_exp, out=log_sum_exp)
        np.add(log_sum_exp, z_max[:, 0], out=log_sum_exp)
    np.multiply(out, np.reciprocal(sum_exp, out=sum_exp)[:, None], out=out)
    return out


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation(sigmoid, sigmoid_derivative),
    "tanh": Activation(tanh, tanh_derivative),
    "relu": Activation(relu, relu_derivative),
    "identity": Activation(identity, identity_derivative),
    "softmax": Activation(softmax, None),
}

HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax")

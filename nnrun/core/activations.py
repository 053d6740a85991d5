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
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class Activation(NamedTuple):
    """An activation function f and its derivative f'."""

    f: Callable[[np.ndarray, np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None


def sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows."""
    half = constant(0.5, z.dtype)
    np.multiply(z, half, out)
    np.tanh(out, out)
    np.multiply(out, half, out)
    np.add(out, half, out)
    return out


def sigmoid_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)) = a (1 - a)."""
    np.subtract(constant(1.0, a.dtype), a, out)
    np.multiply(out, a, out)
    return out


def tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh(z)."""
    return np.tanh(z, out=out)


def tanh_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    np.multiply(a, a, out)
    np.subtract(constant(1.0, a.dtype), out, out)
    return out


def relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu(z) = max(z, 0)."""
    # against an array of zeros rather than the scalar 0: numpy's vectorised loop, 3x faster
    return np.maximum(z, zeros(z.shape, z.dtype), out=out)


def relu_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    """relu'(z) = 1 if z > 0 else 0 (0 at the kink), i.e. [a > 0] since a = max(z, 0)."""
    out[...] = a > constant(0.0, a.dtype)  # True/False as 1/0 (faster than a ufunc's cast)
    return out


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
def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An array of zeros (read only), kept for the last few shapes."""
    array = np.zeros(shape, dtype)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=16)
def ones(k: int, dtype: np.dtype) -> np.ndarray:
    """A vector of k ones: ``x @ ones(k)`` sums the rows of x as one BLAS product (read only)."""
    vector = np.ones(k, dtype)
    vector.flags.writeable = False
    return vector


@functools.lru_cache(maxsize=64)
def constant(value: float, dtype: np.dtype) -> np.ndarray:
    """``value`` as a 0-d array of ``dtype`` (read only), kept for the last few values.

    A ufunc takes such an operand several times faster than a Python float and
    computes the same numbers (the float is rounded to the dtype either way). Outputs
    are passed positionally in the core for the same reason: a keyword costs time on
    every call, and a small network makes some forty such calls a step. (The cache takes
    -0.0 for 0.0: no caller multiplies by a signed zero.)
    """
    array = np.array(value, dtype)
    array.flags.writeable = False
    return array


# Bounds (low, high) on a row's lse = log sum_k e^{z_k} inside which softmax needs no shift:
# float32 overflows above e^88.7 and goes denormal below e^-87.3 (float64: e^709.8, e^-708.4),
# so the sum, its reciprocal and every e^{z_k} that matters beside the sum stay normal numbers
SAFE_LOG_SUM_EXP = {np.dtype(np.float32): (-60.0, 80.0), np.dtype(np.float64): (-600.0, 700.0)}


def softmax(z: np.ndarray, out: np.ndarray, log_sum_exp: np.ndarray | None = None) -> np.ndarray:
    """softmax(z)_j = e^{z_j} / sum_k e^{z_k} per row.

    If ``log_sum_exp`` (n,) is given, the row's lse = log sum_k e^{z_k} is left in it
    as a by-product, for the cross-entropy cost (losses.py). The textbook shift of
    z by its row maximum, which keeps exp from overflowing, doubles the time; it is
    done only when some row's lse may leave ``SAFE_LOG_SUM_EXP``.
    """
    low, high = SAFE_LOG_SUM_EXP[z.dtype]
    sum_k = ones(z.shape[1], z.dtype)
    # sum_k e^{z_k} <= m e^{max z} < e^high: no e^{z_k} overflows
    if z.item(z.argmax()) < high - math.log(z.shape[1]):  # argmax: 4x faster than max here
        np.exp(z, out)
        sum_exp = np.dot(out, sum_k)
        if sum_exp.item(sum_exp.argmin()) > math.exp(low):  # no row's sum is zero or denormal
            if log_sum_exp is not None:
                np.log(sum_exp, log_sum_exp)
            np.multiply(out, np.reciprocal(sum_exp, sum_exp)[:, None], out)
            return out
    z_max = row_max(z)
    np.subtract(z, z_max, out)
    np.exp(out, out)
    sum_exp = np.dot(out, sum_k)
    if log_sum_exp is not None:
        # lse = max + log sum_k e^{z_k - max}
        np.log(sum_exp, log_sum_exp)
        np.add(log_sum_exp, z_max[:, 0], log_sum_exp)
    np.multiply(out, np.reciprocal(sum_exp, sum_exp)[:, None], out)
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

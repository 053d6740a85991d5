"""The core's numerical kernels: in-place array operations, each named after what it computes.

network.py, activations.py, losses.py and optimizers.py say *what* is computed by calling
these; this module says *how* it is made fast, and nothing in it is needed to follow the
mathematics. Every function writes into an ``out`` (or ``work``) array given by the caller,
so a training step allocates almost nothing. The tricks, each measured on the small networks
the core trains (benchmarks/core_breakdown.py, where a step makes some forty such calls):

- outputs are passed to ufuncs positionally, and scalars as cached 0-d arrays of the
  operands' dtype (:func:`constant`): a keyword costs about 0.1 µs a call, a Python float
  about 0.3 µs, for the same numbers (the float is rounded to the dtype either way);
- ``np.dot`` rather than ``np.matmul`` or ``@``: the same BLAS calls, less time per call;
- sums over the rows of a matrix (1^T x, with the workspace's vector of ones), or of a
  vector's entries (:func:`total`), are products with a vector of ones: one BLAS call;
- a row's maximum is gathered at its argmax, several times faster than ``max`` along short
  rows; softmax skips the shift by the row maximum when no row can overflow or underflow;
- ReLU compares against a cached array of zeros (numpy's vectorised loop, 3x faster than
  against the scalar 0), and its derivative is the boolean [a > 0] stored as 1/0.
"""

from __future__ import annotations

import functools
import math

import numpy as np

# -- cached operands -----------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def constant(value: float, dtype: np.dtype) -> np.ndarray:
    """``value`` as a 0-d array of ``dtype`` (read only), kept for the last few values.

    (The cache takes -0.0 for 0.0: no caller multiplies by a signed zero.)
    """
    array = np.array(value, dtype)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=16)
def ones(k: int, dtype: np.dtype) -> np.ndarray:
    """A vector of k ones (read only): ``ones(n) @ x`` sums the rows of x in one BLAS call."""
    vector = np.ones(k, dtype)
    vector.flags.writeable = False
    return vector


@functools.lru_cache(maxsize=16)
def zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An array of zeros (read only), kept for the last few shapes."""
    array = np.zeros(shape, dtype)
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=16)
def row_indices(n: int) -> np.ndarray:
    """0, 1, ..., n - 1 (read only), kept for the last few batch sizes."""
    indices = np.arange(n)
    indices.flags.writeable = False
    return indices


# -- linear algebra ------------------------------------------------------------------------


def affine(x: np.ndarray, W_T: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = x W^T + b, from the stored transpose W^T (BLAS is faster with it contiguous)."""
    np.dot(x, W_T, out)
    np.add(out, b, out)
    return out


# matmul(A, B, out): out = A B. numpy's own function, not a wrapper: no call in between
matmul = np.dot


def total(v: np.ndarray) -> float:
    """The sum of the entries of the vector v."""
    return float(v.dot(ones(v.shape[0], v.dtype)))


def flat_view(A: np.ndarray) -> np.ndarray:
    """The entries of the contiguous (C or Fortran order) array A as a 1-D view, in memory
    order; never a copy (that raises), so it follows every later change to A."""
    return np.reshape(A, -1, order="A", copy=False)


# -- element-wise --------------------------------------------------------------------------


# subtract(x, y, out): out = x - y; multiply(x, y, out): out = x * y, element by element.
# The ufuncs themselves, called with ``out`` positionally.
subtract = np.subtract
multiply = np.multiply


def scale(x: np.ndarray, c: float, out: np.ndarray) -> np.ndarray:
    """out = c x."""
    return np.multiply(x, constant(c, out.dtype), out)


def one_minus(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 - x."""
    return np.subtract(constant(1.0, out.dtype), x, out)


def logistic(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = 1 / (1 + e^-z), computed as (1 + tanh(z/2)) / 2, which never overflows."""
    half = constant(0.5, out.dtype)
    np.multiply(z, half, out)
    np.tanh(out, out)
    np.multiply(out, half, out)
    np.add(out, half, out)
    return out


def positive_part(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = max(z, 0)."""
    # out by keyword: numpy deprecates a third positional argument to maximum
    return np.maximum(z, zeros(z.shape, z.dtype), out=out)


def is_positive(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = [x > 0], 1 where x > 0 and 0 elsewhere."""
    out[...] = x > constant(0.0, x.dtype)  # True/False as 1/0: faster than a ufunc's cast
    return out


# -- softmax -------------------------------------------------------------------------------

# Bounds (low, high) on a row's lse = log sum_k e^{z_k} inside which softmax needs no shift:
# float32 overflows above e^88.7 and goes denormal below e^-87.3 (float64: e^709.8, e^-708.4),
# so the sum, its reciprocal and every e^{z_k} that matters beside the sum stay normal numbers
SAFE_LOG_SUM_EXP = {np.dtype(np.float32): (-60.0, 80.0), np.dtype(np.float64): (-600.0, 700.0)}


def row_max(z: np.ndarray) -> np.ndarray:
    """The largest entry of each row, as a column (n, 1)."""
    return z[row_indices(z.shape[0]), z.argmax(axis=1)][:, None]


def softmax(z: np.ndarray, out: np.ndarray, log_sum_exp: np.ndarray | None) -> np.ndarray:
    """out = e^z / sum_k e^{z_k} row by row, and lse = log sum_k e^{z_k} into ``log_sum_exp``.

    The textbook shift of z by its row maximum, which keeps exp from overflowing, doubles
    the time; it is done only when some row's lse may leave ``SAFE_LOG_SUM_EXP``.
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


# -- predictions and batches ---------------------------------------------------------------


def predicted_labels(A: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The class each row of outputs A predicts: its largest output, or, for a single output
    unit, whether it exceeds 0.5 (into ``out``)."""
    if A.shape[1] == 1:
        return np.greater(A[:, 0], constant(0.5, A.dtype), out)
    return A.argmax(1, out)


def take_rows(X: np.ndarray, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = X[rows], the rows of X in the order of ``rows`` (indices known to be in range)."""
    # mode="clip": the indices are in range, and "raise" would first gather into a buffer
    return np.take(X, rows, 0, out, "clip")


# -- optimizer steps (each takes a scratch array ``work`` of the parameters' shape) ---------


def lerp(x: np.ndarray, y: np.ndarray, weight: float, work: np.ndarray) -> np.ndarray:
    """x += weight (y - x), in place: x becomes (1 - weight) x + weight y (torch's lerp_)."""
    np.subtract(y, x, work)
    np.multiply(work, constant(weight, x.dtype), work)
    return np.add(x, work, x)


def decay_and_add_square(v: np.ndarray, g: np.ndarray, decay: float, weight: float,
                         work: np.ndarray) -> np.ndarray:
    """v = decay v + weight g^2, in place."""
    np.multiply(v, constant(decay, v.dtype), v)
    np.multiply(g, g, work)
    np.multiply(work, constant(weight, v.dtype), work)
    return np.add(v, work, v)


def add_square(s: np.ndarray, g: np.ndarray, work: np.ndarray) -> np.ndarray:
    """s += g^2, in place."""
    np.multiply(g, g, work)
    return np.add(s, work, s)


def adaptive_step(theta: np.ndarray, lr: float, numerator: np.ndarray, squares: np.ndarray,
                  eps: float, work: np.ndarray, root_scale: float | None = None) -> np.ndarray:
    """theta -= lr n / (c sqrt(s) + eps), in place, for numerator n and squares s (c = 1
    unless ``root_scale`` is given): the step of RMSprop, Adagrad and Adam."""
    dtype = theta.dtype
    np.sqrt(squares, work)
    if root_scale is not None:
        np.multiply(work, constant(root_scale, dtype), work)
    np.add(work, constant(eps, dtype), work)
    np.divide(numerator, work, work)
    np.multiply(work, constant(lr, dtype), work)
    return np.subtract(theta, work, theta)

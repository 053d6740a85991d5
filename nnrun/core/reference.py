"""The lecture's backpropagation, one sample at a time: the slow, obvious version of network.py.

This is Nielsen's ``network.py`` (*Neural Networks and Deep Learning*, chapter 2) in the
notation of network.py: layers l = 0..L, weights W[l] of shape (m_l, m_{l-1}), biases b[l],
every per-layer list indexed by l. A sample is a column vector x (m_0, 1) and

    z[l] = W[l] a[l-1] + b[l],        a[l] = f(z[l])              (forward, a[0] = x)
    delta[L] = dC/dz[L]                                            (BP1)
    delta[l] = (W[l+1]^T delta[l+1]) * f'(z[l])                    (BP2, l = L-1..1)
    dC/db[l] = delta[l],              dC/dW[l] = delta[l] a[l-1]^T (BP3, BP4)

with the costs of losses.py for a single sample (no 1/n). Every function is written the
plain way, with nothing shared with the fast core, so that the tests can hold the fast,
batch-major network against it as an independent oracle: ``gradients(net, X, Y)`` must
equal ``net.gradients(X, Y)`` up to rounding. It is far too slow to train with.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(z) / np.exp(z).sum()


# name -> (f, f'); softmax's f' is never needed (its delta is fused with the cost's)
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "identity": (lambda z: z, np.ones_like),
    "softmax": (softmax, None),
}


def cost_and_output_error(net: Any, z: np.ndarray, a: np.ndarray, y: np.ndarray
                          ) -> tuple[float, np.ndarray]:
    """The cost C of one sample, and delta[L] = dC/dz[L] (BP1), for net's loss and output."""
    if net.loss == "mse":  # C = ||a - y||^2, delta = 2 (a - y) * f'(z)
        output_derivative = ACTIVATIONS[net.output][1]
        return float(np.sum((a - y) ** 2)), 2.0 * (a - y) * output_derivative(z)
    if net.output == "softmax":  # C = -sum_j y_j log a_j, delta = a - y
        return -float(np.sum(y * np.log(a))), a - y
    # sigmoid outputs: C = -sum_j y_j log a_j + (1 - y_j) log(1 - a_j), delta = a - y
    return -float(np.sum(y * np.log(a) + (1.0 - y) * np.log(1.0 - a))), a - y


def backprop(net: Any, x: np.ndarray, y: np.ndarray
             ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The cost of the sample x (m_0, 1) with target y (m_L, 1), and its gradients
    dC/dW[l], dC/db[l] for l = 1..L (lists from 0, as net.weights)."""
    L = net.n_layers
    W = [None, *net.weights]
    b = [None, *(bias[:, None] for bias in net.biases)]
    f, f_prime = ACTIVATIONS[net.activation]
    f_output = ACTIVATIONS[net.output][0]

    a, z = [x] + [None] * L, [None] * (L + 1)
    for l in range(1, L + 1):
        z[l] = W[l] @ a[l - 1] + b[l]
        a[l] = f_output(z[l]) if l == L else f(z[l])

    delta = [None] * (L + 1)
    cost, delta[L] = cost_and_output_error(net, z[L], a[L], y)
    for l in range(L - 1, 0, -1):
        delta[l] = (W[l + 1].T @ delta[l + 1]) * f_prime(z[l])

    nabla_w = [delta[l] @ a[l - 1].T for l in range(1, L + 1)]
    nabla_b = [delta[l][:, 0] for l in range(1, L + 1)]
    return cost, nabla_w, nabla_b


def gradients(net: Any, X: np.ndarray, Y: np.ndarray
              ) -> tuple[float, list[np.ndarray], list[np.ndarray]]:
    """The cost and its gradients averaged over the rows of X and Y, one sample at a time:
    what ``net.gradients(X, Y)`` computes for the whole batch at once.

    ``net`` is any object with the attributes of a :class:`nnrun.core.Network` that this
    reads: ``n_layers``, ``weights``, ``biases``, ``activation``, ``output`` and ``loss``.
    """
    n = len(X)
    cost = 0.0
    nabla_w = [np.zeros_like(W, dtype=float) for W in net.weights]
    nabla_b = [np.zeros_like(bias, dtype=float) for bias in net.biases]
    for x, y in zip(X, Y, strict=True):
        sample_cost, sample_nabla_w, sample_nabla_b = backprop(net, x[:, None], y[:, None])
        cost += sample_cost / n
        nabla_w = [total + g / n for total, g in zip(nabla_w, sample_nabla_w, strict=True)]
        nabla_b = [total + g / n for total, g in zip(nabla_b, sample_nabla_b, strict=True)]
    return cost, nabla_w, nabla_b

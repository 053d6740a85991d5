"""Where a training step's time goes: each part of one step of the core, timed alone.

For the two networks of ``core_speed.py`` (float32, one BLAS thread, momentum SGD) it prints
microseconds per batch for the whole step (``backprop`` plus the optimizer's update), for the
eight matrix products, and for each element-wise part: bias adds, activations and their
derivatives, softmax, cost, output delta, bias gradients, the update, the gradient norms and
the predictions the trainer records. Each part runs on arrays that are hot in cache, so the
sum is a floor: inside a real step the parts evict each other's data and cost more.

Compare "everything but the products" with the budget a throughput target leaves, for example
1.3x a PyTorch step of T microseconds leaves T / 1.3 minus the products.
Run: python benchmarks/core_breakdown.py
"""

from __future__ import annotations

import math
import timeit

import numpy as np
from threadpoolctl import threadpool_limits

from nnrun.core import ACTIVATIONS, LOSSES, Network, make_optimizer
from nnrun.core.activations import relu, relu_derivative, softmax

CASES = [([40, 100, 100, 10], 100), ([784, 256, 256, 10], 128)]


def best_us(function, number: int) -> float:
    """The fastest of seven timings, in microseconds a call."""
    return min(timeit.repeat(function, number=number, repeat=7)) / number * 1e6


def breakdown(sizes: list[int], batch_size: int) -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch_size, sizes[0])).astype(np.float32)
    Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch_size)]
    net = Network(sizes, activation="relu", loss="cross_entropy", dtype="float32", seed=0)
    opt = make_optimizer("momentum", lr=0.01)
    params, grads = [net.parameters], [net.gradient]
    for _ in range(2):  # workspaces, and the momentum buffer past its first step
        net.backprop(X, Y)
        opt.step(params, grads)
    ws = net.last_pass
    L = net.n_layers
    hidden = range(1, L)
    # indexed by layer l = 1..L, as in the core: the stored W[l]^T and dC/dW[l]^T
    W_T = [None] + [W.T for W in net.weights]
    dW_T = [None] + [dW.T for dW in net.grad_weights]
    flat = [g.reshape(-1) for g in dW_T[1:]]
    loss = LOSSES["cross_entropy"]["softmax"]
    ones = np.ones(batch_size, np.float32)
    number = max(20, int(20_000 / sum(m * k for m, k in zip(sizes, sizes[1:], strict=False))
                         * 100))

    def products() -> None:
        for l in range(1, L + 1):
            np.dot(ws.a[l - 1], W_T[l], ws.z[l])
        for l in range(L, 0, -1):
            np.dot(ws.a[l - 1].T, ws.delta[l], dW_T[l])
            if l > 1:
                np.dot(ws.delta[l], W_T[l].T, ws.delta[l - 1])

    parts = {
        "whole step (backprop + update)": lambda: (net.backprop(X, Y), opt.step(params, grads)),
        "the 8 matrix products": products,
        "bias adds": lambda: [np.add(ws.z[l], net.biases[l - 1], ws.z[l])
                              for l in range(1, L + 1)],
        "relu": lambda: [relu(ws.z[l], ws.a[l]) for l in hidden],
        "softmax": lambda: softmax(ws.z[L], ws.a[L], ws.log_sum_exp),
        "cost": lambda: loss.cost(ws.z[L], ws.a[L], Y, ws.log_sum_exp),
        "output delta": lambda: loss.delta(ws.z[L], ws.a[L], Y, ACTIVATIONS["softmax"],
                                           ws.delta[L]),
        "relu' times delta": lambda: [np.multiply(ws.delta[l], relu_derivative(
            ws.z[l], ws.a[l], ws.df[l]), ws.delta[l]) for l in hidden],
        "bias gradients": lambda: [np.dot(ones, ws.delta[l], net.grad_biases[l - 1])
                                   for l in range(1, L + 1)],
        "momentum update": lambda: opt.step(params, grads),
        "gradient norms": lambda: [math.sqrt(g.dot(g)) for g in flat],
        "predictions": lambda: ws.a[L].argmax(1),
    }
    return [(name, best_us(function, number)) for name, function in parts.items()]


def main() -> None:
    threadpool_limits(1)
    for sizes, batch_size in CASES:
        rows = breakdown(sizes, batch_size)
        print(f"\n{sizes}, batch {batch_size}, float32, one BLAS thread: µs per batch")
        for name, us in rows:
            print(f"  {name:<34}{us:>9.1f}")
        elementwise = sum(us for name, us in rows[2:])
        print(f"  {'everything but the products':<34}{elementwise:>9.1f}  (parts summed)")


if __name__ == "__main__":
    main()

"""Training throughput of nnrun's core against the BLAS ceiling and PyTorch.

For float32 on one BLAS thread it trains [40, 100, 100, 10] (batch 100) and
[784, 256, 256, 10] (batch 128), ReLU hidden layers and softmax cross-entropy,
on random data with momentum SGD and with Adam, and prints samples per second:

- nnrun: whole epochs of ``Trainer`` (shuffling, metrics and all);
- train_batch: the public per-batch API, ``Network.train_batch`` called on each
  mini-batch of a shuffled copy (no metrics), to show it is as fast;
- ceiling: the same step's eight matrix products alone (forward 3, backward
  3 dW and 2 delta), preallocated, with the operands laid out as the core
  lays them out (W^T stored contiguous): what BLAS allows with no other work;
- PyTorch (if importable): nn.Sequential with the same optimizer on the same
  shuffled batches, torch.set_num_threads(1).

The four are timed in turns, epoch by epoch, and each keeps its fastest epoch,
so that other load on the machine hurts them alike. The ceiling targets are
judged on the momentum rows (Adam's extra element-wise work is its own cost).
OPENBLAS_CORETYPE, if set, pins OpenBLAS's kernels; the line at the top shows
it and the architecture OpenBLAS picked. Run: python benchmarks/core_speed.py
"""

from __future__ import annotations

import os
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from nnrun.core import Network, Trainer, make_optimizer

CASES = [([40, 100, 100, 10], 100, 10_000), ([784, 256, 256, 10], 128, 5_120)]
OPTIMIZERS = {"momentum": dict(lr=0.01), "adam": dict(lr=1e-3)}
ROUNDS = 20  # best of many: the machine may be shared, and load only ever slows an epoch
# (sizes, optimizer) -> (minimum nnrun/PyTorch, minimum nnrun/ceiling)
TARGETS = {
    ("small", "momentum"): (3.0, 0.60),
    ("small", "adam"): (2.0, 0.60),
    ("large", "momentum"): (1.3, 0.75),
    ("large", "adam"): (None, 0.75),
}


def random_data(sizes: list[int], n_samples: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, sizes[0])).astype(np.float32)
    Y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], n_samples)]
    return X, Y


def nnrun_epochs(sizes, batch_size, X, Y, optimizer):
    """A function that trains one more epoch with nnrun's Trainer."""
    net = Network(sizes, activation="relu", loss="cross_entropy", dtype="float32", seed=0)
    trainer = Trainer(net, make_optimizer(optimizer, **OPTIMIZERS[optimizer]), X, Y,
                      batch_size=batch_size, epochs=ROUNDS + 1, seed=0)
    return lambda: trainer.run(until_epoch=trainer.epoch + 1)


def train_batch_epochs(sizes, batch_size, X, Y, optimizer):
    """A function that trains one more epoch by calling Network.train_batch batch by batch."""
    net = Network(sizes, activation="relu", loss="cross_entropy", dtype="float32", seed=0)
    opt = make_optimizer(optimizer, **OPTIMIZERS[optimizer])
    rng = np.random.default_rng(0)

    def epoch():
        order = rng.permutation(len(X))
        X_shuffled, Y_shuffled = X[order], Y[order]
        for begin in range(0, len(X), batch_size):
            net.train_batch(X_shuffled[begin:begin + batch_size],
                            Y_shuffled[begin:begin + batch_size], opt)

    return epoch


def ceiling_epochs(sizes, batch_size, n_samples):
    """A function that runs one epoch's worth of the step's matrix products alone."""
    rng = np.random.default_rng(0)
    weights_T = [rng.standard_normal((m_prev, m)).astype(np.float32)
                 for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True)]
    grads_T = [np.empty_like(W_T) for W_T in weights_T]
    activations = [rng.standard_normal((batch_size, m)).astype(np.float32) for m in sizes]
    deltas = [np.ones((batch_size, m), np.float32) for m in sizes]
    L = len(weights_T)

    def epoch():
        for _ in range(-(-n_samples // batch_size)):
            for l in range(1, L + 1):
                np.matmul(activations[l - 1], weights_T[l - 1], out=activations[l])
            for l in range(L, 0, -1):
                np.matmul(activations[l - 1].T, deltas[l], out=grads_T[l - 1])
                if l > 1:
                    np.matmul(deltas[l], weights_T[l - 1].T, out=deltas[l - 1])

    return epoch


def torch_epochs(torch, sizes, batch_size, X, Y, optimizer):
    """A function that trains one more epoch of the same network in PyTorch."""
    torch.manual_seed(0)
    layers = []
    for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(m_prev, m), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    if optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X_all, labels_all = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
    rng = np.random.default_rng(0)

    def epoch():
        order = torch.from_numpy(rng.permutation(len(X)))
        X_shuffled, labels = X_all[order], labels_all[order]
        for begin in range(0, len(X), batch_size):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_shuffled[begin:begin + batch_size]),
                           labels[begin:begin + batch_size])
            loss.backward()
            opt.step()
            loss.item()  # nnrun returns every batch's cost; so does this

    return epoch


def fastest_epochs(runners: dict) -> dict[str, float]:
    """Each runner's fastest epoch in seconds, timed in turns after a warm-up."""
    best = dict.fromkeys(runners, float("inf"))
    for run in runners.values():
        run()  # warm-up: workspaces, optimizer state, BLAS
    for _ in range(ROUNDS):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def verdicts(label: str, targets: tuple, optimizer: str, of_ceiling: float,
             batch_of_ceiling: float, vs_torch: float | None,
             batch_vs_torch: float | None) -> list[str]:
    """The PASS / MISS / SKIP lines of one case against its targets."""
    torch_target, ceiling_target = targets
    lines = []
    if torch_target is not None:
        if vs_torch is None:
            lines.append(f"SKIP  {label}: >= {torch_target}x PyTorch (torch absent)")
        else:
            verdict = "PASS" if min(vs_torch, batch_vs_torch) >= torch_target else "MISS"
            lines.append(f"{verdict}  {label}: >= {torch_target}x PyTorch: {vs_torch:.2f}x "
                         f"(train_batch {batch_vs_torch:.2f}x)")
    if optimizer == "momentum":
        verdict = "PASS" if min(of_ceiling, batch_of_ceiling) > ceiling_target else "MISS"
        lines.append(f"{verdict}  {label}: > {ceiling_target:.0%} of BLAS ceiling: "
                     f"{of_ceiling:.0%} (train_batch {batch_of_ceiling:.0%})")
    return lines


def main() -> None:
    threadpool_limits(1)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    blas = [(info.get("internal_api"), info.get("version"), info.get("architecture"))
            for info in threadpool_info() if info.get("user_api") == "blas"]
    print(f"numpy {np.__version__}; BLAS {blas}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"torch {torch.__version__ if torch else 'not installed'}; float32, one thread; "
          f"best of {ROUNDS} epochs each, timed in turns\n")
    header = (f"{'network':<20}{'batch':>6} {'optimizer':<9}{'nnrun/s':>11}{'ceiling/s':>11}"
              f"{'of ceiling':>11}{'PyTorch/s':>11}{'nnrun/PyTorch':>14}{'train_batch/s':>14}")
    print(header)
    print("-" * len(header))
    summary = []
    for (sizes, batch_size, n_samples), size_name in zip(CASES, ("small", "large"), strict=True):
        X, Y = random_data(sizes, n_samples)
        for optimizer in OPTIMIZERS:
            runners = {"nnrun": nnrun_epochs(sizes, batch_size, X, Y, optimizer),
                       "train_batch": train_batch_epochs(sizes, batch_size, X, Y, optimizer),
                       "ceiling": ceiling_epochs(sizes, batch_size, n_samples)}
            if torch is not None:
                runners["torch"] = torch_epochs(torch, sizes, batch_size, X, Y, optimizer)
            best = fastest_epochs(runners)
            speed = {name: n_samples / seconds for name, seconds in best.items()}
            of_ceiling = speed["nnrun"] / speed["ceiling"]
            vs_torch = speed["nnrun"] / speed["torch"] if torch is not None else None
            batch_of_ceiling = speed["train_batch"] / speed["ceiling"]
            batch_vs_torch = speed["train_batch"] / speed["torch"] if torch is not None else None
            torch_text = (f"{speed['torch']:>11,.0f}{vs_torch:>13.2f}x" if torch
                          else f"{'-':>11}{'-':>14}")
            print(f"{str(sizes):<20}{batch_size:>6} {optimizer:<9}{speed['nnrun']:>11,.0f}"
                  f"{speed['ceiling']:>11,.0f}{of_ceiling:>10.0%} {torch_text}"
                  f"{speed['train_batch']:>14,.0f}")
            summary += verdicts(f"{size_name} {sizes} {optimizer}", TARGETS[(size_name, optimizer)],
                                optimizer, of_ceiling, batch_of_ceiling, vs_torch,
                                batch_vs_torch)
    print("\ntargets")
    for line in summary:
        print(line)


if __name__ == "__main__":
    main()

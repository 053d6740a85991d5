"""Learning-rate schedules: callables epoch_index (0-based) -> learning rate.

As in torch.optim.lr_scheduler, stepped once per epoch:

- ``constant``:    lr
- ``step``:        lr * gamma^(epoch // step_size); gamma 0.1, step_size max(1, epochs // 3)
- ``exponential``: lr * gamma^epoch; gamma 0.95
- ``cosine``:      min_lr + (lr - min_lr) (1 + cos(pi epoch / epochs)) / 2, from lr at
                   epoch 0 down towards min_lr at epoch ``epochs``
                   (CosineAnnealingLR with T_max = epochs)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable


def constant(epoch: int, lr: float) -> float:
    return lr


def step(epoch: int, lr: float, step_size: int, gamma: float) -> float:
    return lr * gamma ** (epoch // step_size)


def exponential(epoch: int, lr: float, gamma: float) -> float:
    return lr * gamma**epoch


def cosine(epoch: int, lr: float, epochs: int, min_lr: float) -> float:
    return min_lr + (lr - min_lr) * (1.0 + math.cos(math.pi * epoch / epochs)) / 2.0


# name -> (lr, epochs, step_size, gamma, min_lr) -> the schedule, its defaults filled in
SCHEDULES: dict[str, Callable[..., Callable[[int], float]]] = {
    "constant": lambda lr, epochs, step_size, gamma, min_lr: functools.partial(constant, lr=lr),
    "step": lambda lr, epochs, step_size, gamma, min_lr: functools.partial(
        step, lr=lr, step_size=step_size if step_size is not None else max(1, epochs // 3),
        gamma=gamma if gamma is not None else 0.1,
    ),
    "exponential": lambda lr, epochs, step_size, gamma, min_lr: functools.partial(
        exponential, lr=lr, gamma=gamma if gamma is not None else 0.95
    ),
    "cosine": lambda lr, epochs, step_size, gamma, min_lr: functools.partial(
        cosine, lr=lr, epochs=epochs, min_lr=min_lr
    ),
}


def make_schedule(
    name: str,
    lr: float,
    epochs: int,
    step_size: int | None = None,
    gamma: float | None = None,
    min_lr: float = 0.0,
) -> Callable[[int], float]:
    """The schedule ``name`` as a callable epoch_index (0-based) -> learning rate."""
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if step_size is not None and step_size < 1:
        raise ValueError(f"step_size must be >= 1, got {step_size}")
    return SCHEDULES[name](float(lr), int(epochs), step_size, gamma, float(min_lr))

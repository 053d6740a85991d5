"""From a trial's resolved config and its data set to the network it trains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nnrun.core import Network
    from nnrun.data import Dataset


def network_sizes(config: dict[str, Any], dataset: Dataset) -> list[int]:
    """Layer widths: inputs, the hidden layers of ``model.hidden``, outputs."""
    return [dataset.n_features, *config["model"]["hidden"], dataset.n_outputs]


def memory_estimate(config: dict[str, Any], dataset: Dataset) -> tuple[int, int, int]:
    """Bytes a trial of ``config`` needs at the least, to tell an impossible network early:
    (total, parameter-sized arrays, work arrays).

    The parameter-sized arrays are the weights and biases, their gradient, the optimizer's
    buffers and scratch, and the best weights under early stopping. The work arrays are the
    network's z, a, delta and f' of every layer, held at once for a training batch and for the
    largest split, which evaluation passes through whole. The data set and Python are not
    counted.
    """
    sizes = network_sizes(config, dataset)
    n_parameters = sum((m_prev + 1) * m for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True))
    buffers = {"sgd": 0, "adam": 2}.get(config["optimizer"]["name"], 1)
    early_stopping = config["train"].get("early_stopping") is not None
    parameter_arrays = 4 + buffers + early_stopping  # + parameters, gradient, work, decayed
    batch = min(int(config["train"]["batch_size"]), len(dataset.X_train))
    largest = max(len(dataset.X_train), len(dataset.X_val), len(dataset.X_test))
    rows = largest + (batch if batch != largest else 0)  # one work space per distinct size
    itemsize = np.dtype(config["train"]["dtype"]).itemsize
    parameter_bytes = itemsize * parameter_arrays * n_parameters
    work_bytes = itemsize * 4 * rows * sum(sizes[1:])
    return parameter_bytes + work_bytes, parameter_bytes, work_bytes


# The fixed cost of one training step (numpy's calls for every layer, the optimizer's), in
# multiply-adds of the same time: about 40 µs at the 25-50 GFLOP/s of one core. What makes a
# small batch of a small network cost more than its products.
STEP_OVERHEAD_MACS = 1.0e6
# Multiply-adds an optimizer's update costs a parameter, in the time of its element-wise passes.
UPDATE_MACS_PER_PARAMETER = 10
# Multiply-adds a hidden unit's activation and its derivative cost a row, likewise (tanh and the
# logistic function are computed, ReLU is a comparison).
ACTIVATION_MACS = {"relu": 10, "tanh": 70, "sigmoid": 80}


def training_cost(config: dict[str, Any], dataset: Dataset) -> float:
    """A rough estimate of the work of training a trial of ``config`` to its last epoch, in
    multiply-adds: per step, 3 b W for the forward and backward products (a batch of b rows,
    W weights), the activations of b rows of hidden units, an update of every parameter and a
    fixed overhead; per epoch, the steps over the training split and a forward pass over the
    validation split.

    Only the order it puts trials in is used (the longest first, see
    :class:`nnrun.search.FixedSource`); early stopping is not counted.
    """
    sizes = network_sizes(config, dataset)
    n_weights = sum(m_prev * m for m_prev, m in zip(sizes[:-1], sizes[1:], strict=True))
    n_parameters = n_weights + sum(sizes[1:])
    n_train = max(len(dataset.X_train), 1)
    batch = max(1, min(int(config["train"]["batch_size"]), n_train))
    steps = -(-n_train // batch)  # the last batch may be smaller
    activation = ACTIVATION_MACS[config["model"]["activation"]] * sum(sizes[1:-1])
    step = (batch * (3.0 * n_weights + activation) + UPDATE_MACS_PER_PARAMETER * n_parameters
            + STEP_OVERHEAD_MACS)
    epoch = steps * step + len(dataset.X_val) * n_weights
    return float(config["train"]["epochs"]) * epoch


def trial_seeds(seed: int) -> tuple[int, int]:
    """Two independent seeds from the trial seed: one for initialisation, one for shuffling."""
    init_seed, shuffle_seed = np.random.SeedSequence(seed).generate_state(2)
    return int(init_seed), int(shuffle_seed)


def build_network(config: dict[str, Any], dataset: Dataset, dtype: str | None = None
                  ) -> Network:
    """The network a trial config describes, initialised from the trial seed."""
    from nnrun.core import Network

    model = config["model"]
    init_seed, _ = trial_seeds(int(config["seed"]))
    return Network(network_sizes(config, dataset), activation=model["activation"],
                   loss=config["loss"], output=model["output"], init=model["init"],
                   seed=init_seed, dtype=dtype or config["train"]["dtype"], task=dataset.task)

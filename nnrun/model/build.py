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

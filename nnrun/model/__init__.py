"""A trial's network: its layer sizes, built and initialised from the trial's resolved config."""

from nnrun.model.build import (
    build_network,
    memory_estimate,
    network_sizes,
    training_cost,
    trial_seeds,
)

__all__ = ["build_network", "memory_estimate", "network_sizes", "training_cost",
           "trial_seeds"]

"""nnrun's numpy backpropagation core: networks, losses, optimizers, schedules, training.

Pure numpy: nothing here prints, reads files or knows about YAML. The modules:

- ``network``: the Network, batch-major forward and backward passes (the notation and
  the one layer index convention are at its top);
- ``activations`` and ``losses``: the (f, f') and (C, delta) pairs, keyed by the names a
  user writes;
- ``optimizers`` and ``schedules``: the update rules of torch.optim, the learning-rate
  schedules;
- ``training``: the Trainer, mini-batch SGD with its metrics, early stopping and resume;
- ``gradcheck``: backprop against central differences;
- ``reference``: the same backpropagation one sample at a time, the slow and obvious
  version that the tests hold the fast one against;
- ``_kernels``: the in-place numerical kernels that make the rest fast, each named after
  what it computes.
"""

from nnrun.core.activations import ACTIVATIONS
from nnrun.core.gradcheck import gradcheck
from nnrun.core.losses import LOSSES
from nnrun.core.network import INITS, Network, Workspace
from nnrun.core.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from nnrun.core.schedules import SCHEDULES, make_schedule
from nnrun.core.training import Trainer

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "Network",
    "Optimizer",
    "Trainer",
    "Workspace",
    "gradcheck",
    "make_optimizer",
    "make_schedule",
]

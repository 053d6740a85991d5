"""nnrun's numpy backpropagation core: networks, losses, optimizers, schedules, training.

Pure numpy: nothing here prints, reads files or knows about YAML.
"""

from nnrun.core.activations import ACTIVATIONS
from nnrun.core.gradcheck import gradcheck
from nnrun.core.losses import LOSSES
from nnrun.core.network import INITS, Network
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
    "gradcheck",
    "make_optimizer",
    "make_schedule",
]

"""Optimizers with the update rules of ``torch.optim``'s documented algorithms.

Each optimizer updates a list of parameter arrays in place from a list of
gradient arrays of the same shapes: ``opt.step(params, grads)``. Its state
(momentum buffers, running averages, step count) is kept per position in that
list, so always pass the same arrays in the same order.
``Network.train_batch`` passes the network's single flat parameter vector,
which makes one update a handful of numpy calls whatever the depth.

``weight_decay`` is added to the gradient, g = g + wd * theta, before the rule,
as ``torch.optim`` does (L2 regularisation, not AdamW's decoupled decay).
The gradient arrays passed in are never modified, and a step allocates nothing:
each parameter array has a scratch array ``work`` (and ``decayed`` for the
decayed gradient) beside its buffers.

The SGD family is written with numpy's in-place operators, as its update rule
reads, and ``_kernels.scale`` for c x into the scratch array; its scalars enter
as 0-d arrays of the parameters' dtype (``_kernels.constant``), which a ufunc
takes faster than a Python float (on the small networks of a sweep, a Python
float costs more than the arithmetic).
RMSprop, Adagrad and Adam chain more operations over the whole parameter vector;
written with operators, their update took 17-30% longer on a network of 270,000
parameters (1-3% of a training step, benchmarks/core_breakdown.py), so they call
the fused in-place kernels of ``_kernels`` (``lerp``, ``decay_and_add_square``,
``adaptive_step``), each named after the formula it computes.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np

from nnrun.core import _kernels as kernels


class Optimizer:
    """Shared machinery: hyperparameters, lazily created state, repr and state dicts."""

    hyperparameters: tuple[str, ...] = ("lr", "weight_decay")
    buffers: tuple[str, ...] = ()

    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        if not lr >= 0.0:
            raise ValueError(f"learning rate must be >= 0, got {lr}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self.steps = 0
        self.state: list[dict[str, np.ndarray]] = []

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({values})"

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update every array of ``params`` in place from the matching gradient."""
        if len(self.state) != len(params):
            self.state = [{} for _ in params]
        self.steps += 1
        for theta, grad, state in zip(params, grads, self.state, strict=True):
            if "work" not in state:  # a new array, or only the buffers of a loaded state
                self._add_missing_buffers(state, theta)
            if self.weight_decay:
                # g = g + wd theta, into a buffer: the caller's gradient stays as it was
                decayed = kernels.scale(theta, self.weight_decay, state["decayed"])
                decayed += grad
                grad = decayed
            self._update(theta, grad, state)

    def _add_missing_buffers(self, state: dict[str, np.ndarray], theta: np.ndarray) -> None:
        for name in self.buffers + ("work", "decayed"):
            if name not in state:
                state[name] = np.zeros_like(theta)

    def _update(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyperparameters, the step count and copies of every state buffer."""
        return {
            "name": type(self).__name__,
            "hyperparameters": {name: getattr(self, name) for name in self.hyperparameters},
            "steps": self.steps,
            "state": [{name: state[name].copy() for name in self.buffers} for state in self.state],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (also into a freshly made optimizer)."""
        if state_dict["name"] != type(self).__name__:
            raise ValueError(
                f"state of a {state_dict['name']} cannot be loaded into {type(self).__name__}"
            )
        for name, value in state_dict["hyperparameters"].items():
            setattr(self, name, value)
        self.steps = state_dict["steps"]
        self.state = [{name: array.copy() for name, array in saved.items()}
                      for saved in state_dict["state"]]


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as torch.optim.SGD.

        b_1 = g_1,  b_t = mu b_{t-1} + (1 - dampening) g_t      (only if mu != 0)
        g_t <- g_t + mu b_t if nesterov else b_t
        theta_t = theta_{t-1} - lr g_t
    """

    hyperparameters = ("lr", "momentum", "dampening", "nesterov", "weight_decay")
    buffers = ("momentum_buffer",)

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(lr, weight_decay)
        if not momentum >= 0.0:
            raise ValueError(f"momentum must be >= 0, got {momentum}")
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError("Nesterov momentum needs momentum > 0 and zero dampening")
        self.momentum = float(momentum)
        self.dampening = float(dampening)
        self.nesterov = bool(nesterov)
        if not self.momentum:
            self.buffers = ()

    def _update(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        work, step = state["work"], grad
        if self.momentum:
            b, mu = state["momentum_buffer"], kernels.constant(self.momentum, theta.dtype)
            if self.steps == 1:
                np.copyto(b, grad)  # b_1 = g_1
            else:  # b_t = mu b_{t-1} + (1 - dampening) g_t
                b *= mu
                b += kernels.scale(grad, 1.0 - self.dampening, work) if self.dampening else grad
            if self.nesterov:  # g_t + mu b_t
                step = kernels.scale(b, self.momentum, work)
                step += grad
            else:
                step = b
        theta -= kernels.scale(step, self.lr, work)  # theta_t = theta_{t-1} - lr g_t


class Momentum(SGD):
    """SGD with heavy-ball momentum, mu = 0.9 unless given.

        b_1 = g_1,  b_t = mu b_{t-1} + g_t
        theta_t = theta_{t-1} - lr b_t
        (g_t includes wd * theta_{t-1} when weight_decay > 0)
    """

    def __init__(
        self, lr: float, momentum: float = 0.9, dampening: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr, momentum, dampening, weight_decay, nesterov=False)


class Nesterov(SGD):
    """SGD with Nesterov momentum (torch's formulation), mu = 0.9 unless given.

        b_1 = g_1,  b_t = mu b_{t-1} + g_t
        theta_t = theta_{t-1} - lr (g_t + mu b_t)
        (g_t includes wd * theta_{t-1} when weight_decay > 0)
    """

    def __init__(self, lr: float, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        super().__init__(lr, momentum, 0.0, weight_decay, nesterov=True)


class RMSprop(Optimizer):
    """RMSprop as torch.optim.RMSprop (not centred, no momentum).

        v_0 = 0
        v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        theta_t = theta_{t-1} - lr g_t / (sqrt(v_t) + eps)
    """

    hyperparameters = ("lr", "alpha", "eps", "weight_decay")
    buffers = ("square_avg",)

    def __init__(
        self, lr: float, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0
    ) -> None:
        super().__init__(lr, weight_decay)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.eps = float(eps)

    def _update(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        v, work = state["square_avg"], state["work"]
        # v_t = alpha v_{t-1} + (1 - alpha) g_t^2
        kernels.decay_and_add_square(v, grad, self.alpha, 1.0 - self.alpha, work)
        # theta_t = theta_{t-1} - lr g_t / (sqrt(v_t) + eps)
        kernels.adaptive_step(theta, self.lr, grad, v, self.eps, work)


class Adagrad(Optimizer):
    """Adagrad as torch.optim.Adagrad with lr_decay = 0 and a zero initial accumulator.

        s_0 = 0
        s_t = s_{t-1} + g_t^2
        theta_t = theta_{t-1} - lr g_t / (sqrt(s_t) + eps)
    """

    hyperparameters = ("lr", "eps", "weight_decay")
    buffers = ("sum",)

    def __init__(self, lr: float, eps: float = 1e-10, weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        self.eps = float(eps)

    def _update(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        s, work = state["sum"], state["work"]
        kernels.add_square(s, grad, work)  # s_t = s_{t-1} + g_t^2
        # theta_t = theta_{t-1} - lr g_t / (sqrt(s_t) + eps)
        kernels.adaptive_step(theta, self.lr, grad, s, self.eps, work)


class Adam(Optimizer):
    """Adam with bias correction, as torch.optim.Adam (amsgrad off).

        m_t = beta1 m_{t-1} + (1 - beta1) g_t,    v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        m_hat = m_t / (1 - beta1^t),              v_hat = v_t / (1 - beta2^t)
        theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")
    buffers = ("exp_avg", "exp_avg_sq")

    def __init__(
        self,
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(lr, weight_decay)
        beta1, beta2 = (float(beta) for beta in betas)
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {tuple(betas)}")
        self.betas = (beta1, beta2)
        self.eps = float(eps)

    def _update(self, theta: np.ndarray, grad: np.ndarray, state: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        m, v, work = state["exp_avg"], state["exp_avg_sq"], state["work"]
        # m_t = beta1 m_{t-1} + (1 - beta1) g_t, as m += (1 - beta1) (g - m) (torch's lerp)
        kernels.lerp(m, grad, 1.0 - beta1, work)
        # v_t = beta2 v_{t-1} + (1 - beta2) g_t^2
        kernels.decay_and_add_square(v, grad, beta2, 1.0 - beta2, work)
        # theta_t = theta_{t-1} - lr m_hat / (sqrt(v_hat) + eps), with m_hat = m_t / bc1 and
        # v_hat = v_t / bc2; in torch's order, (lr / bc1) m_t / (sqrt(v_t) / sqrt(bc2) + eps)
        bias_correction1 = 1.0 - beta1**self.steps
        bias_correction2 = 1.0 - beta2**self.steps
        kernels.adaptive_step(theta, self.lr / bias_correction1, m, v, self.eps, work,
                              root_scale=1.0 / math.sqrt(bias_correction2))


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "rmsprop": RMSprop,
    "adagrad": Adagrad,
    "adam": Adam,
}


def make_optimizer(
    name: str,
    lr: float,
    weight_decay: float = 0.0,
    momentum: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float | None = None,
    alpha: float = 0.99,
    **options: Any,
) -> Optimizer:
    """Build the optimizer ``name`` from the hyperparameters that apply to it.

    A setting the optimizer has no use for (``betas`` for SGD, say) is ignored, so
    a config can carry all of them. ``momentum=None`` keeps the optimizer's
    default (0 for sgd, 0.9 for momentum and nesterov); ``eps=None`` likewise
    (1e-8 for rmsprop and adam, 1e-10 for adagrad, as in torch.optim).
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    optimizer_class = OPTIMIZERS[name]
    given = {"weight_decay": weight_decay, "momentum": momentum, "betas": tuple(betas),
             "eps": eps, "alpha": alpha, **options}
    accepted = inspect.signature(optimizer_class).parameters
    unknown = set(options) - set(accepted)
    if unknown:
        raise ValueError(f"{name} takes no option {', '.join(sorted(unknown))}")
    kwargs = {key: value for key, value in given.items() if key in accepted and value is not None}
    return optimizer_class(lr, **kwargs)

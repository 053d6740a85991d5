"""Backpropagation checked against central finite differences."""

from __future__ import annotations

import numpy as np

from nnrun.core.network import Network

#: Floor of the relative error's denominator. Central differences in float64
#: carry a rounding error of about 1e-16 |C| / eps (1e-11 at eps = 1e-5), so a
#: gradient entry below 1e-3 -- which chance cancellation over the batch
#: produces now and then -- cannot be resolved to 1e-7 relative. Below the floor
#: the check becomes an absolute one, |a - n| / 1e-3, blind to nothing a
#: bug would do; two exact zeros (a dead ReLU unit) compare as equal.
RELATIVE_ERROR_FLOOR = 1e-3


def gradcheck(net: Network, X: np.ndarray, Y: np.ndarray, eps: float = 1e-6) -> float:
    """The largest relative error of backprop's gradient over every weight and bias.

    Each parameter theta is moved by +-eps and the numerical derivative
    n = (C(theta + eps) - C(theta - eps)) / (2 eps) compared with backprop's a as
    |a - n| / max(|a| + |n|, RELATIVE_ERROR_FLOOR) with the floor 1e-3 (see
    above). A correct smooth network scores below 1e-7 at eps = 1e-5, where
    truncation (~eps^2) and rounding (~1e-16 / eps) balance; at eps = 1e-6,
    rounding alone reaches a few 1e-7 for the smallest entries. The network
    must be float64: float32 cannot resolve the difference. The weights are
    left as found.
    """
    if net.dtype != np.float64:
        raise ValueError("gradcheck needs a float64 network (float32 cannot resolve eps)")
    net.gradients(X, Y)
    analytic = net.gradient.copy()  # flat, laid out as ``parameters``
    numeric = np.empty_like(analytic)
    theta = net.parameters
    for i in range(theta.size):
        original = theta[i]
        theta[i] = original + eps
        cost_plus = net.cost(X, Y)
        theta[i] = original - eps
        cost_minus = net.cost(X, Y)
        theta[i] = original
        numeric[i] = (cost_plus - cost_minus) / (2.0 * eps)
    error = np.abs(analytic - numeric) / np.maximum(
        np.abs(analytic) + np.abs(numeric), RELATIVE_ERROR_FLOOR
    )
    return float(error.max())

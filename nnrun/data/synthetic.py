"""The synthetic 2-D sets, drawn with numpy from a seed: xor, moons, circles, spirals, blobs.

Each generator takes (n_samples, noise, classes, rng) and returns X (n, 2) and integer labels.
"""

import math
import numbers
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nnrun.data._raw import Builder, Raw, check_seed, is_int
from nnrun.errors import DataError


def _counts(n_samples: int, parts: int) -> np.ndarray:
    """n_samples shared out as evenly as possible over `parts` groups."""
    return n_samples // parts + (np.arange(parts) < n_samples % parts)


def _xor(n_samples, noise, classes, rng):
    """Four Gaussian clusters at the corners (+-1, +-1); the label is the XOR of the two signs."""
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    corner = np.repeat(np.arange(4), _counts(n_samples, 4))
    X = corners[corner] + noise * rng.standard_normal((n_samples, 2))
    y = (corners[corner, 0] != corners[corner, 1]).astype(np.int64)
    return X, y


def _moons(n_samples, noise, classes, rng):
    """Two interleaving half circles, as sklearn.datasets.make_moons draws them."""
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, np.pi, n_outer)
    t_inner = np.linspace(0.0, np.pi, n_inner)
    outer = np.c_[np.cos(t_outer), np.sin(t_outer)]
    inner = np.c_[1.0 - np.cos(t_inner), 1.0 - np.sin(t_inner) - 0.5]
    X = np.vstack([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat(np.array([0, 1]), [n_outer, n_inner])
    return X, y


def _circles(n_samples, noise, classes, rng, factor=0.5):
    """Two concentric circles, radius 1 (label 0) and `factor` (label 1), as make_circles."""
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    t_outer = np.linspace(0.0, 2.0 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0.0, 2.0 * np.pi, n_inner, endpoint=False)
    outer = np.c_[np.cos(t_outer), np.sin(t_outer)]
    inner = factor * np.c_[np.cos(t_inner), np.sin(t_inner)]
    X = np.vstack([outer, inner]) + noise * rng.standard_normal((n_samples, 2))
    y = np.repeat(np.array([0, 1]), [n_outer, n_inner])
    return X, y


def _spirals(n_samples, noise, classes, rng):
    """`classes` spiral arms, as in CS231n: arm j has radius r in [0, 1] and angle
    t in [4j, 4(j+1)] plus Gaussian noise of standard deviation `noise` (CS231n uses 0.2)."""
    counts = _counts(n_samples, classes)
    y = np.repeat(np.arange(classes), counts)
    r = np.concatenate([np.linspace(0.0, 1.0, count) for count in counts])
    t = np.concatenate([np.linspace(4.0 * j, 4.0 * (j + 1), count)
                        for j, count in enumerate(counts)])
    t = t + noise * rng.standard_normal(n_samples)
    X = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y


def _blobs(n_samples, noise, classes, rng):
    """`classes` Gaussian clusters of standard deviation `noise`, their centres drawn uniformly
    in the square [-1, 1]^2 (make_blobs draws them in [-10, 10]^2 with standard deviation 1)."""
    centres = rng.uniform(-1.0, 1.0, size=(classes, 2))
    y = np.repeat(np.arange(classes), _counts(n_samples, classes))
    X = centres[y] + noise * rng.standard_normal((n_samples, 2))
    return X, y


SYNTHETIC: dict[str, Callable] = {
    "xor": _xor,
    "moons": _moons,
    "circles": _circles,
    "spirals": _spirals,
    "blobs": _blobs,
}
# Sets whose number of classes is the `classes` option; the others always have two.
_CLASSES_OPTION = {"spirals", "blobs"}


def _check_options(name: str, n_samples, noise, classes) -> None:
    if not is_int(classes) or classes < 2:
        raise DataError(f"data.classes must be an integer of at least 2, got {classes!r}",
                        "data.classes")
    n_classes = classes if name in _CLASSES_OPTION else 2
    if not is_int(n_samples) or n_samples < n_classes:
        raise DataError(
            f"data.n_samples must be an integer of at least {n_classes} for {name!r}, "
            f"got {n_samples!r}", "data.n_samples"
        )
    if (isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0
            or not math.isfinite(noise)):
        raise DataError(f"data.noise must be a finite number of at least 0, got {noise!r}",
                        "data.noise")


def make_synthetic(
    name: str, n_samples: int, noise: float, classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a built-in 2-D set: X float64 (n_samples, 2) and integer labels y (n_samples,).

    `classes` is the number of arms (spirals) or clusters (blobs); the others ignore it.
    The same arguments always give the same arrays.
    """
    if name not in SYNTHETIC:
        raise DataError(f"unknown synthetic data set {name!r}; allowed: {', '.join(SYNTHETIC)}")
    _check_options(name, n_samples, noise, classes)
    rng = np.random.default_rng(check_seed(seed))
    X, y = SYNTHETIC[name](int(n_samples), float(noise), int(classes), rng)
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


def synthetic_builder(name: str) -> Builder:
    """The builder of one synthetic set: drawn to data.n_samples points from the data seed."""

    def build(spec: dict, seed: int, base_dir: Path | None) -> Raw:
        X, y = make_synthetic(name, spec["n_samples"], spec["noise"], spec["classes"], seed)
        return Raw(X, y, ["x1", "x2"], f"data set {name!r}", task="classification",
                   size_key="data.n_samples")

    return build

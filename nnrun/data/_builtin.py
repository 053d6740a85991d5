"""The built-in sets that come from a package: scikit-learn's digits and MNIST-1D.

Both packages are imported inside the builders (the `data` extra): importing nnrun.data costs
numpy only, which keeps `nnrun --help` fast.
"""

import random
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnrun.data._raw import Raw
from nnrun.errors import DataError

EXTRA_HINT = "pip install 'nnrun[data]'"


def _import_error(dataset: str, package: str, error: ImportError) -> DataError:
    return DataError(
        f"data set {dataset!r} needs the {package} package, which cannot be imported "
        f"({error}): {EXTRA_HINT}"
    )


def digits(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """scikit-learn's 8x8 handwritten digits: 1797 samples, 64 pixels, read from the package."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise _import_error("digits", "scikit-learn", error) from error
    bunch = load_digits()
    return Raw(bunch.data, bunch.target, list(bunch.feature_names), "data set 'digits'",
               task="classification")


@lru_cache(maxsize=4)
def mnist1d_arrays(seed: int) -> tuple[np.ndarray, ...]:
    """MNIST-1D from the package's default arguments and `seed`: generated from its templates
    (make_dataset never downloads; only get_dataset does). About 1 s, so a process keeps the
    last few; the arrays are read-only because every caller shares them."""
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as error:
        raise _import_error("mnist1d", "mnist1d", error) from error
    args = get_dataset_args()
    args.seed = seed % 2**32  # make_dataset seeds numpy's legacy global generator
    # make_dataset reseeds the global `random` and `np.random` generators: put them back.
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    arrays = tuple(np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test"))
    for array in arrays:
        array.flags.writeable = False
    return arrays


def mnist1d(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """MNIST-1D: 5000 signals of length 40, 10 classes; its own split, 4000 train, 1000 test."""
    X, y, X_test, y_test = mnist1d_arrays(seed)
    names = [f"x{j + 1}" for j in range(X.shape[1])]
    return Raw(X, y, names, "data set 'mnist1d'", task="classification",
               X_test=X_test, y_test=y_test)

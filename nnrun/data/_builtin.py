"""The built-in sets that come from a package: scikit-learn's digits and MNIST-1D.

Both packages are imported inside the builders (the `data` extra): importing nnrun.data costs
numpy only, which keeps `nnrun --help` fast. Their raw arrays are kept in the on-disk cache
(nnrun.data.disk_cache), keyed by the arguments and the package versions that make them: a
warm cache imports neither package (importing mnist1d alone takes seconds).
"""

import random
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnrun.data import disk_cache
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
    key = disk_cache.entry_key("digits", {}, ("scikit-learn",))
    arrays = disk_cache.cached_arrays(key, _load_digits)
    return Raw(arrays["data"], arrays["target"], [str(name) for name in arrays["names"]],
               "data set 'digits'", task="classification")


def _load_digits() -> dict[str, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise _import_error("digits", "scikit-learn", error) from error
    bunch = load_digits()
    return {"data": bunch.data, "target": bunch.target,
            "names": np.array(list(bunch.feature_names), dtype=str)}


@lru_cache(maxsize=4)
def mnist1d_arrays(seed: int) -> tuple[np.ndarray, ...]:
    """MNIST-1D from the package's default arguments and `seed`: generated from its templates
    (make_dataset never downloads; only get_dataset does). Seconds (with the import), so the
    arrays are kept on disk (keyed by the seed and the versions of mnist1d and numpy) and a
    process keeps the last few; they are read-only because every caller shares them."""
    key = disk_cache.entry_key("mnist1d", {"seed": seed % 2**32}, ("mnist1d",))
    arrays = disk_cache.cached_arrays(key, lambda: _generate_mnist1d(seed))
    return tuple(arrays[name] for name in ("x", "y", "x_test", "y_test"))


def _generate_mnist1d(seed: int) -> dict[str, np.ndarray]:
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
    return {key: np.asarray(data[key]) for key in ("x", "y", "x_test", "y_test")}


def mnist1d(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """MNIST-1D: 5000 signals of length 40, 10 classes; its own split, 4000 train, 1000 test."""
    X, y, X_test, y_test = mnist1d_arrays(seed)
    names = [f"x{j + 1}" for j in range(X.shape[1])]
    return Raw(X, y, names, "data set 'mnist1d'", task="classification",
               X_test=X_test, y_test=y_test)

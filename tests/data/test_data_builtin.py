"""nnrun.data._builtin: scikit-learn's digits and MNIST-1D, and what a missing package says."""

import random
import sys

import numpy as np
import pytest
from helpers.datasets import all_arrays, check_stratified, check_well_formed, labels, load

from nnrun.data import Dataset
from nnrun.data._builtin import mnist1d_arrays
from nnrun.errors import DataError


@pytest.fixture(scope="module")
def mnist1d() -> Dataset:
    """Generating MNIST-1D takes about a second (plus 1.5 s to import it): do it once."""
    return load("mnist1d", standardize=False)


def test_digits_shapes_and_stratified_split(digits):
    check_well_formed(digits, 10, 64)
    assert digits.feature_names[:2] == ["pixel_0_0", "pixel_0_1"]
    assert len(digits.X_train) + len(digits.X_val) + len(digits.X_test) == 1797
    assert len(digits.X_val) == len(digits.X_test) == round(0.2 * 1797)
    check_stratified(digits)


def test_digits_split_depends_on_the_seed(digits):
    for a, b in zip(all_arrays(digits), all_arrays(load("digits")), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(digits.X_train, load("digits", seed=1).X_train)


def test_mnist1d_keeps_its_own_test_split(mnist1d):
    check_well_formed(mnist1d, 10, 40)
    assert len(mnist1d.X_train) + len(mnist1d.X_val) == 4000
    assert (len(mnist1d.X_val), len(mnist1d.X_test)) == (1000, 1000)
    # Independent oracle: the package itself, with its default arguments and our seed.
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.seed = 0
    own = make_dataset(args)
    np.testing.assert_array_equal(mnist1d.X_test, own["x_test"])
    np.testing.assert_array_equal(labels(mnist1d.Y_test), own["y_test"])
    train_val = np.concatenate([mnist1d.X_train, mnist1d.X_val])
    assert sorted(map(tuple, train_val)) == sorted(map(tuple, own["x"]))
    assert np.bincount(labels(mnist1d.Y_val), minlength=10).min() >= 90  # stratified


def test_mnist1d_depends_on_the_seed_and_leaves_global_generators_alone(mnist1d):
    np.random.seed(123)
    random.seed(123)
    expected = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    other = load("mnist1d", seed=1, standardize=False)
    assert (np.random.random(), random.random()) == expected
    assert not np.array_equal(other.X_test, mnist1d.X_test)


@pytest.mark.parametrize(
    ("dataset", "modules", "package"),
    [("digits", ["sklearn", "sklearn.datasets"], "scikit-learn"),
     ("mnist1d", ["mnist1d", "mnist1d.data"], "mnist1d")],
)
def test_missing_extra_says_how_to_install_it(monkeypatch, tmp_path, dataset, modules,
                                              package):
    monkeypatch.setenv("NNRUN_CACHE_DIR", str(tmp_path))  # an empty cache: the package is needed
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    mnist1d_arrays.cache_clear()
    message = rf"needs the {package} package.*pip install 'nnrun\[data\]'"
    with pytest.raises(DataError, match=message):
        load(dataset, seed=7)

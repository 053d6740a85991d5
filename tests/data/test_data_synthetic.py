"""nnrun.data.synthetic: the 2-D sets, drawn from the seed, and their options."""

import numpy as np
import pytest
from helpers.datasets import all_arrays, check_stratified, check_well_formed, load

from nnrun.data import make_synthetic
from nnrun.errors import DataError

SYNTHETIC = ["xor", "moons", "circles", "spirals", "blobs"]


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_set_shapes_dtypes_and_split_sizes(name):
    ds = load(name, n_samples=500, classes=4)
    n_classes = 4 if name in ("spirals", "blobs") else 2
    check_well_formed(ds, n_classes, 2)
    assert ds.name == name and ds.feature_names == ["x1", "x2"]
    assert (len(ds.X_train), len(ds.X_val), len(ds.X_test)) == (300, 100, 100)
    check_stratified(ds)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_synthetic_set_depends_on_seed_only(name):
    first, again, other = load(name, seed=3), load(name, seed=3), load(name, seed=4)
    for a, b in zip(all_arrays(first), all_arrays(again), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.X_train, other.X_train)


@pytest.mark.parametrize("name", SYNTHETIC)
def test_make_synthetic_returns_raw_points_and_integer_labels(name):
    X, y = make_synthetic(name, 101, 0.1, 3, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    n_classes = 3 if name in ("spirals", "blobs") else 2
    counts = sorted(np.bincount(y).tolist())  # shared out as evenly as possible
    assert counts == sorted(np.bincount(np.arange(101) % n_classes).tolist())
    X2, y2 = make_synthetic(name, 101, 0.1, 3, seed=0)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, make_synthetic(name, 101, 0.1, 3, seed=1)[0])


def test_xor_label_is_the_xor_of_the_signs():
    X, y = make_synthetic("xor", 400, 0.1, 2, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))


def test_circles_without_noise_lie_on_radius_1_and_half():
    X, y = make_synthetic("circles", 200, 0.0, 2, seed=0)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.5)


def test_moons_without_noise_are_two_unit_half_circles():
    X, y = make_synthetic("moons", 200, 0.0, 2, seed=0)
    np.testing.assert_allclose(np.hypot(X[y == 0, 0], X[y == 0, 1]), 1.0)
    assert (X[y == 0, 1] >= -1e-12).all()
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1.0, X[y == 1, 1] - 0.5), 1.0)
    assert (X[y == 1, 1] <= 0.5 + 1e-12).all()


def test_spirals_without_noise_follow_the_cs231n_arms():
    X, y = make_synthetic("spirals", 300, 0.0, 3, seed=0)
    arm = X[y == 1]
    t = np.linspace(4.0, 8.0, 100)
    r = np.linspace(0.0, 1.0, 100)
    np.testing.assert_allclose(arm, np.c_[r * np.sin(t), r * np.cos(t)], atol=1e-12)


def test_blobs_noise_is_the_cluster_spread():
    X, y = make_synthetic("blobs", 3000, 0.05, 3, seed=0)
    for c in range(3):
        np.testing.assert_allclose(X[y == c].std(axis=0), 0.05, rtol=0.15)


@pytest.mark.parametrize(
    ("options", "message"),
    [({"n_samples": 2, "classes": 3}, "n_samples must be an integer of at least 3"),
     ({"n_samples": 10.5}, "n_samples must be an integer"),
     ({"noise": -0.1}, "noise must be a finite number of at least 0"),
     ({"classes": 1}, "classes must be an integer of at least 2")],
)
def test_bad_synthetic_options_are_data_errors(options, message):
    with pytest.raises(DataError, match=message):
        load("blobs", **options)

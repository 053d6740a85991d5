"""nnrun.data._splits: the task rule, label encoding, stratified splits and standardisation."""

import numpy as np
import pytest
from helpers.datasets import csv_error, load, write_csv

from nnrun.data import load_dataset, make_synthetic


@pytest.mark.parametrize(
    ("values", "task", "classes"),
    [([3, 1, 2] * 10, "classification", ["1", "2", "3"]),  # integers: class labels
     ([True, False] * 15, "classification", ["False", "True"]),
     ([10.0, 2.0, 3.0] * 10, "classification", ["2", "3", "10"]),  # whole floats, few values
     ([i + 0.5 for i in range(30)], "regression", None),
     ([float(i) for i in range(30)], "regression", None)],  # whole floats, 30 > 20 values
)
def test_csv_task_auto_rule(tmp_path, values, task, classes):
    path = write_csv(tmp_path, "x,y\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)))
    ds = load_dataset({"dataset": "csv", "path": str(path), "target": "y"}, 0)
    assert ds.task == task and ds.classes == classes
    if task == "regression":
        assert ds.Y_train.shape == (18, 1)
        assert sorted(np.concatenate([ds.Y_train, ds.Y_val, ds.Y_test]).ravel()) == sorted(values)


def test_task_option_forces_the_task(tmp_path):
    path = write_csv(tmp_path, "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    spec = {"dataset": "csv", "path": str(path), "target": "y"}
    assert load_dataset({**spec, "task": "regression"}, 0).Y_train.shape == (18, 1)
    path = write_csv(tmp_path, "x,y\n" + "".join(f"{i},{i % 3 + 0.5}\n" for i in range(30)))
    forced = load_dataset({**spec, "task": "classification"}, 0)
    assert forced.classes == ["0.5", "1.5", "2.5"]


def test_one_class_only(tmp_path):
    message = csv_error(tmp_path, "a,label\n" + "".join(f"{i},same\n" for i in range(10)))
    assert "only one class ('same'" in message


def test_zero_validation_fraction_gives_an_empty_validation_split():
    ds = load("moons", n_samples=100, val_fraction=0.0)
    assert ds.X_val.shape == (0, 2) and ds.Y_val.shape == (0, 2)
    assert (len(ds.X_train), len(ds.X_test)) == (80, 20)


def test_tiny_classes_still_get_one_sample_in_every_split(tmp_path):
    # 10% of 3 samples rounds to none: the rare class must still appear in each split.
    sizes = {"rare": 3, "a": 34, "b": 33, "c": 30}
    column = [label for label, size in sizes.items() for _ in range(size)]
    path = write_csv(tmp_path, "x,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(column)))
    ds = load_dataset({"dataset": "csv", "path": str(path), "target": "label",
                       "val_fraction": 0.1, "test_fraction": 0.1}, 0)
    rare = ds.classes.index("rare")
    assert [int(Y[:, rare].sum()) for Y in (ds.Y_train, ds.Y_val, ds.Y_test)] == [1, 1, 1]
    # 45% of 6 samples is 3 for validation and 3 for test, which rounding would take all
    # from one class: its training split must keep a sample all the same.
    path = write_csv(tmp_path, "x,label\n" + "".join(f"{i},{'aaabbb'[i]}\n" for i in range(6)))
    ds = load_dataset({"dataset": "csv", "path": str(path), "target": "label",
                       "val_fraction": 0.45, "test_fraction": 0.45}, 0)
    for Y in (ds.Y_train, ds.Y_val, ds.Y_test):
        np.testing.assert_array_equal(Y.sum(axis=0), [1, 1])


def test_too_few_samples_of_a_class(tmp_path):
    message = csv_error(tmp_path, "a,label\n" + "".join(f"{i},{'ab'[i > 1]}\n" for i in range(20)))
    assert "class 'a' has 2 sample(s), too few for the train, validation, test splits" in message


def test_too_few_samples_for_a_regression_split(tmp_path):
    message = csv_error(tmp_path, "a,label\n1,0.5\n2,1.5\n", task="regression")
    assert "2 sample(s) are too few for the train, validation, test splits" in message


def test_standardisation_is_fitted_on_the_training_split_only(digits):
    raw = load("digits", standardize=False)
    mean, std = raw.X_train.mean(axis=0), raw.X_train.std(axis=0)
    varying = np.ptp(raw.X_train, axis=0) > 0
    assert not varying.all()  # digits has blank border pixels: the constant-column case
    np.testing.assert_allclose(digits.X_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(digits.X_train.std(axis=0)[varying], 1.0)
    scale = np.where(varying, std, 1.0)
    np.testing.assert_allclose(digits.X_val, (raw.X_val - mean) / scale)
    np.testing.assert_allclose(digits.X_test, (raw.X_test - mean) / scale)
    assert np.abs(digits.X_val.mean(axis=0)[varying]).max() > 1e-3
    np.testing.assert_array_equal(digits.Y_val, raw.Y_val)


def test_without_standardisation_the_features_are_untouched():
    X, y = make_synthetic("moons", 100, 0.2, 2, seed=5)
    ds = load("moons", seed=5, n_samples=100, standardize=False)
    everything = np.concatenate([ds.X_train, ds.X_val, ds.X_test])
    assert sorted(map(tuple, everything)) == sorted(map(tuple, X))

"""k-fold cross-validation in the data stage: stratified folds, the test split untouched, a
fold's standardisation from its own training part, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnrun.data import load_dataset
from nnrun.data._folds import deal_folds
from nnrun.errors import DataError

MOONS = {"dataset": "moons", "n_samples": 300, "standardize": False}


def rows_of(X: np.ndarray) -> set[tuple[float, ...]]:
    return {tuple(row) for row in X.tolist()}


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 40), min_size=1, max_size=5), folds=st.integers(2, 7),
       seed=st.integers(0, 2**32 - 1))
def test_the_deal_is_stratified_and_balanced(counts: list[int], folds: int, seed: int) -> None:
    codes = np.repeat(np.arange(len(counts)), counts)
    assignment = deal_folds(codes, len(codes), folds, np.random.default_rng(seed))
    assert set(assignment.tolist()) <= set(range(folds))
    sizes = np.bincount(assignment, minlength=folds)
    assert sizes.max() - sizes.min() <= 1
    for c in range(len(counts)):
        per_fold = np.bincount(assignment[codes == c], minlength=folds)
        assert per_fold.max() - per_fold.min() <= 1


def test_the_deal_without_classes_is_balanced_and_shuffled() -> None:
    assignment = deal_folds(None, 10, 3, np.random.default_rng(0))
    assert sorted(np.bincount(assignment).tolist()) == [3, 3, 4]
    assert assignment.tolist() != [i % 3 for i in range(10)]


def test_the_folds_share_out_the_non_test_rows_and_leave_the_test_split_alone() -> None:
    one_split = load_dataset(MOONS, seed=4)
    folds = [load_dataset({**MOONS, "folds": 5, "fold": i}, seed=4) for i in range(5)]
    non_test = rows_of(one_split.X_train) | rows_of(one_split.X_val)
    validation = [rows_of(d.X_val) for d in folds]
    assert set().union(*validation) == non_test
    assert sum(len(v) for v in validation) == len(non_test) == 240
    for data, val in zip(folds, validation, strict=True):
        np.testing.assert_array_equal(data.X_test, one_split.X_test)
        np.testing.assert_array_equal(data.Y_test, one_split.Y_test)
        assert rows_of(data.X_train) == non_test - val and len(val) == 48
        counts = data.Y_val.sum(axis=0)
        assert counts.max() - counts.min() <= 1  # moons: two classes of 120 each


def test_each_fold_is_standardised_by_its_own_training_part() -> None:
    data = load_dataset({**MOONS, "standardize": True, "folds": 3, "fold": 1}, seed=0)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-12)


def test_fold_null_trains_on_every_non_test_row() -> None:
    one_split = load_dataset(MOONS, seed=4)
    refit = load_dataset({**MOONS, "folds": 5, "fold": None}, seed=4)
    assert len(refit.X_val) == 0
    assert rows_of(refit.X_train) == rows_of(one_split.X_train) | rows_of(one_split.X_val)
    np.testing.assert_array_equal(refit.X_test, one_split.X_test)


def test_folds_of_a_regression_set(tmp_path) -> None:
    path = tmp_path / "r.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    path.write_text("x,y\n" + "".join(f"{a},{2 * a + 0.5}\n" for a in x))
    spec = {"dataset": "csv", "path": str(path), "target": "y", "folds": 3}
    parts = [load_dataset({**spec, "fold": i}, seed=1) for i in range(3)]
    assert parts[0].task == "regression"
    assert sorted(len(p.X_val) for p in parts) == [13, 13, 14]  # the 40 non-test rows
    assert len({tuple(p.X_val[:, 0]) for p in parts}) == 3


def test_too_few_samples_of_a_class_for_the_folds_is_a_data_error() -> None:
    spec = {"dataset": "blobs", "n_samples": 30, "classes": 3, "folds": 15, "fold": 0}
    with pytest.raises(DataError, match=r"class '\d' has \d+ sample\(s\) outside the test "
                                        r"split, too few for data.folds: 15") as caught:
        load_dataset(spec, seed=0)
    assert caught.value.key == "data.folds"

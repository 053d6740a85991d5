"""Data sets for tests: loading one by name, its arrays, and the checks every split must pass
(well formed, stratified); csv files written for a test, and the DataError one raises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnrun.data import Dataset, load_dataset
from nnrun.errors import DataError


def load(dataset: str, seed: int = 0, **options) -> Dataset:
    return load_dataset({"dataset": dataset, **options}, seed)


def all_arrays(ds: Dataset) -> list[np.ndarray]:
    return [ds.X_train, ds.Y_train, ds.X_val, ds.Y_val, ds.X_test, ds.Y_test]


def labels(Y: np.ndarray) -> np.ndarray:
    return Y.argmax(axis=1)


def check_well_formed(ds: Dataset, n_classes: int, n_features: int) -> None:
    assert ds.task == "classification"
    assert ds.classes == [str(c) for c in range(n_classes)]
    assert ds.n_features == n_features == len(ds.feature_names)
    assert ds.n_outputs == n_classes
    for X, Y in [(ds.X_train, ds.Y_train), (ds.X_val, ds.Y_val), (ds.X_test, ds.Y_test)]:
        assert X.dtype == Y.dtype == np.float64
        assert X.flags.c_contiguous and Y.flags.c_contiguous
        assert X.shape == (len(Y), n_features) and Y.shape == (len(X), n_classes)
        assert set(np.unique(Y)) == {0.0, 1.0}
        np.testing.assert_array_equal(Y.sum(axis=1), 1.0)
        assert np.isfinite(X).all()


def check_stratified(ds: Dataset) -> None:
    """Each split holds each class in its share of all samples, to within one sample."""
    splits = [ds.Y_train, ds.Y_val, ds.Y_test]
    n_total = sum(len(Y) for Y in splits)
    class_totals = sum(Y.sum(axis=0) for Y in splits)
    for Y in splits:
        ideal = len(Y) * class_totals / n_total
        assert np.all(np.abs(Y.sum(axis=0) - ideal) <= 1), (Y.sum(axis=0), ideal)


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def csv_error(tmp_path: Path, text: str, **options) -> str:
    """The message of the DataError that loading a csv file of ``text`` raises (it names the
    file)."""
    path = write_csv(tmp_path, text)
    spec = {"dataset": "csv", "path": str(path), "target": "label", **options}
    with pytest.raises(DataError) as caught:
        load_dataset(spec, 0)
    assert str(path) in str(caught.value)
    return str(caught.value)

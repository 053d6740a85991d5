"""nnrun.data._files: the user's csv and npz files, and every bad-file message."""

import numpy as np
import pytest
from helpers.datasets import (
    all_arrays,
    check_stratified,
    check_well_formed,
    csv_error,
    labels,
    write_csv,
)

from nnrun.data import load_dataset
from nnrun.errors import DataError


def balanced_csv(tmp_path, n: int = 30, label=lambda i: "ab"[i % 2]):
    rows = "".join(f"{i},{i * i % 7},{label(i)}\n" for i in range(n))
    return write_csv(tmp_path, "f1,f2,label\n" + rows)


def test_csv_with_string_labels_is_classification(tmp_path):
    path = write_csv(tmp_path, "size,colour_code,label\n"
                     + "".join(f"{i},{i % 3},{['cat', 'dog', 'ant'][i % 3]}\n" for i in range(30)))
    ds = load_dataset({"dataset": "csv", "path": str(path), "target": "label"}, 0)
    assert ds.task == "classification" and ds.classes == ["ant", "cat", "dog"]
    assert ds.feature_names == ["size", "colour_code"]
    assert (len(ds.X_train), len(ds.X_val), len(ds.X_test)) == (18, 6, 6)
    check_stratified(ds)
    # Each sample keeps its label: colour_code i % 3 maps to cat, dog, ant.
    raw = load_dataset({"dataset": "csv", "path": str(path), "target": "label",
                        "standardize": False}, 0)
    for X, Y in [(raw.X_train, raw.Y_train), (raw.X_test, raw.Y_test)]:
        names = np.array(raw.classes)[labels(Y)]
        np.testing.assert_array_equal(names, np.array(["cat", "dog", "ant"])[X[:, 1].astype(int)])


def test_relative_path_resolves_against_base_dir(tmp_path):
    balanced_csv(tmp_path)
    ds = load_dataset({"dataset": "csv", "path": "data.csv", "target": "label"}, 0,
                      base_dir=tmp_path)
    assert ds.classes == ["a", "b"]


def test_npz_regression_with_several_outputs(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    np.savez(tmp_path / "d.npz", X=X.astype(np.float32), y=y)
    ds = load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)
    assert ds.task == "regression" and ds.classes is None
    assert ds.n_outputs == 2 and ds.feature_names == ["x1", "x2", "x3"]
    assert (ds.X_train.shape, ds.Y_val.shape, ds.Y_test.shape) == ((30, 3), (10, 2), (10, 2))
    assert all(a.dtype == np.float64 and a.flags.c_contiguous for a in all_arrays(ds))
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-12)


def test_npz_classification_with_integer_labels(tmp_path):
    X = np.arange(60.0).reshape(30, 2)
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(30) % 3)
    ds = load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)
    assert ds.classes == ["0", "1", "2"]
    check_well_formed(ds, 3, 2)
    check_stratified(ds)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_dataset({"dataset": "csv", "path": "nope.csv", "target": "y"}, 0, base_dir=tmp_path)
    with pytest.raises(DataError, match=r"needs data\.path"):
        load_dataset({"dataset": "npz"}, 0)


def test_missing_target_column_lists_the_columns(tmp_path):
    message = csv_error(tmp_path, "a,b,kind\n1,2,x\n", target="label")
    assert "no column 'label'" in message and "columns present: a, b, kind" in message


def test_csv_needs_a_target(tmp_path):
    assert "data.target is required" in csv_error(tmp_path, "a,b\n1,2\n", target=None)


def test_non_numeric_feature_names_the_column_and_line(tmp_path):
    message = csv_error(tmp_path, "a,colour,label\n1,2,x\n2,red,y\n3,4,x\n")
    assert "column 'colour' is not numeric (line 3: 'red')" in message


def test_nan_and_infinite_features_name_column_and_rows(tmp_path):
    message = csv_error(tmp_path, "a,b,label\n1,2,x\n,3,y\n2,inf,x\n3,,y\n")
    assert "column 'a' in 1 row(s) (line 3)" in message
    assert "column 'b' in 2 row(s) (lines 4, 5)" in message


def test_missing_target_values(tmp_path):
    message = csv_error(tmp_path, "a,label\n1,x\n2,\n3,y\n")
    assert "target column 'label' is empty in 1 row(s) (line 3)" in message


def test_empty_csv_and_header_only(tmp_path):
    assert "the file is empty" in csv_error(tmp_path, "")
    assert "no data rows" in csv_error(tmp_path, "a,label\n")


def test_npz_without_X_or_y(tmp_path):
    np.savez(tmp_path / "d.npz", features=np.zeros((3, 2)), y=np.zeros(3))
    with pytest.raises(DataError, match=r"d\.npz: no array X; arrays present: features, y"):
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)


def test_npz_lengths_differ(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((5, 2)), y=np.zeros(4))
    with pytest.raises(DataError, match="X has 5 rows but y has 4"):
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)


def test_npz_non_finite_values(tmp_path):
    X = np.ones((10, 2))
    X[[2, 7], 1] = np.nan
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(10.0))
    with pytest.raises(DataError, match=r"column 'x2' in 2 row\(s\) \(rows 2, 7\)"):
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.array([{"a": 1}] * 5, dtype=object), y=np.zeros(5))
    with pytest.raises(DataError, match="cannot read arrays X and y"):
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)


def test_not_an_npz_file(tmp_path):
    (tmp_path / "d.npz").write_text("hello")
    with pytest.raises(DataError, match="cannot be read as a .npz archive"):
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.npz")}, 0)


def test_a_csv_given_as_npz_is_not_said_to_hold_pickled_data(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError) as info:
        load_dataset({"dataset": "npz", "path": str(tmp_path / "d.csv")}, 0)
    message = str(info.value)
    assert "it is not one" in message and "dataset: csv" in message
    assert "pickle" not in message  # numpy's text would suggest allow_pickle=True

"""nnrun.data: the built-in sets, csv and npz files, splits, scaling and every bad-data message."""

import random
import subprocess
import sys

import numpy as np
import pytest

from nnrun import data
from nnrun.data import Dataset, load_dataset, make_synthetic
from nnrun.data._builtin import mnist1d_arrays
from nnrun.errors import DataError, NnrunError

SYNTHETIC = ["xor", "moons", "circles", "spirals", "blobs"]


def load(dataset: str, seed: int = 0, **options) -> Dataset:
    return load_dataset({"dataset": dataset, **options}, seed)


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load("digits")


@pytest.fixture(scope="module")
def mnist1d() -> Dataset:
    """Generating MNIST-1D takes about a second (plus 1.5 s to import it): do it once."""
    return load("mnist1d", standardize=False)


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


# --- synthetic sets ------------------------------------------------------------------------


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


def test_spec_seed_overrides_the_sweep_seed():
    pinned = load_dataset({"dataset": "moons", "seed": 1}, 99)
    np.testing.assert_array_equal(pinned.X_train, load("moons", seed=1).X_train)
    assert not np.array_equal(pinned.X_train, load("moons", seed=99).X_train)


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


# --- digits and mnist1d --------------------------------------------------------------------


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
def test_missing_extra_says_how_to_install_it(monkeypatch, dataset, modules, package):
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    mnist1d_arrays.cache_clear()
    message = rf"needs the {package} package.*pip install 'nnrun\[data\]'"
    with pytest.raises(DataError, match=message):
        load(dataset, seed=7)


def test_importing_nnrun_data_does_not_import_heavy_packages():
    heavy = ["pandas", "sklearn", "mnist1d", "scipy", "matplotlib"]
    code = ("import sys, nnrun.data; "
            f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""


# --- standardisation -----------------------------------------------------------------------


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


# --- csv and npz files ---------------------------------------------------------------------


def write_csv(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


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


# --- bad data: each a DataError that says what is wrong ------------------------------------


def csv_error(tmp_path, text: str, **options) -> str:
    path = write_csv(tmp_path, text)
    spec = {"dataset": "csv", "path": str(path), "target": "label", **options}
    with pytest.raises(DataError) as caught:
        load_dataset(spec, 0)
    assert str(path) in str(caught.value)
    return str(caught.value)


def test_data_error_is_an_nnrun_error():
    assert issubclass(DataError, NnrunError)


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


def test_one_class_only(tmp_path):
    message = csv_error(tmp_path, "a,label\n" + "".join(f"{i},same\n" for i in range(10)))
    assert "only one class ('same'" in message


def test_too_few_samples_of_a_class(tmp_path):
    message = csv_error(tmp_path, "a,label\n" + "".join(f"{i},{'ab'[i > 1]}\n" for i in range(20)))
    assert "class 'a' has 2 sample(s), too few for the train, validation, test splits" in message


def test_too_few_samples_for_a_regression_split(tmp_path):
    message = csv_error(tmp_path, "a,label\n1,0.5\n2,1.5\n", task="regression")
    assert "2 sample(s) are too few for the train, validation, test splits" in message


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


@pytest.mark.parametrize(("val", "test"), [(0.5, 0.5), (0.7, 0.4), (-0.1, 0.2), (0.2, 1.0)])
def test_invalid_fractions(val, test):
    with pytest.raises(DataError, match="fraction"):
        load("moons", val_fraction=val, test_fraction=test)


def test_unknown_dataset_lists_the_allowed_names():
    with pytest.raises(DataError, match="unknown data set 'mnist'; allowed: xor, moons, circles, "
                                        "spirals, blobs, digits, mnist1d, csv, npz"):
        load("mnist")


def test_unknown_option_and_regression_on_a_classification_set():
    with pytest.raises(DataError, match="unknown data option"):
        load("moons", n_sample=10)
    with pytest.raises(DataError, match="classification set"):
        load("moons", task="regression")

"""Data sets and their train / validation / test splits.

One entry point, `load_dataset(spec, seed)`, turns the YAML `data:` block into a `Dataset`:
float64, C-contiguous arrays, one-hot targets for classification, features z-scored with the
mean and standard deviation of the training split only (so nothing of the validation or test
data leaks into training).

Where the data comes from is one table, `DATASETS`, keyed by the names a user writes:
  xor, moons, circles, spirals, blobs   2-D synthetic sets drawn with numpy from the seed
  digits                                scikit-learn's bundled 8x8 digits (no download)
  mnist1d                               generated offline by the `mnist1d` package
  csv, npz                              the user's own file
scikit-learn, mnist1d and pandas are imported inside the functions that use them: importing
this module costs numpy only, which keeps `nnrun --help` fast.

`task: auto` decides from the target: classification when its values are not floats (strings,
integers, booleans), or are floats that are all whole numbers with at most
`MAX_AUTO_CLASSES` distinct values; regression otherwise.
"""

import math
import numbers
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnrun.errors import DataError

# A float target with whole-number values is read as class labels up to this many distinct values.
MAX_AUTO_CLASSES = 20

DEFAULTS: dict = {
    "dataset": None,
    "path": None,
    "target": None,
    "task": "auto",
    "n_samples": 1000,
    "noise": 0.2,
    "classes": 3,
    "val_fraction": 0.2,
    "test_fraction": 0.2,
    "standardize": True,
    "seed": None,
}
TASKS = ("auto", "classification", "regression")
EXTRA_HINT = "pip install 'nnrun[data]'"


@dataclass
class Dataset:
    """A data set split three ways; every array float64 and C-contiguous, rows are samples.

    Y is one-hot (n, classes) for classification, (n, outputs) for regression. `classes`
    holds the class labels as strings in the order of Y's columns (None for regression).
    """

    name: str
    task: str  # "classification" | "regression"
    X_train: np.ndarray = field(repr=False)
    Y_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)
    Y_val: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    Y_test: np.ndarray = field(repr=False)
    classes: list[str] | None
    feature_names: list[str]

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.Y_train.shape[1]


# --- synthetic 2-D sets --------------------------------------------------------------------
# Each generator takes (n_samples, noise, classes, rng) and returns X (n, 2) and integer labels.


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


def make_synthetic(
    name: str, n_samples: int, noise: float, classes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw a built-in 2-D set: X float64 (n_samples, 2) and integer labels y (n_samples,).

    `classes` is the number of arms (spirals) or clusters (blobs); the others ignore it.
    The same arguments always give the same arrays.
    """
    if name not in SYNTHETIC:
        raise DataError(f"unknown synthetic data set {name!r}; allowed: {', '.join(SYNTHETIC)}")
    if not _is_int(classes) or classes < 2:
        raise DataError(f"data.classes must be an integer of at least 2, got {classes!r}",
                        "data.classes")
    n_classes = classes if name in _CLASSES_OPTION else 2
    if not _is_int(n_samples) or n_samples < n_classes:
        raise DataError(
            f"data.n_samples must be an integer of at least {n_classes} for {name!r}, "
            f"got {n_samples!r}", "data.n_samples"
        )
    if (isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0
            or not math.isfinite(noise)):
        raise DataError(f"data.noise must be a finite number of at least 0, got {noise!r}",
                        "data.noise")
    rng = np.random.default_rng(_check_seed(seed))
    X, y = SYNTHETIC[name](int(n_samples), float(noise), int(classes), rng)
    return np.ascontiguousarray(X, dtype=np.float64), y.astype(np.int64)


# --- builders: one per data set name, each returning the raw arrays ------------------------


@dataclass
class _Raw:
    """What a builder hands on: features, targets (labels of any dtype, or an (n, k) array of
    regression targets) and, for a set that has one, its own test split."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    source: str  # names the data in messages: the file, or the data set
    task: str = "auto"  # what the data itself says; built-in sets are classification
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def _synthetic_builder(name: str) -> Callable:
    def build(spec: dict, seed: int, base_dir: Path | None) -> _Raw:
        X, y = make_synthetic(name, spec["n_samples"], spec["noise"], spec["classes"], seed)
        return _Raw(X, y, ["x1", "x2"], f"data set {name!r}", task="classification")

    return build


def _import_error(dataset: str, package: str, error: ImportError) -> DataError:
    return DataError(
        f"data set {dataset!r} needs the {package} package, which cannot be imported "
        f"({error}): {EXTRA_HINT}"
    )


def _digits(spec: dict, seed: int, base_dir: Path | None) -> _Raw:
    """scikit-learn's 8x8 handwritten digits: 1797 samples, 64 pixels, read from the package."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:
        raise _import_error("digits", "scikit-learn", error) from error
    bunch = load_digits()
    return _Raw(bunch.data, bunch.target, list(bunch.feature_names), "data set 'digits'",
                task="classification")


@lru_cache(maxsize=4)
def _mnist1d_arrays(seed: int) -> tuple[np.ndarray, ...]:
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


def _mnist1d(spec: dict, seed: int, base_dir: Path | None) -> _Raw:
    """MNIST-1D: 5000 signals of length 40, 10 classes; its own split, 4000 train, 1000 test."""
    X, y, X_test, y_test = _mnist1d_arrays(seed)
    names = [f"x{j + 1}" for j in range(X.shape[1])]
    return _Raw(X, y, names, "data set 'mnist1d'", task="classification",
                X_test=X_test, y_test=y_test)


def _resolve_path(spec: dict, base_dir: Path | None) -> Path:
    if spec["path"] is None:
        raise DataError(f"data set {spec['dataset']!r} needs data.path: the file to read",
                        "data.path")
    path = Path(spec["path"]).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        raise DataError(f"{path}: no such file", "data.path")
    if not path.is_file():
        raise DataError(f"{path}: not a file", "data.path")
    return path


def _lines(rows: np.ndarray) -> str:
    """Rows of a csv file (0-based, after the header) as the file's line numbers."""
    shown = ", ".join(str(row + 2) for row in rows[:5])
    return f"line {shown}" if len(rows) == 1 else f"lines {shown}{', ...' if len(rows) > 5 else ''}"


def _csv(spec: dict, seed: int, base_dir: Path | None) -> _Raw:
    """A csv file with a header: the `target` column is the label, every other column a
    numeric feature."""
    path = _resolve_path(spec, base_dir)
    if spec["target"] is None:
        raise DataError(f"{path}: data.target is required for a csv file: the label column",
                        "data.target")
    target = str(spec["target"])
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as error:
        raise DataError(f"{path}: the file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: cannot be read as csv: {error}") from error
    frame.columns = [str(column) for column in frame.columns]
    if target not in frame.columns:
        raise DataError(
            f"{path}: no column {target!r} (data.target); columns present: "
            f"{', '.join(frame.columns)}", "data.target"
        )
    if frame.empty:
        raise DataError(f"{path}: no data rows, only the header")
    features = [column for column in frame.columns if column != target]
    if not features:
        raise DataError(f"{path}: no feature columns, only the target {target!r}")

    problems = []
    for column in features:
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values):
            parsed = pd.to_numeric(values, errors="coerce")
            rows = np.flatnonzero((parsed.isna() & values.notna()).to_numpy())
            problems.append(f"column {column!r} is not numeric ({_lines(rows[:1])}: "
                            f"{values.iloc[rows[0]]!r})")
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems)
                        + f"; every column except the target {target!r} must be a number")
    X = frame[features].to_numpy(dtype=np.float64)
    _check_finite(X, features, f"{path}", _lines)

    labels = frame[target]
    missing = np.flatnonzero(labels.isna().to_numpy())
    if len(missing):
        raise DataError(f"{path}: the target column {target!r} is empty in {len(missing)} "
                        f"row(s) ({_lines(missing)})")
    y = labels.to_numpy()
    if y.dtype.kind == "f":
        _check_finite(y[:, None], [target], f"{path}", _lines)
    return _Raw(X, y, features, f"{path}")


def _check_finite(X: np.ndarray, names: list[str], source: str, where: Callable) -> None:
    """Raise a DataError naming each column with NaN or infinite values and where they are."""
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    problems = []
    for j in np.flatnonzero(bad.any(axis=0)):
        rows = np.flatnonzero(bad[:, j])
        problems.append(f"column {names[j]!r} in {len(rows)} row(s) ({where(rows)})")
    raise DataError(f"{source}: missing, NaN or infinite values: " + "; ".join(problems))


def _npz_rows(rows: np.ndarray) -> str:
    shown = ", ".join(str(row) for row in rows[:5])
    return f"row {shown}" if len(rows) == 1 else f"rows {shown}{', ...' if len(rows) > 5 else ''}"


def _npz(spec: dict, seed: int, base_dir: Path | None) -> _Raw:
    """A numpy .npz archive with arrays `X` (n, features) and `y` (n,) or (n, outputs);
    read with allow_pickle=False, so it can never run code."""
    path = _resolve_path(spec, base_dir)
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)
    except OSError as error:
        raise DataError(f"{path}: cannot be read: {error.strerror or error}") from None
    if not head.startswith((b"PK", b"\x93NUMPY")):
        # np.load would take it for a pickle and suggest allow_pickle=True: never that here
        raise DataError(f"{path}: cannot be read as a .npz archive: it is not one (a zip of "
                        f".npy arrays X and y, as numpy.savez writes; a csv file needs "
                        f"dataset: csv)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot be read as a .npz archive: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: holds one array, not a .npz archive with arrays X and y")
    with archive:
        missing = [key for key in ("X", "y") if key not in archive.files]
        if missing:
            raise DataError(
                f"{path}: no array {' or '.join(missing)}; arrays present: "
                f"{', '.join(archive.files) or 'none'} (nnrun needs X and y)"
            )
        try:
            X, y = archive["X"], archive["y"]
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DataError(f"{path}: cannot read arrays X and y: {error}") from error

    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: X has dtype {X.dtype}; features must be numbers")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DataError(f"{path}: X has shape {X.shape}; it must be (samples, features)")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise DataError(f"{path}: y has shape {y.shape}; it must be (samples,) or "
                        "(samples, outputs)")
    if len(X) != len(y):
        raise DataError(f"{path}: X has {len(X)} rows but y has {len(y)}; they must match")
    if len(X) == 0:
        raise DataError(f"{path}: X and y have no rows")
    if y.dtype.kind not in "biufUS" or (y.ndim == 2 and y.dtype.kind not in "biuf"):
        raise DataError(f"{path}: y has dtype {y.dtype} and shape {y.shape}; targets must be "
                        "numbers, or strings in a 1-D y")
    names = [f"x{j + 1}" for j in range(X.shape[1])]
    X = X.astype(np.float64)
    _check_finite(X, names, f"{path}: X", _npz_rows)
    if y.dtype.kind == "f":
        names_y = ["y"] if y.ndim == 1 else [f"y[:, {j}]" for j in range(y.shape[1])]
        _check_finite(y.reshape(len(y), -1), names_y, f"{path}", _npz_rows)
    return _Raw(X, y, names, f"{path}")


DATASETS: dict[str, Callable[[dict, int, Path | None], _Raw]] = {
    **{name: _synthetic_builder(name) for name in SYNTHETIC},
    "digits": _digits,
    "mnist1d": _mnist1d,
    "csv": _csv,
    "npz": _npz,
}


# --- from raw arrays to a Dataset ----------------------------------------------------------


def load_dataset(spec: dict, seed: int, base_dir: Path | None = None) -> Dataset:
    """Build the data set a config's `data:` block describes, split and scaled.

    spec: the `data:` block as a dict; missing keys take the defaults in `DEFAULTS`.
    seed: the sweep's base seed; `spec["seed"]`, when not None, takes its place. The seed
        fixes both the synthetic draw and the split, so every trial of a sweep sees the same
        data.
    base_dir: the folder relative `path`s resolve against (the config's folder).

    Splits: val_fraction and test_fraction are fractions of all samples, stratified by class
    for classification (each class split in the same proportions, at least one sample of each
    class in every non-empty split). mnist1d keeps its own 1000-sample test split, so it
    ignores test_fraction and takes validation out of its 4000 training samples.
    Raises DataError, naming the file or data set, for anything wrong with the data.
    """
    spec = _with_defaults(spec)
    name = spec["dataset"]
    if name not in DATASETS:
        raise DataError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    seed = _check_seed(spec["seed"] if spec["seed"] is not None else seed)
    val_fraction, test_fraction = _check_fractions(spec["val_fraction"], spec["test_fraction"])

    raw = DATASETS[name](spec, seed, base_dir)
    if raw.task == "classification" and spec["task"] == "regression":
        raise DataError(f"{raw.source} is a classification set; task: regression applies "
                        "to csv and npz files only", "data.task")
    y_all = raw.y if raw.y_test is None else np.concatenate([raw.y, raw.y_test])
    task = _decide_task(y_all, spec["task"] if raw.task == "auto" else raw.task, raw.source)

    if task == "classification":
        classes, codes = _encode_labels(y_all, raw.source)
        Y_all = np.eye(len(classes))[codes]
    else:
        classes, codes = None, None
        Y_all = y_all.astype(np.float64).reshape(len(y_all), -1)

    n_total = len(y_all)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    if raw.X_test is None:
        X_all = raw.X
        # too few samples in a built-in set: its n_samples is to blame
        too_few = "data.n_samples" if name in SYNTHETIC else None
        train, val, test = _split(codes, classes, n_total, [val_fraction, test_fraction], rng,
                                  raw.source, spec["task"] == raw.task == "auto", too_few)
    else:
        # The set's own test split stays as it is; validation comes out of its training part.
        X_all = np.concatenate([raw.X, raw.X_test])
        n_own = len(raw.y)
        n_val = round(val_fraction * n_total)
        if n_val >= n_own:
            raise DataError(f"{raw.source}: data.val_fraction {val_fraction} of its {n_total} "
                            f"samples leaves nothing of the {n_own} it has for training",
                            "data.val_fraction")
        train, val = _split(None if codes is None else codes[:n_own], classes, n_own,
                            [n_val / n_own], rng, raw.source, False)
        test = np.arange(n_own, n_total)

    X_train, X_val, X_test = (np.asarray(X_all[rows], dtype=np.float64)
                              for rows in (train, val, test))
    if spec["standardize"]:
        X_train, X_val, X_test = _standardize(X_train, X_val, X_test)
    arrays = [X_train, Y_all[train], X_val, Y_all[val], X_test, Y_all[test]]
    return Dataset(name, task, *(np.ascontiguousarray(a, dtype=np.float64) for a in arrays),
                   classes=classes, feature_names=list(raw.feature_names))


def _with_defaults(spec: dict) -> dict:
    unknown = sorted(set(spec) - set(DEFAULTS))
    if unknown:
        raise DataError(f"unknown data option(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(DEFAULTS)}")
    spec = {**DEFAULTS, **spec}
    if spec["dataset"] is None:
        raise DataError(f"data.dataset is required; allowed: {', '.join(DATASETS)}")
    if spec["task"] not in TASKS:
        raise DataError(f"data.task must be one of {', '.join(TASKS)}, got {spec['task']!r}")
    return spec


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_seed(seed) -> int:
    if not _is_int(seed) or seed < 0:
        raise DataError(f"the data seed must be an integer of at least 0, got {seed!r}")
    return int(seed)


def _check_fractions(val_fraction, test_fraction) -> tuple[float, float]:
    for key, value in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if (isinstance(value, bool) or not isinstance(value, numbers.Real)
                or not 0 <= value < 1):
            raise DataError(f"data.{key} must be a number in [0, 1), got {value!r}")
    if val_fraction + test_fraction >= 1:
        raise DataError(
            f"data.val_fraction + data.test_fraction must be below 1, got {val_fraction} + "
            f"{test_fraction} = {val_fraction + test_fraction:g}: nothing would be left to train on"
        )
    return float(val_fraction), float(test_fraction)


def _decide_task(y: np.ndarray, requested: str, source: str) -> str:
    """The task for targets y: `requested` unless it is "auto", then the rule of the module
    docstring. A 2-D y (several outputs) can only be regression."""
    kind = y.dtype.kind
    if requested == "regression":
        if kind not in "biuf":
            raise DataError(f"{source}: the target is not numeric (e.g. {y[0]!r}); "
                            "task: regression needs numbers")
        return "regression"
    if y.ndim == 2:
        if requested == "classification":
            raise DataError(f"{source}: y has shape {y.shape}; classification needs one label "
                            "per sample (a 1-D y)")
        return "regression"
    if requested == "classification" or kind != "f":
        return "classification"
    whole = bool(np.all(y == np.round(y)))
    return "classification" if whole and len(np.unique(y)) <= MAX_AUTO_CLASSES else "regression"


def _encode_labels(y: np.ndarray, source: str) -> tuple[list[str], np.ndarray]:
    """Sorted class labels as strings, and each sample's class index."""
    if y.dtype.kind in "biuf":
        values, codes = np.unique(y, return_inverse=True)
        classes = [str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
                   for v in values.tolist()]
    else:
        values, codes = np.unique(y.astype(str), return_inverse=True)
        classes = values.tolist()
    if len(classes) < 2:
        raise DataError(f"{source}: the target has only one class ({classes[0]!r} in all "
                        f"{len(y)} samples); classification needs at least two")
    return classes, codes.reshape(-1)


def _split(codes, classes, n_samples, fractions, rng, source, auto_task,
           key=None) -> list[np.ndarray]:
    """Row indices of the training split and of one split for each fraction (of n_samples).

    ``key``: the config key to blame when there are too few samples (see DataError).

    With class codes the split is stratified: each split's share of a class is its share of
    all samples, to within one sample (largest-remainder rounding, which keeps each split's
    total exact), and every non-empty split holds at least one sample of every class.
    """
    sizes = [round(fraction * n_samples) for fraction in fractions]
    wanted = [fraction > 0 for fraction in fractions]
    names = ["train"] + [n for n, w in zip(["validation", "test"], wanted, strict=False) if w]
    if codes is None:
        sizes = [max(size, 1) if want else 0 for size, want in zip(sizes, wanted, strict=True)]
        if n_samples - sum(sizes) < 1:
            raise DataError(f"{source}: {n_samples} sample(s) are too few for the "
                            f"{', '.join(names)} splits; each needs at least one", key)
        order = rng.permutation(n_samples)
        bounds = np.cumsum([n_samples - sum(sizes), *sizes])
        return np.split(order, bounds[:-1])

    class_counts = np.bincount(codes, minlength=len(classes))
    too_small = np.flatnonzero(class_counts < len(names))
    if len(too_small):
        c = too_small[0]
        hint = (" (if the target is a quantity rather than a class, set data.task: regression)"
                if auto_task else "")
        raise DataError(
            f"{source}: class {classes[c]!r} has {class_counts[c]} sample(s), too few for the "
            f"{', '.join(names)} splits, which need at least one of every class each; add "
            f"data or lower data.val_fraction / data.test_fraction{hint}", key
        )
    per_class = []  # per_class[s][c]: samples of class c in holdout split s
    for size, want in zip(sizes, wanted, strict=True):
        ideal = size * class_counts / n_samples
        count = np.floor(ideal).astype(np.int64)
        largest_remainders = np.argsort(count - ideal, kind="stable")[: size - count.sum()]
        count[largest_remainders] += 1
        per_class.append(np.maximum(count, 1) if want else count)
    per_class = np.array(per_class).reshape(len(sizes), len(classes))
    # Rounding up small classes may leave no training sample: take back from the largest holdout.
    for c in np.flatnonzero(class_counts - per_class.sum(axis=0) < 1):
        while class_counts[c] - per_class[:, c].sum() < 1:
            per_class[np.argmax(per_class[:, c]), c] -= 1

    splits = [[] for _ in range(len(sizes) + 1)]
    for c in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(codes == c))
        n_train = class_counts[c] - per_class[:, c].sum()
        for s, part in enumerate(np.split(rows, np.cumsum([n_train, *per_class[:-1, c]]))):
            splits[s].append(part)
    return [rng.permutation(np.concatenate(parts)) for parts in splits]


def _standardize(X_train, *others):
    """z-score every column with the training split's mean and standard deviation; a column
    constant over the training split keeps scale 1 (it is only centred)."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[np.ptp(X_train, axis=0) == 0] = 1.0
    return [(X - mean) / std for X in (X_train, *others)]

"""From raw arrays to a Dataset: the task, the targets, the splits and the scaling.

`task: auto` decides from the target: classification when its values are not floats (strings,
integers, booleans), or are floats that are all whole numbers with at most
`MAX_AUTO_CLASSES` distinct values; regression otherwise.
"""

from typing import NamedTuple

import numpy as np

from nnrun.data._raw import Raw
from nnrun.data.dataset import Dataset
from nnrun.errors import DataError

# A float target with whole-number values is read as class labels up to this many distinct values.
MAX_AUTO_CLASSES = 20


class Targets(NamedTuple):
    """The targets of every sample (the set's own test split last): the task, and for
    classification the class labels and each sample's class index."""

    task: str
    Y: np.ndarray  # one-hot (n, classes), or (n, outputs) regression targets, float64
    classes: list[str] | None
    codes: np.ndarray | None
    values: list | None = None  # the class labels as the data holds them, in the same order


def targets(raw: Raw, requested: str) -> Targets:
    """The targets of ``raw`` for the task the user ``requested`` (auto, or one task)."""
    if raw.task == "classification" and requested == "regression":
        raise DataError(f"{raw.source} is a classification set; task: regression applies "
                        "to csv and npz files only", "data.task")
    y_all = raw.y if raw.y_test is None else np.concatenate([raw.y, raw.y_test])
    task = decide_task(y_all, requested if raw.task == "auto" else raw.task, raw.source)
    if task == "regression":
        return Targets(task, y_all.astype(np.float64).reshape(len(y_all), -1), None, None)
    classes, codes = encode_labels(y_all, raw.source)
    return Targets(task, np.eye(len(classes))[codes], classes, codes,
                   label_values(y_all))


def decide_task(y: np.ndarray, requested: str, source: str) -> str:
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


def encode_labels(y: np.ndarray, source: str) -> tuple[list[str], np.ndarray]:
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


def label_values(y: np.ndarray) -> list:
    """The sorted distinct labels of y as Python values (str, int, float, bool), in the order of
    :func:`encode_labels`' classes: what a prediction gives back to the user."""
    return np.unique(y if y.dtype.kind in "biuf" else y.astype(str)).tolist()


class Rows(NamedTuple):
    """The features of every sample, and the row indices of each split into them."""

    X: np.ndarray
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray


def split_rows(raw: Raw, targets: Targets, fractions: tuple[float, float],
               rng: np.random.Generator, auto_task: bool) -> Rows:
    """Train, validation and test rows: ``fractions`` (validation, test) of all samples, or,
    for a set with its own test split, validation out of its training part.

    ``auto_task``: the task was left to the data (a hint when a class is too small)."""
    if raw.X_test is None:
        train, val, test = split(targets.codes, targets.classes, len(targets.Y), list(fractions),
                                 rng, raw.source, auto_task, raw.size_key)
        return Rows(raw.X, train, val, test)
    # The set's own test split stays as it is; validation comes out of its training part.
    n_total, n_own = len(targets.Y), len(raw.y)
    val_fraction = fractions[0]
    n_val = round(val_fraction * n_total)
    if n_val >= n_own:
        raise DataError(f"{raw.source}: data.val_fraction {val_fraction} of its {n_total} "
                        f"samples leaves nothing of the {n_own} it has for training",
                        "data.val_fraction")
    codes = None if targets.codes is None else targets.codes[:n_own]
    train, val = split(codes, targets.classes, n_own, [n_val / n_own], rng, raw.source, False)
    return Rows(np.concatenate([raw.X, raw.X_test]), train, val, np.arange(n_own, n_total))


def split(codes, classes, n_samples, fractions, rng, source, auto_task,
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
    per_class = _per_class(class_counts, n_samples, sizes, wanted)
    splits = [[] for _ in range(len(sizes) + 1)]
    for c in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(codes == c))
        n_train = class_counts[c] - per_class[:, c].sum()
        for s, part in enumerate(np.split(rows, np.cumsum([n_train, *per_class[:-1, c]]))):
            splits[s].append(part)
    return [rng.permutation(np.concatenate(parts)) for parts in splits]


def _per_class(class_counts: np.ndarray, n_samples: int, sizes: list[int],
               wanted: list[bool]) -> np.ndarray:
    """per_class[s, c]: how many samples of class c go to holdout split s."""
    per_class = []
    for size, want in zip(sizes, wanted, strict=True):
        ideal = size * class_counts / n_samples
        count = np.floor(ideal).astype(np.int64)
        largest_remainders = np.argsort(count - ideal, kind="stable")[: size - count.sum()]
        count[largest_remainders] += 1
        per_class.append(np.maximum(count, 1) if want else count)
    per_class = np.array(per_class).reshape(len(sizes), len(class_counts))
    # Rounding up small classes may leave no training sample: take back from the largest holdout.
    for c in np.flatnonzero(class_counts - per_class.sum(axis=0) < 1):
        while class_counts[c] - per_class[:, c].sum() < 1:
            per_class[np.argmax(per_class[:, c]), c] -= 1
    return per_class


def scaler(X_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training split's mean and standard deviation of every column; a column constant
    over the training split keeps scale 1 (it is only centred)."""
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[np.ptp(X_train, axis=0) == 0] = 1.0
    return mean, std



def to_dataset(name: str, raw: Raw, targets: Targets, rows: Rows, scale: bool) -> Dataset:
    """The Dataset of the split rows: float64, C-contiguous, features z-scored if ``scale``."""
    X_train, X_val, X_test = (np.asarray(rows.X[indices], dtype=np.float64)
                              for indices in (rows.train, rows.val, rows.test))
    mean = std = None
    if scale:
        mean, std = scaler(X_train)
        X_train, X_val, X_test = ((X - mean) / std for X in (X_train, X_val, X_test))
    Y = targets.Y
    arrays = [X_train, Y[rows.train], X_val, Y[rows.val], X_test, Y[rows.test]]
    return Dataset(name, targets.task, *(np.ascontiguousarray(a, dtype=np.float64) for a in arrays),
                   classes=targets.classes, feature_names=list(raw.feature_names),
                   class_values=targets.values, mean=mean, std=std)

"""The entry point of the data stage: a config's `data:` block in, a split and scaled Dataset
out, as a pipe of named steps (check the block, build the raw arrays, decide the targets,
split, scale)."""

import numbers
from pathlib import Path

import numpy as np

from nnrun.data._builtin import digits, mnist1d
from nnrun.data._files import read_csv, read_npz
from nnrun.data._folds import fold_rows
from nnrun.data._raw import Builder, check_seed
from nnrun.data._splits import split_rows, targets, to_dataset
from nnrun.data.dataset import Dataset
from nnrun.data.synthetic import SYNTHETIC, synthetic_builder
from nnrun.errors import DataError
from nnrun.vocabulary import DATASETS as DATASET_NAMES

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
    "folds": None,
    "fold": None,
    "features": None,     # csv: the feature columns (None: every column but the target)
    "delimiter": None,    # csv: None reads it off the header line
    "x_array": None,      # npz: the features' array (None: X)
    "y_array": None,      # npz: the targets' array (None: y)
}
TASKS = ("auto", "classification", "regression")

# Where the data comes from, keyed by the names a user writes (nnrun.vocabulary.DATASETS).
DATASETS: dict[str, Builder] = {
    **{name: synthetic_builder(name) for name in SYNTHETIC},
    "digits": digits,
    "mnist1d": mnist1d,
    "csv": read_csv,
    "npz": read_npz,
}


def load_dataset(spec: dict, seed: int, base_dir: Path | None = None,
                 merge_validation: bool = False) -> Dataset:
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
    folds, fold: k-fold cross-validation (nnrun.data._folds): the same test split, and fold
    ``fold`` of the other rows as the validation set (fold None: no validation set, every
    non-test row trains, as a refit on all the data does).
    merge_validation: train on the training and validation rows together (``nnrun refit``),
        scaled by their mean and standard deviation; the test rows are the same as without it.
    Raises DataError, naming the file or data set, for anything wrong with the data.
    """
    spec = _with_defaults(spec)
    seed = check_seed(spec["seed"] if spec["seed"] is not None else seed)
    fractions = _check_fractions(spec["val_fraction"], spec["test_fraction"])
    raw = DATASETS[spec["dataset"]](spec, seed, base_dir)
    found = targets(raw, spec["task"])
    # The split draws from its own stream of the seed, apart from the synthetic draw.
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    rows = split_rows(raw, found, fractions, rng, auto_task=spec["task"] == raw.task == "auto")
    if spec["folds"] is not None:
        deal = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[1])
        rows = fold_rows(rows, found, int(spec["folds"]), spec["fold"], deal, raw.source)
    if merge_validation:
        rows = rows._replace(train=np.concatenate([rows.train, rows.val]), val=rows.val[:0])
    return to_dataset(spec["dataset"], raw, found, rows, scale=spec["standardize"])


def _with_defaults(spec: dict) -> dict:
    """The block with every key (DEFAULTS where it says nothing), naming a known data set."""
    unknown = sorted(set(spec) - set(DEFAULTS))
    if unknown:
        raise DataError(f"unknown data option(s) {', '.join(unknown)}; allowed: "
                        f"{', '.join(DEFAULTS)}")
    spec = {**DEFAULTS, **spec}
    if spec["dataset"] is None:
        raise DataError(f"data.dataset is required; allowed: {', '.join(DATASET_NAMES)}")
    if spec["task"] not in TASKS:
        raise DataError(f"data.task must be one of {', '.join(TASKS)}, got {spec['task']!r}")
    if spec["dataset"] not in DATASETS:
        raise DataError(f"unknown data set {spec['dataset']!r}; allowed: "
                        f"{', '.join(DATASET_NAMES)}")
    return spec


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

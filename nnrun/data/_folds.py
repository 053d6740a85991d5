"""k-fold cross-validation (``data.folds: k``): the rows outside the test split, dealt into k
folds; fold i is trial i's validation set and the other folds its training set.

The test split is the one the same ``data:`` block without ``folds`` has (the split is made
first, with the same fractions and seed), so a k-fold sweep and a one-split sweep are scored on
the very same test samples; the k folds then share out the training and validation rows.

The deal is stratified for classification, as scikit-learn's ``StratifiedKFold(shuffle=True)``:
each class's rows are shuffled and dealt round-robin, each class carrying on where the one before
stopped, so every fold holds a class's share to within one sample and the folds' sizes differ by
at most one. For regression the rows are shuffled and dealt the same way (``KFold``). The
shuffle draws from a stream of the data seed of its own, so the split itself is unchanged.

``fold: null`` beside ``folds`` is the split a refit trains on: every non-test row in the
training set and an empty validation set (the hook for ``nnrun refit``).
"""

from __future__ import annotations

import numpy as np

from nnrun.data._splits import Rows, Targets
from nnrun.errors import DataError


def deal_folds(codes: np.ndarray | None, n_rows: int, folds: int,
               rng: np.random.Generator) -> np.ndarray:
    """The fold (0 .. folds-1) of each of ``n_rows`` rows, stratified by ``codes`` when given."""
    assignment = np.empty(n_rows, dtype=np.int64)
    if codes is None:
        assignment[rng.permutation(n_rows)] = np.arange(n_rows) % folds
        return assignment
    offset = 0
    for c in np.unique(codes):
        members = rng.permutation(np.flatnonzero(codes == c))
        assignment[members] = (offset + np.arange(len(members))) % folds
        offset += len(members)
    return assignment


def fold_rows(rows: Rows, targets: Targets, folds: int, fold: int | None,
              rng: np.random.Generator, source: str) -> Rows:
    """``rows`` with its training and validation rows replaced by fold ``fold`` of ``folds``
    (the module docstring); ``fold`` None: every non-test row trains, none validates."""
    non_test = np.concatenate([rows.train, rows.val])
    codes = None if targets.codes is None else targets.codes[non_test]
    _check_enough(codes, len(non_test), folds, source, targets.classes)
    if fold is None:
        return Rows(rows.X, non_test, non_test[:0], rows.test)
    if not 0 <= fold < folds:
        raise DataError(f"data.fold {fold} is not one of the {folds} folds (0 .. {folds - 1})",
                        "data.fold")
    assignment = deal_folds(codes, len(non_test), folds, rng)
    return Rows(rows.X, non_test[assignment != fold], non_test[assignment == fold], rows.test)


def _check_enough(codes: np.ndarray | None, n_rows: int, folds: int, source: str,
                  classes: list[str] | None) -> None:
    if n_rows < folds:
        raise DataError(f"{source}: {n_rows} samples outside the test split are too few for "
                        f"data.folds: {folds}; each fold needs at least one", "data.folds")
    if codes is None or classes is None:
        return
    counts = np.bincount(codes, minlength=len(classes))
    small = [(classes[c], int(counts[c])) for c in range(len(classes)) if counts[c] < folds]
    if small:
        name, count = small[0]
        raise DataError(f"{source}: class {name!r} has {count} sample(s) outside the test "
                        f"split, too few for data.folds: {folds} (every fold holds one of each "
                        f"class); use fewer folds or more data", "data.folds")

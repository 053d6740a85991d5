"""What a builder hands on (the raw arrays of one data set), and the checks builders share."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnrun.errors import DataError


@dataclass
class Raw:
    """What a builder hands on: features, targets (labels of any dtype, or an (n, k) array of
    regression targets) and, for a set that has one, its own test split."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    source: str  # names the data in messages: the file, or the data set
    task: str = "auto"  # what the data itself says; built-in sets are classification
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    # The config key to blame when there are too few samples to split (see DataError.key):
    # data.n_samples for a set drawn to that size; None for a file, which is what it is.
    size_key: str | None = None


# A builder: (the data: block with defaults, the data seed, the folder paths resolve against).
Builder = Callable[[dict, int, Path | None], Raw]


def is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_seed(seed) -> int:
    if not is_int(seed) or seed < 0:
        raise DataError(f"the data seed must be an integer of at least 0, got {seed!r}")
    return int(seed)


def rows_text(rows: np.ndarray, word: str, first: int = 0) -> str:
    """Up to five rows (0-based indices), numbered from ``first``: "line 3", "rows 2, 7, ..."."""
    shown = ", ".join(str(row + first) for row in rows[:5])
    more = ", ..." if len(rows) > 5 else ""
    return f"{word} {shown}" if len(rows) == 1 else f"{word}s {shown}{more}"


def check_finite(X: np.ndarray, names: list[str], source: str,
                 where: Callable[[np.ndarray], str]) -> None:
    """Raise a DataError naming each column with NaN or infinite values and where they are."""
    bad = ~np.isfinite(X)
    if not bad.any():
        return
    problems = []
    for j in np.flatnonzero(bad.any(axis=0)):
        rows = np.flatnonzero(bad[:, j])
        problems.append(f"column {names[j]!r} in {len(rows)} row(s) ({where(rows)})")
    raise DataError(f"{source}: missing, NaN or infinite values: " + "; ".join(problems))

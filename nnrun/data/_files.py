"""The user's own files: a csv table with a header, or a numpy .npz archive of X and y.

Every problem is a DataError that names the file and says where in it (a csv file's line
numbers, an array's rows). pandas is imported inside the csv reader; an .npz archive is read
with allow_pickle=False, so it can never run code.
"""

import functools
import zipfile
from pathlib import Path

import numpy as np

from nnrun.data._raw import Raw, check_finite, rows_text
from nnrun.errors import DataError

# Rows of a csv file (0-based, after the header) as the file's line numbers; rows of an array.
_lines = functools.partial(rows_text, word="line", first=2)
_rows = functools.partial(rows_text, word="row")


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


# --- csv -----------------------------------------------------------------------------------


def read_csv(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """A csv file with a header: the `target` column is the label, every other column a
    numeric feature."""
    path = _resolve_path(spec, base_dir)
    if spec["target"] is None:
        raise DataError(f"{path}: data.target is required for a csv file: the label column",
                        "data.target")
    target = str(spec["target"])
    frame = _read_frame(path)
    features = _feature_columns(frame, target, path)
    return Raw(_features(frame, features, target, path), _labels(frame, target, path),
               features, f"{path}")


def _read_frame(path: Path):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError as error:
        raise DataError(f"{path}: the file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: cannot be read as csv: {error}") from error
    frame.columns = [str(column) for column in frame.columns]
    return frame


def _feature_columns(frame, target: str, path: Path) -> list[str]:
    """Every column but the target, once the target is there and there are rows."""
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
    return features


def _features(frame, features: list[str], target: str, path: Path) -> np.ndarray:
    """The feature columns as float64: all numbers, all finite."""
    import pandas as pd

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
    check_finite(X, features, f"{path}", _lines)
    return X


def _labels(frame, target: str, path: Path) -> np.ndarray:
    """The target column: no empty cell, and finite if it holds numbers."""
    labels = frame[target]
    missing = np.flatnonzero(labels.isna().to_numpy())
    if len(missing):
        raise DataError(f"{path}: the target column {target!r} is empty in {len(missing)} "
                        f"row(s) ({_lines(missing)})")
    y = labels.to_numpy()
    if y.dtype.kind == "f":
        check_finite(y[:, None], [target], f"{path}", _lines)
    return y


# --- npz -----------------------------------------------------------------------------------


def read_npz(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """A numpy .npz archive with arrays `X` (n, features) and `y` (n,) or (n, outputs);
    read with allow_pickle=False, so it can never run code."""
    path = _resolve_path(spec, base_dir)
    _check_archive(path)
    X, y = _read_arrays(path)
    X, y = _feature_matrix(X, path), _target_array(y, path)
    if len(X) != len(y):
        raise DataError(f"{path}: X has {len(X)} rows but y has {len(y)}; they must match")
    if len(X) == 0:
        raise DataError(f"{path}: X and y have no rows")
    if y.dtype.kind not in "biufUS" or (y.ndim == 2 and y.dtype.kind not in "biuf"):
        raise DataError(f"{path}: y has dtype {y.dtype} and shape {y.shape}; targets must be "
                        "numbers, or strings in a 1-D y")
    names = [f"x{j + 1}" for j in range(X.shape[1])]
    X = X.astype(np.float64)
    check_finite(X, names, f"{path}: X", _rows)
    if y.dtype.kind == "f":
        names_y = ["y"] if y.ndim == 1 else [f"y[:, {j}]" for j in range(y.shape[1])]
        check_finite(y.reshape(len(y), -1), names_y, f"{path}", _rows)
    return Raw(X, y, names, f"{path}")


def _check_archive(path: Path) -> None:
    """A zip (or a lone .npy array, refused below), judged by its first bytes."""
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


def _read_arrays(path: Path) -> tuple[np.ndarray, np.ndarray]:
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
            return archive["X"], archive["y"]
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DataError(f"{path}: cannot read arrays X and y: {error}") from error


def _feature_matrix(X: np.ndarray, path: Path) -> np.ndarray:
    """X as (samples, features) numbers; a 1-D X is one feature."""
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: X has dtype {X.dtype}; features must be numbers")
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise DataError(f"{path}: X has shape {X.shape}; it must be (samples, features)")
    return X


def _target_array(y: np.ndarray, path: Path) -> np.ndarray:
    """y as (samples,) or (samples, outputs); a single output column is a 1-D y."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise DataError(f"{path}: y has shape {y.shape}; it must be (samples,) or "
                        "(samples, outputs)")
    return y

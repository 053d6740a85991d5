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
from nnrun.vocabulary import FILE_DATASETS

# Rows of a csv file (0-based, after the header) as the file's line numbers; rows of an array.
_lines = functools.partial(rows_text, word="line", first=2)
_rows = functools.partial(rows_text, word="row")


def _joined(spec: dict, base_dir: str | Path | None) -> Path:
    """data.path, a relative one under the config's folder."""
    path = Path(spec["path"]).expanduser()
    return Path(base_dir) / path if not path.is_absolute() and base_dir is not None else path


def file_stamp(spec: dict, base_dir: str | Path | None) -> tuple[int, int] | None:
    """The size and modification time (ns) of a csv or npz data set's file, which tell a file
    changed on disk from the one read before; None for a built-in data set, or a file this
    process cannot see (a dask worker on another machine, which gets the set sent)."""
    if spec.get("dataset") not in FILE_DATASETS or not spec.get("path"):
        return None
    try:
        status = _joined(spec, base_dir).stat()
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def _resolve_path(spec: dict, base_dir: Path | None) -> Path:
    if spec["path"] is None:
        raise DataError(f"data set {spec['dataset']!r} needs data.path: the file to read",
                        "data.path")
    path = _joined(spec, base_dir)
    if not path.exists():
        raise DataError(f"{path}: no such file", "data.path")
    if not path.is_file():
        raise DataError(f"{path}: not a file", "data.path")
    return path


# --- csv -----------------------------------------------------------------------------------


def read_csv(spec: dict, seed: int, base_dir: Path | None) -> Raw:
    """A csv file with a header: the `target` column is the label; `features` (default: every
    other column) the numeric inputs. `delimiter` separates the cells; without it, it is read
    off the header line (a comma, semicolon, tab or bar)."""
    path = _resolve_path(spec, base_dir)
    if spec["target"] is None:
        raise DataError(f"{path}: data.target is required for a csv file: the label column",
                        "data.target")
    target = str(spec["target"])
    frame = read_frame(path, spec.get("delimiter"))
    features = _feature_columns(frame, target, path, spec.get("features"))
    return Raw(_features(frame, features, target, path), _labels(frame, target, path),
               features, f"{path}")


DELIMITERS = ",;\t|"


def sniff_delimiter(path: Path) -> str:
    """The delimiter of a csv file, read off its header line by csv.Sniffer; a comma when the
    header has one column or it cannot tell."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError):
        return ","  # pandas says what is wrong with the file
    try:
        return csv.Sniffer().sniff(header, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_frame(path: Path, delimiter: str | None = None):
    """A csv file as a DataFrame (str column names), its delimiter given or read off the header
    line; ``nnrun predict`` reads new data with it as the sweep read its own."""
    import pandas as pd

    sep = delimiter or sniff_delimiter(path)
    try:
        frame = pd.read_csv(path, sep=sep)
    except pd.errors.EmptyDataError as error:
        raise DataError(f"{path}: the file is empty") from error
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DataError(f"{path}: cannot be read as csv (cells separated by {sep!r}): "
                        f"{error}") from error
    frame.columns = [str(column) for column in frame.columns]
    return frame


def _feature_columns(frame, target: str, path: Path, chosen: list[str] | None = None
                     ) -> list[str]:
    """The columns of data.features (or every column but the target), once they and the
    target are there and there are rows."""
    present = ", ".join(frame.columns)
    if target not in frame.columns:
        raise DataError(
            f"{path}: no column {target!r} (data.target); columns present: {present}",
            "data.target"
        )
    missing = [column for column in chosen or [] if column not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {', '.join(map(repr, missing))} (data.features); "
                        f"columns present: {present}", "data.features")
    if frame.empty:
        raise DataError(f"{path}: no data rows, only the header")
    features = list(chosen) if chosen else [c for c in frame.columns if c != target]
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
                        + f"; every feature column must be a number (data.features lists "
                          f"the columns to use; without it, every column but the target "
                          f"{target!r})")
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
    X, y = _read_arrays(path, spec.get("x_array") or "X", spec.get("y_array") or "y")
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


def _read_arrays(path: Path, x_name: str = "X", y_name: str = "y"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The feature and target arrays, by name (data.x_array and data.y_array: X and y)."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot be read as a .npz archive: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: holds one array, not a .npz archive with arrays {x_name} "
                        f"and {y_name}")
    with archive:
        missing = [key for key in (x_name, y_name) if key not in archive.files]
        if missing:
            keys = " and ".join(f"data.{k}" for k, name in (("x_array", x_name),
                                                           ("y_array", y_name))
                                if name in missing)
            raise DataError(
                f"{path}: no array {' or '.join(missing)}; arrays present: "
                f"{', '.join(archive.files) or 'none'} (set {keys} to the names of the "
                f"features and the targets; defaults X and y)",
                "data.x_array" if x_name in missing else "data.y_array"
            )
        try:
            return archive[x_name], archive[y_name]
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise DataError(f"{path}: cannot read arrays {x_name} and {y_name}: {error}"
                            ) from error


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

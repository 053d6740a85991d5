"""How the results folder's files are written: atomically, and in the encodings they share.

Every file goes through a temporary file and ``os.replace``, so that a reader (``nnrun show``
on a running sweep, a kill at any moment) sees the old file or the new one, never half of one.
JSON and CSV files hold no non-finite number: JSON has no word for it (it becomes null), CSV
leaves the cell empty; floats are written with ``repr``, which reads back bit for bit.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import math
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np


def utc_now() -> str:
    """The current time in ISO 8601, UTC, to the millisecond (a quick sweep's run time shows)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _new_file_mode() -> int:
    """The mode open() gives a new file, 0o666 less the umask (read once, at import, before
    any thread starts: os.umask can only be read by setting it)."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


NEW_FILE_MODE = _new_file_mode()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: all or nothing.

    An OSError (no permission, a full disk) leaves ``path`` as it was, and names ``path`` (not
    the temporary file) as its ``filename``."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise _naming(error, path) from error
    try:
        # mkstemp makes the file private (0o600): results are read by others too (CI
        # artifacts, a shared folder), so give them the mode any other new file gets
        os.fchmod(fd, NEW_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise _naming(error, path) from error
        raise


def _naming(error: OSError, path: Path) -> OSError:
    """The same error (PermissionError stays one: OSError picks the subclass by errno), about
    ``path``."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror or os.strerror(error.errno), str(path))


def check_writable(folder: Path) -> None:
    """Raise OSError unless a file can be created in ``folder`` (made if missing): the question
    permissions alone cannot answer (root, read-only mounts, a file in the way)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():  # a dangling link, say
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".nnrun-write-check.", suffix=".tmp")
    os.close(fd)
    os.unlink(probe)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def finite_only(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None, so that every JSON file is
    valid JSON; dicts, lists and tuples are walked (tuples become lists)."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_only(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_only(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(finite_only(data), indent=2, default=_json_default) + "\n")


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive of named arrays, in memory (to be written atomically)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    """A CSV file's text: the header, then one line a row; a missing or None value, and a
    non-finite float, is an empty cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return "" if value is None else value

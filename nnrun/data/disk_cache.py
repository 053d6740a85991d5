"""The on-disk cache of generated built-in data sets (mnist1d, digits), kept across sweeps.

Generating MNIST-1D takes seconds and digits needs scikit-learn imported; their raw arrays
depend only on what made them, so they are stored once in a user cache folder:

- The folder: ``$NNRUN_CACHE_DIR`` if set, else the platform's user cache folder (platformdirs
  when installed, else ``$XDG_CACHE_HOME/nnrun`` or ``~/.cache/nnrun``); entries live in its
  ``data/`` subfolder. ``nnrun cache info`` lists them, ``nnrun cache clear`` removes them.
- The key of an entry: the data set, the arguments that make it (e.g. MNIST-1D's seed and
  generator arguments) and the versions of everything that shapes the arrays (the package
  that generates them, numpy, this file's format). A change in any of them is another file
  name, so a stale entry is never read, only left for ``cache clear``.
- An entry is one uncompressed .npz holding the arrays, the key in full and a SHA-256 of the
  arrays. It is written to a temporary file in the same folder and renamed over the entry
  (``os.replace``, atomic): a reader sees the old file or the new one, never half of one, and
  two sweeps writing the same entry at once leave one of two identical valid files.
- A file that cannot be read, whose key differs or whose checksum does not match (truncated,
  corrupted, written by something else) is never trusted: the arrays are built again and the
  entry rewritten. A cache folder that cannot be written only costs the speed-up.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

ENV_VAR = "NNRUN_CACHE_DIR"
FORMAT = 1  # bump when what an entry holds changes
SUFFIX = ".npz"
_KEY, _CHECKSUM = "__key__", "__sha256__"

Arrays = dict[str, np.ndarray]


def cache_dir() -> Path:
    """The user cache folder of nnrun (``$NNRUN_CACHE_DIR`` first)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    try:
        from platformdirs import user_cache_dir
    except ImportError:
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
            return Path(base) / "nnrun" / "Cache"
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "nnrun"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnrun"
    return Path(user_cache_dir("nnrun", appauthor=False))


def data_dir() -> Path:
    return cache_dir() / "data"


def package_version(name: str) -> str | None:
    """The installed version of a distribution, None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def entry_key(dataset: str, arguments: dict[str, Any], packages: tuple[str, ...]) -> dict:
    """The full key of an entry: the data set, its arguments and the versions that make it."""
    versions = {name: package_version(name) for name in ("numpy", *packages)}
    return {"dataset": dataset, "arguments": arguments, "versions": versions, "format": FORMAT}


def entry_path(key: dict) -> Path:
    text = json.dumps(key, sort_keys=True, default=str)
    return data_dir() / f"{key['dataset']}-{hashlib.sha256(text.encode()).hexdigest()[:20]}{SUFFIX}"


def cached_arrays(key: dict, build: Callable[[], Arrays]) -> Arrays:
    """The arrays of ``key``: read from the cache when a valid entry is there, else ``build()``
    and stored. The arrays come back read-only (every caller in the process may share them)."""
    path = entry_path(key)
    arrays = read_entry(path, key)
    if arrays is None:
        arrays = {name: np.asarray(array) for name, array in build().items()}
        with contextlib.suppress(OSError):  # a read-only cache costs only the speed-up
            write_entry(path, key, arrays)
    for array in arrays.values():
        array.flags.writeable = False
    return arrays


def _checksum(arrays: Arrays) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def read_entry(path: Path, key: dict) -> Arrays | None:
    """The arrays of a valid entry; None for a missing, unreadable, foreign or corrupted one."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            contents = {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        return None
    except Exception:  # truncated or corrupted: zipfile, numpy and OS errors of every kind
        return None
    try:
        stored_key = json.loads(str(contents.pop(_KEY)))
        checksum = str(contents.pop(_CHECKSUM))
    except (KeyError, ValueError):
        return None
    if stored_key != json.loads(json.dumps(key, default=str)) or checksum != _checksum(contents):
        return None
    return contents


def write_entry(path: Path, key: dict, arrays: Arrays) -> None:
    """Store an entry atomically: a temporary file in the same folder, flushed, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp",
                                         dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays, **{_KEY: np.array(json.dumps(key, default=str)),
                                        _CHECKSUM: np.array(_checksum(arrays))})
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


class Entry(NamedTuple):
    """One file of the cache, as ``nnrun cache info`` lists it."""

    path: Path
    dataset: str
    size: int  # bytes
    modified: float  # seconds since the epoch
    key: dict | None  # None: not a readable entry (it would be rebuilt)


def entries() -> list[Entry]:
    """The files in the cache folder (entries and leftovers of interrupted writes)."""
    folder = data_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        stat = path.stat()
        found.append(Entry(path, path.name.lstrip(".").split("-")[0], stat.st_size,
                           stat.st_mtime, _key_of(path)))
    return found


def _key_of(path: Path) -> dict | None:
    if path.suffix != SUFFIX:
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return json.loads(str(stored[_KEY]))
    except Exception:  # unreadable: shown as such
        return None


def clear() -> tuple[int, int]:
    """Remove every file of the cache folder; returns how many and their bytes."""
    removed, size = 0, 0
    for entry in entries():
        with contextlib.suppress(FileNotFoundError):
            entry.path.unlink()
            removed, size = removed + 1, size + entry.size
    with contextlib.suppress(OSError):
        data_dir().rmdir()
    return removed, size

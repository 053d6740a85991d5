"""The results folder (ARCHITECTURE.md): only the driver writes here, every file atomically.

```
<out>/<name>/
  sweep.json                      the spec as loaded, version, times, trial ids
  summary.csv                     one row a trial
  trials/<id>/config.yaml         the resolved trial config
  trials/<id>/metrics.csv         one row an epoch
  trials/<id>/weights.npz         final weights W1..WL, b1..bL
  trials/<id>/checkpoint.npz      halving: the trainer's state where a rung stopped it (arrays,
                                  plus the scalars as JSON text); removed once the trial ends ok
                                  or diverged, kept where a trial stays stopped
  trials/<id>/result.json         status, final metrics, timings; written last, it marks the
                                  trial as done (a folder without it is an unfinished trial)
```
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.errors import NnrunError
from nnrun.results.record import TrialRecord
from nnrun.vocabulary import METRICS, format_value

LOCK_NAME = ".nnrun.lock"


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
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``: all or nothing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0o600): results are read by others too (CI
        # artifacts, a shared folder), so give them the mode any other new file gets
        os.fchmod(fd, NEW_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _clean(value: Any) -> Any:
    """Non-finite floats become None, so that every JSON file is valid JSON."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(_clean(data), indent=2, default=_json_default) + "\n")


CHECKPOINT_NAME = "checkpoint.npz"
STATE_JSON = "__state_json__"


def encode_state(state: Any) -> tuple[dict[str, np.ndarray], Any]:
    """Split a nested state (dicts, lists, tuples, arrays, numbers) into named arrays and a
    JSON-able skeleton that points at them, so a checkpoint needs no pickle. Numpy scalars are
    kept as 0-d arrays and Python floats as JSON text (``repr`` round-trips): loading gives back
    every number bit for bit."""
    arrays: dict[str, np.ndarray] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, np.ndarray | np.generic):
            name = f"a{len(arrays)}"
            arrays[name] = np.asarray(value)
            return {"__array__": name, "scalar": isinstance(value, np.generic)}
        if isinstance(value, dict):
            return {"__dict__": [[key, walk(item)] for key, item in value.items()]}
        if isinstance(value, tuple):
            return {"__tuple__": [walk(item) for item in value]}
        if isinstance(value, list):
            return [walk(item) for item in value]
        return value

    return arrays, walk(state)


def decode_state(skeleton: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The inverse of :func:`encode_state`."""
    if isinstance(skeleton, list):
        return [decode_state(item, arrays) for item in skeleton]
    if isinstance(skeleton, dict):
        if "__array__" in skeleton:
            array = arrays[skeleton["__array__"]]
            return array[()] if skeleton["scalar"] else array
        if "__tuple__" in skeleton:
            return tuple(decode_state(item, arrays) for item in skeleton["__tuple__"])
        return {key: decode_state(item, arrays) for key, item in skeleton["__dict__"]}
    return skeleton


def _csv_text(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            if isinstance(value, float):
                cells.append("" if not math.isfinite(value) else repr(value))
            else:
                cells.append("" if value is None else value)
        writer.writerow(cells)
    return buffer.getvalue()


class SweepLock:
    """An exclusive lock on a results folder, so that two sweeps never write one folder.

    The lock is an ``flock`` on the file ``.nnrun.lock``: the kernel releases it when its holder
    exits, however it exits (SIGKILL included), so a lock is never stale and two processes can
    never both take one over. The file's contents (pid, host, start time) only name the holder
    in the message a second sweep gets; the file stays, empty, once the lock is released.
    """

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:  # --out is a file, or a place this user cannot write
            raise NnrunError(f"cannot create the results folder {self.path.parent}: "
                             f"{error.strerror or error}; give another --out") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = self._holder(fd)
            os.close(fd)
            raise NnrunError(
                f"{self.path.parent} is in use by another nnrun sweep (pid "
                f"{holder.get('pid', '?')} on {holder.get('host', '?')}, since "
                f"{holder.get('since', '?')}); wait for it to finish or use another --out"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd

    @staticmethod
    def _holder(fd: int) -> dict[str, Any]:
        try:
            return json.loads(os.pread(fd, 4096, 0))
        except (OSError, ValueError):  # being written this very moment
            return {}

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class ResultsStore:
    """Reads and writes one sweep's results folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.trials_dir = self.folder / "trials"

    @contextlib.contextmanager
    def locked(self) -> Iterator[ResultsStore]:
        lock = SweepLock(self.folder)
        lock.acquire()
        try:
            yield self
        finally:
            lock.release()

    def clear(self) -> None:
        """Forget every earlier trial (``--no-resume``); plots are left alone."""
        shutil.rmtree(self.trials_dir, ignore_errors=True)
        for name in ("summary.csv", "sweep.json"):
            with contextlib.suppress(FileNotFoundError):
                (self.folder / name).unlink()

    def trial_dir(self, trial_id: str) -> Path:
        return self.trials_dir / trial_id

    def read_result(self, trial_id: str) -> TrialRecord | None:
        """A trial's result.json, or None when the trial has not finished (or its file is not
        a record)."""
        try:
            return TrialRecord.from_json(
                json.loads((self.trial_dir(trial_id) / "result.json").read_text()))
        except (OSError, ValueError, TypeError, AttributeError):
            return None

    def write_sweep(self, meta: dict[str, Any]) -> None:
        write_json(self.folder / "sweep.json", meta)

    def read_sweep(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.folder / "sweep.json").read_text())
        except (OSError, ValueError):
            return None

    def write_trial(self, trial_config: dict[str, Any], record: TrialRecord, *,
                    history: Sequence[dict[str, Any]] = (),
                    weights: Sequence[np.ndarray] | None = None,
                    biases: Sequence[np.ndarray] | None = None,
                    state: dict[str, Any] | None = None) -> TrialRecord:
        """Write a trial's files, result.json last; returns the record as stored (non-finite
        numbers as None, ``finished_at`` set)."""
        import yaml

        folder = self.trial_dir(record.trial)
        folder.mkdir(parents=True, exist_ok=True)
        config_doc = {"trial": record.trial, "params": record.params, **trial_config}
        atomic_write_text(folder / "config.yaml",
                          yaml.safe_dump(_clean(config_doc), sort_keys=False))
        if history:
            columns = list(history[0].keys())
            atomic_write_text(folder / "metrics.csv", _csv_text(columns, history))
        if weights is not None:
            arrays = {f"W{i + 1}": w for i, w in enumerate(weights)}
            arrays.update({f"b{i + 1}": b for i, b in enumerate(biases or ())})
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            atomic_write_bytes(folder / "weights.npz", buffer.getvalue())
        if state is not None:
            self.write_checkpoint(record.trial, state)
        elif record.status in ("ok", "diverged"):  # finished: nothing left to continue
            with contextlib.suppress(FileNotFoundError):
                (folder / CHECKPOINT_NAME).unlink()
        stored = TrialRecord.from_json(_clean(record.to_json()))
        if stored.finished_at is None:
            stored.finished_at = utc_now()
        write_json(folder / "result.json", stored.to_json())
        return stored

    def write_checkpoint(self, trial_id: str, state: dict[str, Any]) -> None:
        """A trainer's ``state_dict()`` as trials/<id>/checkpoint.npz (no pickle)."""
        arrays, scalars = encode_state(state)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays, **{STATE_JSON: np.array(json.dumps(scalars))})
        atomic_write_bytes(self.trial_dir(trial_id) / CHECKPOINT_NAME, buffer.getvalue())

    def read_checkpoint(self, trial_id: str) -> dict[str, Any] | None:
        """The state :meth:`write_checkpoint` saved, or None if there is none or it is unreadable
        (the trial is then trained again from the start, which gives the same numbers)."""
        try:
            with np.load(self.trial_dir(trial_id) / CHECKPOINT_NAME,
                         allow_pickle=False) as saved:
                arrays = {name: saved[name] for name in saved.files}
            return decode_state(json.loads(str(arrays.pop(STATE_JSON))), arrays)
        except (OSError, ValueError, KeyError):
            return None

    def read_results(self) -> dict[str, TrialRecord]:
        """Every trial's result.json in the folder, by trial id (any status)."""
        records = {}
        for path in sorted(self.trials_dir.glob("*/result.json")):
            record = self.read_result(path.parent.name)
            if record is not None:
                records[path.parent.name] = record
        return records

    def write_summary(self, records: Sequence[TrialRecord], parameters: Sequence[str],
                      task: str) -> None:
        """summary.csv: one row a trial, in the order given."""
        metrics = [m for m in METRICS if task == "classification" or "accuracy" not in m]
        columns = ["trial", "status", "seed", *parameters, *metrics,
                   "best_epoch", "epochs_run", "wall_s"]
        rows = []
        for record in records:
            row = {"trial": record.trial, "status": record.status, "seed": record.seed,
                   "best_epoch": record.best_epoch, "epochs_run": record.epochs_run,
                   "wall_s": round(float(record.wall_s or 0.0), 4)}
            for name in parameters:
                row[name] = format_value(record.params.get(name))
            for metric in metrics:
                row[metric] = record.final.get(metric)
            rows.append(row)
        atomic_write_text(self.folder / "summary.csv", _csv_text(columns, rows))

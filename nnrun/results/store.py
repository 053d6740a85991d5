"""The writer of a results folder: only the driver writes here, every file atomically.

The layout is :mod:`nnrun.results.layout`'s; the driver holds the folder's lock
(:meth:`ResultsStore.locked`) while it writes. ``SweepLock``, ``LOCK_NAME``,
``atomic_write_text``, ``atomic_write_bytes`` and ``utc_now`` are importable from here too.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.errors import NnrunError
from nnrun.results.checkpoint import load_state, save_state
from nnrun.results.files import (
    atomic_write_bytes,
    atomic_write_text,
    check_writable,
    csv_text,
    finite_only,
    npz_bytes,
    utc_now,
    write_json,
)
from nnrun.results.layout import (
    CHECKPOINT_NPZ,
    CONFIG_YAML,
    LOCK_NAME,
    METRICS_CSV,
    RESULT_JSON,
    WEIGHTS_NPZ,
    Layout,
)
from nnrun.results.lock import SweepLock
from nnrun.results.model_files import write_model
from nnrun.results.reader import ResultsReader, read_json_object
from nnrun.results.record import TrialRecord
from nnrun.results.summary import summary_text
from nnrun.vocabulary import ENDED

__all__ = ["LOCK_NAME", "ResultsStore", "SweepLock", "atomic_write_bytes", "atomic_write_text",
           "utc_now"]


class ResultsStore:
    """Writes one sweep's results folder, and reads back what a resumed sweep needs."""

    def __init__(self, folder: Path):
        self.layout = Layout(folder)
        self.folder = self.layout.folder
        self.trials_dir = self.layout.trials_dir
        self._reader = ResultsReader(self.folder)

    @contextlib.contextmanager
    def locked(self) -> Iterator[ResultsStore]:
        lock = SweepLock(self.folder)
        lock.acquire()
        try:
            yield self
        finally:
            lock.release()

    def check_writable(self) -> None:
        """NnrunError (exit 2, before any training) unless the folder and its trials/ can be
        written: a folder of someone else's, a read-only mount, a file where a folder goes."""
        for folder in (self.folder, self.trials_dir):
            try:
                check_writable(folder)
            except OSError as error:
                reason = ("a file is in the way: it must be a folder"
                          if isinstance(error, FileExistsError | NotADirectoryError)
                          else error.strerror or str(error))
                raise NnrunError(f"cannot write into the results folder {folder}: {reason}; "
                                 f"fix that or give another --out") from None

    def forget(self, trial_ids: Iterable[str]) -> list[str]:
        """Delete these trials' folders (``--no-resume``), and summary.csv, which is rebuilt;
        the other trials of the folder stay. Returns the ids of the folders that were there.

        result.json goes first: a kill half-way leaves an unfinished trial, never a record
        whose files are gone."""
        removed = []
        for trial_id in trial_ids:
            folder = self.layout.trial_dir(trial_id)
            if not folder.is_dir():
                continue
            with contextlib.suppress(FileNotFoundError):
                (folder / RESULT_JSON).unlink()
            shutil.rmtree(folder)
            removed.append(trial_id)
        with contextlib.suppress(FileNotFoundError):
            self.layout.summary_csv.unlink()
        return removed

    # -- sweep.json and summary.csv --------------------------------------------------------

    def write_sweep(self, meta: dict[str, Any]) -> None:
        write_json(self.layout.sweep_json, meta)

    def read_sweep(self) -> dict[str, Any] | None:
        """sweep.json as an earlier run left it, or None."""
        try:
            return read_json_object(self.layout.sweep_json)
        except NnrunError:
            return None

    def write_summary(self, records: Sequence[TrialRecord], parameters: Sequence[str],
                      task: str) -> None:
        """summary.csv: one row a trial, in the order given."""
        atomic_write_text(self.layout.summary_csv, summary_text(records, parameters, task))

    # -- a trial ---------------------------------------------------------------------------

    def write_trial(self, trial_config: dict[str, Any], record: TrialRecord, *,
                    history: Sequence[dict[str, Any]] = (),
                    weights: Sequence[np.ndarray] | None = None,
                    biases: Sequence[np.ndarray] | None = None,
                    state: dict[str, Any] | None = None,
                    model: dict[str, Any] | None = None,
                    scaler: dict[str, np.ndarray] | None = None) -> TrialRecord:
        """Write a trial's files, result.json last; returns the record as stored (non-finite
        numbers as None, ``finished_at`` set). ``model`` is model.json's description and
        ``scaler`` the input scaling (:mod:`nnrun.results.model_files`)."""
        trial = record.trial
        folder = self.layout.trial_dir(trial)
        self._write_files(folder, trial_config, record, history, weights, biases, model, scaler)
        if state is not None:
            self.write_checkpoint(trial, state)
        elif record.status in ENDED:  # finished: nothing left to continue
            with contextlib.suppress(FileNotFoundError):
                (folder / CHECKPOINT_NPZ).unlink()
        return self._write_record(folder, record)

    def write_refit(self, trial_config: dict[str, Any], record: TrialRecord, *,
                    history: Sequence[dict[str, Any]], weights: Sequence[np.ndarray],
                    biases: Sequence[np.ndarray], model: dict[str, Any],
                    scaler: dict[str, np.ndarray] | None) -> Path:
        """``nnrun refit``'s model of a trial, as refit/<trial>/ (a trial folder's files);
        returns the folder."""
        folder = self.layout.refit_dir / record.trial
        self._write_files(folder, trial_config, record, history, weights, biases, model, scaler)
        self._write_record(folder, record)
        return folder

    @staticmethod
    def _write_files(folder: Path, trial_config: dict[str, Any], record: TrialRecord,
                     history: Sequence[dict[str, Any]], weights: Sequence[np.ndarray] | None,
                     biases: Sequence[np.ndarray] | None, model: dict[str, Any] | None,
                     scaler: dict[str, np.ndarray] | None) -> None:
        import yaml

        folder.mkdir(parents=True, exist_ok=True)
        config_doc = {"trial": record.trial, "params": record.params, **trial_config}
        atomic_write_text(folder / CONFIG_YAML,
                          yaml.safe_dump(finite_only(config_doc), sort_keys=False))
        if history:
            atomic_write_text(folder / METRICS_CSV, csv_text(list(history[0].keys()), history))
        if weights is not None and model is not None:
            write_model(folder, model, weights, biases or (), scaler)
        elif weights is not None:
            arrays = {f"W{i + 1}": w for i, w in enumerate(weights)}
            arrays.update({f"b{i + 1}": b for i, b in enumerate(biases or ())})
            atomic_write_bytes(folder / WEIGHTS_NPZ, npz_bytes(arrays))

    @staticmethod
    def _write_record(folder: Path, record: TrialRecord) -> TrialRecord:
        stored = TrialRecord.from_json(finite_only(record.to_json()))
        if stored.finished_at is None:
            stored.finished_at = utc_now()
        write_json(folder / RESULT_JSON, stored.to_json())
        return stored

    def read_result(self, trial_id: str) -> TrialRecord | None:
        """A trial's result.json, or None when the trial has not finished (or its file is not
        a record)."""
        return self._reader.record(trial_id)

    def read_results(self) -> dict[str, TrialRecord]:
        """Every trial's result.json in the folder, by trial id (any status)."""
        return self._reader.records()

    def read_history(self, trial_id: str) -> list[dict[str, Any]]:
        """A trial's metrics.csv as one dict an epoch (none when it has no such file)."""
        frame = self._reader.metrics(trial_id)
        return [] if frame is None else frame.to_dict("records")

    def write_checkpoint(self, trial_id: str, state: dict[str, Any]) -> None:
        """A trainer's ``state_dict()`` as trials/<id>/checkpoint.npz (no pickle)."""
        save_state(self.layout.trial_file(trial_id, CHECKPOINT_NPZ), state)

    def read_checkpoint(self, trial_id: str) -> dict[str, Any] | None:
        """The state :meth:`write_checkpoint` saved, or None if there is none or it is unreadable
        (the trial is then trained again from the start, which gives the same numbers)."""
        return load_state(self.layout.trial_file(trial_id, CHECKPOINT_NPZ))

"""A sweep's data sets, built once in the driver and handed to the local worker processes as
memory-mapped files, so that no worker builds one again.

The driver has built every data set of the sweep in its checks before training
(``nnrun.driver.preflight``). On the first task of a data set, :class:`SharedData` writes that
data set's arrays with ``np.save`` into a private folder of this sweep (in /dev/shm, shared
memory, where there is one; else the temporary folder) and gives each of its tasks the folder's
path. A worker process opens the arrays with ``np.load(mmap_mode="r")``, read-only: the pages
are the operating system's, shared by every worker, and nothing is copied or generated (a
float32 sweep casts its copy once per process). The folder goes when the sweep ends; its name
holds the driver's process id, so the next sweep removes one whose driver was killed.

Where the folder cannot be written (no space, no temporary folder) or the driver cannot build a
data set (one a search proposes later, say), its tasks go without a path and the worker builds
the data set itself, as it would alone: the results are the same either way, only slower.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import pickle
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnrun.vocabulary import data_key

if TYPE_CHECKING:
    from nnrun.data import Dataset
    from nnrun.execution.base import Task, TrialResult, Worker

SHARED_MEMORY = Path("/dev/shm")
_META = "dataset.pickle"
_PREFIX = "nnrun-data-"

# the folders this worker process has loaded into its data cache
_LOADED: set[str] = set()


def save_dataset(dataset: Dataset, folder: Path) -> None:
    """Write a data set as one .npy file per array and its other fields beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    fields: dict[str, Any] = {}
    arrays: list[str] = []
    for item in dataclasses.fields(dataset):
        value = getattr(dataset, item.name)
        if isinstance(value, np.ndarray) and value.size:  # an empty file cannot be mapped
            np.save(folder / f"{item.name}.npy", np.ascontiguousarray(value),
                    allow_pickle=False)
            arrays.append(item.name)
        else:
            fields[item.name] = value
    with (folder / _META).open("wb") as file:
        pickle.dump({"type": type(dataset), "fields": fields, "arrays": arrays}, file)


def load_dataset(folder: Path) -> Dataset:
    """The data set :func:`save_dataset` wrote, its arrays memory-mapped read-only."""
    with (Path(folder) / _META).open("rb") as file:
        meta = pickle.load(file)  # written by this sweep's driver into its private folder
    arrays = {name: np.asarray(np.load(Path(folder) / f"{name}.npy", mmap_mode="r",
                                       allow_pickle=False))
              for name in meta["arrays"]}
    for value in meta["fields"].values():
        if isinstance(value, np.ndarray):  # the empty ones, read-only like the others
            value.flags.writeable = False
    return meta["type"](**meta["fields"], **arrays)


class SharedData:
    """The data sets of one sweep written for its workers, by data key; :meth:`close` removes
    them."""

    def __init__(self) -> None:
        self.root: Path | None = None
        self.folders: dict[str, str | None] = {}

    def folder_for(self, task: Task) -> str | None:
        """The folder of the task's data set (written on first use), None where there is none."""
        data_spec = task.config.get("data")
        if not isinstance(data_spec, dict):
            return None
        key = data_key(data_spec, task.base_dir)
        if key not in self.folders:
            self.folders[key] = self._export(data_spec, task.base_dir)
        return self.folders[key]

    def _export(self, data_spec: dict, base_dir: str | None) -> str | None:
        from nnrun.data.cache import get_dataset

        try:
            dataset = get_dataset(data_spec, base_dir)  # built by the preflight already
        except Exception:  # the worker builds it and records the error as the trial's own
            return None
        try:
            if self.root is None:
                parent = _parent()
                _remove_orphans(Path(parent or tempfile.gettempdir()))
                self.root = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-",
                                                  dir=parent))
            folder = self.root / str(len(self.folders))
            save_dataset(dataset, folder)
        except OSError:  # no room: the workers build it themselves
            return None
        return str(folder)

    def close(self) -> None:
        """Remove the folder (workers that still map a file keep their pages until they
        exit)."""
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None
        self.folders.clear()


def _remove_orphans(parent: Path) -> None:
    """Remove the folders of sweeps whose driver died without removing them (killed): their
    names hold the driver's process id."""
    for folder in parent.glob(f"{_PREFIX}*-*"):
        try:
            pid = int(folder.name[len(_PREFIX):].split("-")[0])
            os.kill(pid, 0)  # raises ProcessLookupError when the process is gone
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except (ValueError, OSError):  # not ours, or alive under another user
            continue


def _parent() -> str | None:
    """/dev/shm where it is a writable folder, else the default temporary folder."""
    if SHARED_MEMORY.is_dir() and os.access(SHARED_MEMORY, os.W_OK | os.X_OK):
        return str(SHARED_MEMORY)
    return None


def run_with_shared_data(worker: Worker, task: Task, folder: str | None) -> TrialResult:
    """Worker side: put the sweep's data set from ``folder`` into this process's data cache
    (once per folder), then run the trial."""
    if folder is not None and folder not in _LOADED:
        from nnrun.data.cache import cache_dataset

        with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError, ValueError):
            cache_dataset(task.config["data"], task.base_dir, load_dataset(Path(folder)))
            _LOADED.add(folder)
    return worker(task)

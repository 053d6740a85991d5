"""Data sets built once per process: a worker that runs many trials pays for its data once.

A data set is known by ``nnrun.vocabulary.data_key`` (its resolved ``data:`` block and the
folder its paths resolve against) and by the dtype it is wanted in; the float64 one is built,
the others are cast from it. For a csv or npz file the cache also notes the file's size and
modification time when it was read: a command that starts using the data (``fresh``) reads a
file edited since again (between two sweeps of one process, a notebook's), while the trials of
a sweep all get the copy its checks read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.data._files import file_stamp
from nnrun.data.dataset import Dataset
from nnrun.data.load import load_dataset
from nnrun.vocabulary import data_key

# (data_key, dtype) -> the data set; data_key -> the stamp of the file it was read from
_DATASETS: dict[tuple[str, str], Dataset] = {}
_STAMPS: dict[str, tuple[int, int] | None] = {}


def get_dataset(data_spec: dict[str, Any], base_dir: str | Path | None = None,
                dtype: str = "float64", fresh: bool = False) -> Dataset:
    """The data set of ``data_spec`` in ``dtype``, built once per process and cached.

    ``fresh``: where a command starts to use the data (a sweep's checks, gradcheck, the
    plots), a csv or npz file that changed on disk since it was read (its size or modification
    time) is read again. Without it, the copy cached is served as it is: every trial of a sweep
    trains on the data its checks read, even if the file is edited while it runs.
    """
    key = data_key(data_spec, base_dir)
    if fresh and key in _STAMPS and _STAMPS[key] != file_stamp(data_spec, base_dir):
        _forget(key)  # an earlier version of the file, and its casts
    if (key, "float64") not in _DATASETS:
        stamp = file_stamp(data_spec, base_dir)  # before reading: a later change is seen
        seed = data_spec.get("seed")
        # load_dataset is looked up here, at call time: a test swaps it on dask workers.
        _DATASETS[key, "float64"] = load_dataset(
            data_spec, seed=0 if seed is None else int(seed),
            base_dir=Path(base_dir) if base_dir else None)
        _STAMPS[key] = stamp
    if (key, dtype) not in _DATASETS:
        _DATASETS[key, dtype] = _cast_dataset(_DATASETS[key, "float64"], dtype)
    return _DATASETS[key, dtype]


def cache_dataset(data_spec: dict[str, Any], base_dir: str | Path | None,
                  dataset: Dataset) -> None:
    """Give this process's cache a float64 data set loaded elsewhere, as :func:`get_dataset`
    would have built it: a worker gets the sweep's data sets from the driver (dask: scattered;
    loky: memory-mapped files). It takes the place of a set cached under the same key (and of
    its casts), which a worker kept from an earlier sweep: the sender has just read the data.
    The same set given again keeps its casts."""
    key = data_key(data_spec, base_dir)
    if _DATASETS.get((key, "float64")) is dataset:
        return
    _forget(key)
    _DATASETS[key, "float64"] = dataset
    _STAMPS[key] = file_stamp(data_spec, base_dir)


def _forget(key: str) -> None:
    """Drop the sets of ``key`` and their casts."""
    for cached in [cached for cached in _DATASETS if cached[0] == key]:
        del _DATASETS[cached]
    _STAMPS.pop(key, None)


def _cast_dataset(dataset: Dataset, dtype: str) -> Dataset:
    if dtype == "float64":
        return dataset
    arrays = {name: np.ascontiguousarray(getattr(dataset, name), dtype=dtype)
              for name in ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test")}
    return dataclasses.replace(dataset, **arrays)

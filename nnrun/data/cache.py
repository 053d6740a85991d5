"""Data sets built once per process: a worker that runs many trials pays for its data once.

A data set is known by ``nnrun.vocabulary.data_key`` (its resolved ``data:`` block and the
folder its paths resolve against), for a csv or npz file also by the file's size and
modification time (a file edited between two sweeps of one process, a notebook's, is read
again), and by the dtype it is wanted in; the float64 one is built, the others are cast from it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.data._files import file_stamp
from nnrun.data.dataset import Dataset
from nnrun.data.load import load_dataset
from nnrun.vocabulary import FILE_DATASETS, data_key

# (data_key, the file's stamp, dtype) -> the data set
_DATASETS: dict[tuple[str, tuple[int, int] | None, str], Dataset] = {}


def get_dataset(data_spec: dict[str, Any], base_dir: str | Path | None = None,
                dtype: str = "float64") -> Dataset:
    """The data set of ``data_spec`` in ``dtype``, built once per process and cached; a csv or
    npz file that changed on disk since (its size or modification time) is read again."""
    key, stamp = data_key(data_spec, base_dir), file_stamp(data_spec, base_dir)
    if (key, stamp, dtype) not in _DATASETS:
        _DATASETS[key, stamp, dtype] = _cast_dataset(_float64(data_spec, base_dir, stamp),
                                                     dtype)
    return _DATASETS[key, stamp, dtype]


def cache_dataset(data_spec: dict[str, Any], base_dir: str | Path | None,
                  dataset: Dataset, replace: bool = False) -> None:
    """Give this process's cache a float64 data set loaded elsewhere, as :func:`get_dataset`
    would have built it: a worker gets the sweep's data sets from the driver (dask: scattered;
    loky: memory-mapped files). ``replace``: this one takes the place of a set cached under the
    same key (and of its casts), which a worker kept from an earlier sweep. So it does where
    this process cannot see the file (a dask worker on another machine): it cannot tell
    whether its own copy is current, and the sender has just read the file."""
    key, stamp = data_key(data_spec, base_dir), file_stamp(data_spec, base_dir)
    cached = _DATASETS.get((key, stamp, "float64"))
    unseen = stamp is None and data_spec.get("dataset") in FILE_DATASETS
    _forget(key, keep=None if replace or (unseen and cached is not dataset) else stamp)
    _DATASETS.setdefault((key, stamp, "float64"), dataset)


def _forget(key: str, keep: tuple[int, int] | None) -> None:
    """Drop the sets of ``key`` (and their casts) but those of the file stamp ``keep``: a file
    that changed is never read back as it was. ``keep`` None drops them all."""
    for cached in [cached for cached in _DATASETS if cached[0] == key
                   and (keep is None or cached[1] != keep)]:
        del _DATASETS[cached]


def _float64(data_spec: dict[str, Any], base_dir: str | Path | None,
             stamp: tuple[int, int] | None) -> Dataset:
    key = data_key(data_spec, base_dir)
    if (key, stamp, "float64") not in _DATASETS:
        _forget(key, keep=stamp)  # an earlier version of the file
        seed = data_spec.get("seed")
        # load_dataset is looked up here, at call time: a test swaps it on dask workers.
        _DATASETS[key, stamp, "float64"] = load_dataset(
            data_spec, seed=0 if seed is None else int(seed),
            base_dir=Path(base_dir) if base_dir else None)
    return _DATASETS[key, stamp, "float64"]


def _cast_dataset(dataset: Dataset, dtype: str) -> Dataset:
    if dtype == "float64":
        return dataset
    arrays = {name: np.ascontiguousarray(getattr(dataset, name), dtype=dtype)
              for name in ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test")}
    return dataclasses.replace(dataset, **arrays)

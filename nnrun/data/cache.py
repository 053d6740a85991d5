"""Data sets built once per process: a worker that runs many trials pays for its data once.

A data set is known by ``nnrun.vocabulary.data_key`` (its resolved ``data:`` block and the
folder its paths resolve against) and the dtype it is wanted in; the float64 one is built, the
others are cast from it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.data.dataset import Dataset
from nnrun.data.load import load_dataset
from nnrun.vocabulary import data_key

_DATASETS: dict[tuple[str, str], Dataset] = {}


def get_dataset(data_spec: dict[str, Any], base_dir: str | Path | None = None,
                dtype: str = "float64") -> Dataset:
    """The data set of ``data_spec`` in ``dtype``, built once per process and cached."""
    key = (data_key(data_spec, base_dir), dtype)
    if key not in _DATASETS:
        _DATASETS[key] = _cast_dataset(_float64(data_spec, base_dir), dtype)
    return _DATASETS[key]


def cache_dataset(data_spec: dict[str, Any], base_dir: str | Path | None,
                  dataset: Dataset, replace: bool = False) -> None:
    """Give this process's cache a float64 data set loaded elsewhere, as :func:`get_dataset`
    would have built it: a worker gets the sweep's data sets from the driver (dask: scattered;
    loky: memory-mapped files). ``replace``: this one takes the place of a set cached under the
    same key (and of its casts), which a worker kept from an earlier sweep."""
    key = data_key(data_spec, base_dir)
    if replace:
        for cached in [cached for cached in _DATASETS if cached[0] == key]:
            del _DATASETS[cached]
    _DATASETS.setdefault((key, "float64"), dataset)


def _float64(data_spec: dict[str, Any], base_dir: str | Path | None) -> Dataset:
    key = (data_key(data_spec, base_dir), "float64")
    if key not in _DATASETS:
        seed = data_spec.get("seed")
        # load_dataset is looked up here, at call time: a test swaps it on dask workers.
        _DATASETS[key] = load_dataset(data_spec, seed=0 if seed is None else int(seed),
                                      base_dir=Path(base_dir) if base_dir else None)
    return _DATASETS[key]


def _cast_dataset(dataset: Dataset, dtype: str) -> Dataset:
    if dtype == "float64":
        return dataset
    arrays = {name: np.ascontiguousarray(getattr(dataset, name), dtype=dtype)
              for name in ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test")}
    return dataclasses.replace(dataset, **arrays)

"""Data sets built once per process: a worker that runs many trials pays for its data once."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.data import load_dataset

_DATASETS: dict[str, Any] = {}


def _cache_key(data_spec: dict[str, Any], base_dir: str | Path | None, dtype: str) -> str:
    return json.dumps([data_spec, str(base_dir), dtype], sort_keys=True, default=str)


def get_dataset(data_spec: dict[str, Any], base_dir: str | Path | None = None,
                dtype: str = "float64"):
    """The data set of ``data_spec`` in ``dtype``, built once per process and cached."""
    key = _cache_key(data_spec, base_dir, dtype)
    dataset = _DATASETS.get(key)
    if dataset is None:
        base_key = _cache_key(data_spec, base_dir, "float64")
        dataset = _DATASETS.get(base_key)
        if dataset is None:
            seed = data_spec.get("seed")
            dataset = load_dataset(data_spec, seed=0 if seed is None else int(seed),
                                   base_dir=Path(base_dir) if base_dir else None)
            _DATASETS[base_key] = dataset
        if dtype != "float64":
            dataset = _cast_dataset(dataset, dtype)
            _DATASETS[key] = dataset
    return dataset


def cache_dataset(data_spec: dict[str, Any], base_dir: str | Path | None, dataset) -> None:
    """Give this process's cache a float64 data set loaded elsewhere, as :func:`get_dataset`
    would have built it: a dask worker gets file data sets from the driver (no shared disk)."""
    _DATASETS.setdefault(_cache_key(data_spec, base_dir, "float64"), dataset)


def _cast_dataset(dataset, dtype: str):
    arrays = {name: np.ascontiguousarray(getattr(dataset, name), dtype=dtype)
              for name in ("X_train", "Y_train", "X_val", "Y_val", "X_test", "Y_test")}
    return dataclasses.replace(dataset, **arrays)



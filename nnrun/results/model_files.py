"""A trained model's files, written by the sweep for every trial (and by ``nnrun refit``):
``model.json``, what prediction needs besides the arrays, and ``weights.npz``, the arrays.

model.json (``format: nnrun-model``, ``version: 1``)::

    trial          the trial id the model comes from
    task           classification | regression
    sizes          layer widths, inputs to outputs
    activation     the hidden layers' activation; ``output`` the output layer's (resolved,
                   never ``auto``); ``loss``; ``dtype`` (float32 | float64)
    feature_names  the input columns, in the order the network reads them
    target         the name of the target (a csv file's target column), or null
    outputs        the names of the prediction columns (regression: one per output)
    classes        classification: the class labels as the data holds them (strings, integers,
                   floats or booleans), in the order of the output units; null for regression
    standardize    whether inputs are z-scored with weights.npz's ``mean`` and ``std``

weights.npz: ``W1``..``WL`` (W[l] of shape (m_l, m_{l-1})), ``b1``..``bL`` and, when
``standardize``, ``mean`` and ``std`` of the training split (float64). Nothing is pickled: a
model is JSON and an .npz archive read with ``allow_pickle=False``, so loading one never runs
code.
"""

from __future__ import annotations

import contextlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnrun.errors import NnrunError
from nnrun.results.files import atomic_write_bytes, npz_bytes, write_json
from nnrun.results.layout import CONFIG_YAML, MODEL_JSON, RESULT_JSON, WEIGHTS_NPZ
from nnrun.results.reader import read_record
from nnrun.results.record import TrialRecord

MODEL_FORMAT = "nnrun-model"
MODEL_VERSION = 1
REQUIRED = ("task", "sizes", "activation", "output", "loss", "dtype", "feature_names",
            "outputs", "classes", "standardize")


@dataclass
class ModelFiles:
    """A model's files, read and checked against each other."""

    folder: Path
    description: dict[str, Any]          # model.json
    weights: list[np.ndarray]            # W[1] .. W[L]
    biases: list[np.ndarray]             # b[1] .. b[L]
    mean: np.ndarray | None              # the input scaling, None when not standardised
    std: np.ndarray | None
    config: dict[str, Any] | None        # config.yaml: the trial's resolved configuration
    record: TrialRecord | None           # result.json


def has_model(folder: Path) -> bool:
    """Whether ``folder`` (a trial's or a refit's) holds a model's files."""
    return (Path(folder) / MODEL_JSON).is_file()


def is_trial_folder(folder: Path) -> bool:
    """Whether ``folder`` is one trial's (or one refit's) folder rather than a sweep's."""
    folder = Path(folder)
    return has_model(folder) or (folder / RESULT_JSON).is_file()


def write_model(folder: Path, description: dict[str, Any], weights: Sequence[np.ndarray],
                biases: Sequence[np.ndarray], scaler: dict[str, np.ndarray] | None) -> None:
    """weights.npz (the arrays, the scaling) then model.json, each atomically."""
    arrays = {f"W{i + 1}": np.asarray(w) for i, w in enumerate(weights)}
    arrays.update({f"b{i + 1}": np.asarray(b) for i, b in enumerate(biases)})
    for name, array in (scaler or {}).items():
        arrays[name] = np.asarray(array, dtype=np.float64)
    atomic_write_bytes(Path(folder) / WEIGHTS_NPZ, npz_bytes(arrays))
    write_json(Path(folder) / MODEL_JSON,
               {"format": MODEL_FORMAT, "version": MODEL_VERSION, **description})


def read_model(folder: Path, missing_hint: str = "") -> ModelFiles:
    """The model in ``folder``, checked; a clear NnrunError when there is none (``missing_hint``
    says what to do then) or its files do not fit together."""
    import yaml

    folder = Path(folder)
    path = folder / MODEL_JSON
    if not path.is_file():
        raise NnrunError(f"{folder}: no model file ({MODEL_JSON})" +
                         (f"; {missing_hint}" if missing_hint else ""))
    description = _read_description(path)
    weights, biases, mean, std = _read_arrays(folder / WEIGHTS_NPZ, description)
    config = None
    with contextlib.suppress(OSError, UnicodeDecodeError, yaml.YAMLError):
        config = yaml.safe_load((folder / CONFIG_YAML).read_text())
    return ModelFiles(folder, description, weights, biases, mean, std,
                      config if isinstance(config, dict) else None,
                      read_record(folder / RESULT_JSON))


def _read_description(path: Path) -> dict[str, Any]:
    try:
        description = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NnrunError(f"{path}: cannot be read as a model file ({error})") from None
    if not isinstance(description, dict) or description.get("format") != MODEL_FORMAT:
        raise NnrunError(f"{path}: not an nnrun model file (no \"format\": \"{MODEL_FORMAT}\")")
    if description.get("version") != MODEL_VERSION:
        raise NnrunError(f"{path}: model file version {description.get('version')!r}; this "
                         f"nnrun reads version {MODEL_VERSION} (upgrade nnrun)")
    missing = [key for key in REQUIRED if key not in description]
    if missing:
        raise NnrunError(f"{path}: model file without {', '.join(missing)}")
    return description


def _read_arrays(path: Path, description: dict[str, Any]
                 ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray | None,
                            np.ndarray | None]:
    """weights.npz's arrays, their shapes held to model.json's sizes."""
    sizes = [int(m) for m in description["sizes"]]
    try:
        with np.load(path, allow_pickle=False) as arrays:
            weights = [arrays[f"W{l}"] for l in range(1, len(sizes))]
            biases = [arrays[f"b{l}"] for l in range(1, len(sizes))]
            scaled = bool(description["standardize"])
            mean = arrays["mean"] if scaled else None
            std = arrays["std"] if scaled else None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise NnrunError(f"{path}: cannot read the model's arrays ({error})") from None
    for l in range(1, len(sizes)):
        if (weights[l - 1].shape != (sizes[l], sizes[l - 1])
                or biases[l - 1].shape != (sizes[l],)):
            raise NnrunError(f"{path}: W{l} or b{l} does not have the shape of layer sizes "
                             f"{sizes}")
    if mean is not None and (mean.shape != (sizes[0],) or std.shape != (sizes[0],)):
        raise NnrunError(f"{path}: mean and std must have one value per input ({sizes[0]})")
    return weights, biases, mean, std

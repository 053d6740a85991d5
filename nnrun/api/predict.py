"""``nnrun predict RESULTS DATA``: a trained model's predictions for a csv or npz file, as a
csv table in the user's own label values (or one probability column per class)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nnrun.api.models import load_model
from nnrun.errors import DataError, NnrunError

if TYPE_CHECKING:
    import pandas as pd

    from nnrun.model.trained import Model


def read_features(path: Path, model: Model) -> np.ndarray:
    """The model's features from a csv file (columns matched by name, others ignored) or an
    npz archive (its array X, or the sweep's data.x_array; columns in the model's order)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    data = model.config.get("data") or {}
    if path.suffix.lower() == ".npz":
        name = data.get("x_array") or "X"
        return model.features(_npz_features(path, name), source=f"{path}: {name}")
    from nnrun.data import read_frame

    # the sweep's delimiter (data.delimiter), or read off the header line as the sweep did
    frame = read_frame(path, data.get("delimiter"))
    if frame.empty:
        raise DataError(f"{path}: no data rows, only the header")
    return model.features(frame, source=str(path))


def _npz_features(path: Path, name: str) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if name not in archive.files:
                raise DataError(f"{path}: no array {name} (the features); arrays present: "
                                f"{', '.join(archive.files) or 'none'}")
            X = archive[name]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as error:
        raise DataError(f"{path}: cannot be read as a .npz archive: {error}") from None
    return X[:, None] if X.ndim == 1 else X


def predictions(model: Model, X: np.ndarray, proba: bool = False) -> pd.DataFrame:
    """One row a sample: the predicted label (or value per output), or with ``proba`` one
    probability column per class, named by the class."""
    import pandas as pd

    if proba:
        if model.classes_ is None:
            raise NnrunError("--proba: the model is a regression model; its predictions are "
                             "values, not class probabilities")
        columns = [str(c) for c in model.classes_.tolist()]
        return pd.DataFrame(model.predict_proba(X), columns=columns)
    predicted = model.predict(X)
    return pd.DataFrame(predicted.reshape(len(predicted), -1), columns=model.outputs)


def predict_file(results: Path, data: Path, trial: str | None, out: Path | None,
                 proba: bool) -> None:
    """Write the predictions of ``trial``'s model for ``data`` to ``out`` or stdout."""
    model = load_model(results, trial)
    table = predictions(model, read_features(data, model), proba)
    if out is None:
        sys.stdout.write(table.to_csv(index=False))
        return
    from nnrun.results.files import atomic_write_text

    atomic_write_text(Path(out), table.to_csv(index=False))
    print(f"{out}: {len(table)} predictions of trial {model.trial} ({model.path})",
          file=sys.stderr)

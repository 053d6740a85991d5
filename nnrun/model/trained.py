"""A trained model: the network with everything prediction needs (the input scaling, the
feature names, the class labels), with scikit-learn's method names.

``describe`` says what a trial's model is (model.json's description, see
:mod:`nnrun.results.model_files`); :class:`Model` predicts with one. Predictions go through
exactly the arithmetic of training: x is z-scored in float64 with the training split's mean
and standard deviation, cast to the network's dtype, and passed forward; a class is the
largest output (for a single output unit, an output above 0.5), as the recorded accuracies
count it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnrun.errors import NnrunError

if TYPE_CHECKING:
    from nnrun.core import Network
    from nnrun.data import Dataset


def target_name(config: dict[str, Any], task: str) -> str:
    """The name of what the model predicts: a csv file's target column, else label or y."""
    target = (config.get("data") or {}).get("target")
    return str(target) if target is not None else ("label" if task == "classification"
                                                    else "y")


def describe(config: dict[str, Any], dataset: Dataset, net: Network,
             trial: str | None = None) -> dict[str, Any]:
    """model.json's description of ``net`` trained on ``dataset`` with ``config``."""
    target = target_name(config, dataset.task)
    n_outputs = net.sizes[-1]
    regression = dataset.task == "regression"
    outputs = ([target] if not regression or n_outputs == 1
               else [f"{target}_{j + 1}" for j in range(n_outputs)])
    return {"trial": trial, "task": dataset.task, "sizes": list(net.sizes),
            "activation": net.activation, "output": net.output, "loss": net.loss,
            "dtype": net.dtype.name, "feature_names": list(dataset.feature_names),
            "target": target, "outputs": outputs,
            "classes": None if regression else list(dataset.class_values or dataset.classes),
            "standardize": dataset.mean is not None, "data": dataset.name}


def scaler_arrays(dataset: Dataset) -> dict[str, np.ndarray] | None:
    """The input scaling as weights.npz stores it, or None when the data was not scaled."""
    if dataset.mean is None:
        return None
    return {"mean": np.asarray(dataset.mean), "std": np.asarray(dataset.std)}


class Model:
    """A trained network and what prediction needs; made by ``nnrun.load_model``.

    ``predict(X)`` gives class labels as the training data held them (or regression values in
    the target's units), ``predict_proba(X)`` one probability column per class (in the order
    of ``classes_``), ``score(X, y)`` the accuracy (classification) or R² (regression, as
    scikit-learn's regressors). X is an (n, features) array in the order of
    ``feature_names``, or a pandas DataFrame with those columns (others are ignored).
    ``network`` is the core :class:`~nnrun.core.Network`; ``config`` the trial's resolved
    configuration.
    """

    def __init__(self, description: dict[str, Any], weights: Sequence[np.ndarray],
                 biases: Sequence[np.ndarray], mean: np.ndarray | None = None,
                 std: np.ndarray | None = None, config: dict[str, Any] | None = None,
                 path: Path | None = None) -> None:
        from nnrun.core import Network

        self.description = dict(description)
        self.task: str = description["task"]
        self.trial: str | None = description.get("trial")
        self.config = config or {}
        self.path = path
        self.feature_names: list[str] = [str(f) for f in description["feature_names"]]
        self.outputs: list[str] = [str(o) for o in description["outputs"]]
        classes = description.get("classes")
        self.classes_ = None if classes is None else np.asarray(classes)
        self.mean, self.std = mean, std
        self.network = Network(description["sizes"], activation=description["activation"],
                               loss=description["loss"], output=description["output"],
                               dtype=description["dtype"], task=self.task)
        self.network.weights = list(weights)
        self.network.biases = list(biases)

    def __repr__(self) -> str:
        where = f", path={str(self.path)!r}" if self.path else ""
        return f"Model(trial={self.trial!r}, task={self.task!r}, {self.network!r}{where})"

    @property
    def n_features_in_(self) -> int:
        return len(self.feature_names)

    @property
    def dtype(self) -> np.dtype:
        return self.network.dtype

    def features(self, X: Any, source: str = "X") -> np.ndarray:
        """X as the float64 (n, features) array the model reads: a DataFrame's columns picked
        by name; NnrunError (naming ``source`` and the columns) when they do not fit."""
        if hasattr(X, "columns") and hasattr(X, "loc"):
            return self._frame_features(X, source)
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise NnrunError(f"{source}: shape {X.shape}; the model needs (samples, "
                             f"{self.n_features_in_}) with the features "
                             f"{', '.join(self.feature_names)}")
        if X.dtype.kind not in "biuf":
            raise NnrunError(f"{source}: dtype {X.dtype}; features must be numbers")
        return self._finite(X.astype(np.float64), source)

    def _frame_features(self, frame: Any, source: str) -> np.ndarray:
        import pandas as pd

        columns = [str(c) for c in frame.columns]
        missing = [f for f in self.feature_names if f not in columns]
        if missing:
            raise NnrunError(f"{source}: no column {', '.join(map(repr, missing))}, which the "
                             f"model needs (it reads {', '.join(self.feature_names)}); "
                             f"columns present: {', '.join(columns)}")
        frame = frame.set_axis(columns, axis=1)[self.feature_names]
        bad = [c for c in self.feature_names if not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise NnrunError(f"{source}: column {', '.join(map(repr, bad))} is not numeric")
        return self._finite(frame.to_numpy(dtype=np.float64), source)

    def _finite(self, X: np.ndarray, source: str) -> np.ndarray:
        bad = ~np.isfinite(X)
        if bad.any():
            columns = [self.feature_names[j] for j in np.flatnonzero(bad.any(axis=0))]
            raise NnrunError(f"{source}: missing, NaN or infinite values in "
                             f"{', '.join(map(repr, columns))}")
        return X

    def transform(self, X: Any) -> np.ndarray:
        """The network's input: X z-scored with the training split's scaling, in its dtype."""
        X = self.features(X)
        if self.mean is not None:
            X = (X - self.mean) / self.std
        return np.ascontiguousarray(X, dtype=self.network.dtype)

    def decision_function(self, X: Any) -> np.ndarray:
        """The network's output a[L] (n, outputs) for X."""
        return self.network.forward(self.transform(X))

    def _class_indices(self, A: np.ndarray) -> np.ndarray:
        return (A[:, 0] > 0.5).astype(np.intp) if A.shape[1] == 1 else A.argmax(axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (classification) or the predicted values (regression, (n,) for one
        output, (n, outputs) for several)."""
        A = self.decision_function(X)
        if self.classes_ is not None:
            return self.classes_[self._class_indices(A)]
        return A[:, 0] if A.shape[1] == 1 else A

    def predict_proba(self, X: Any) -> np.ndarray:
        """(n, classes) probabilities, columns in the order of ``classes_``."""
        if self.classes_ is None:
            raise NnrunError("predict_proba: the model is a regression model; use predict")
        A = self.decision_function(X)
        return np.hstack([1 - A, A]) if A.shape[1] == 1 else A

    def score(self, X: Any, y: Any) -> float:
        """Accuracy (the fraction of labels predicted right) for classification, R² for
        regression (1 - residual / total sum of squares, averaged over outputs)."""
        predicted = self.predict(X)
        y = np.asarray(y)
        if len(y) != len(predicted):
            raise NnrunError(f"score: X has {len(predicted)} rows but y has {len(y)}")
        if self.classes_ is not None:
            if self.classes_.dtype.kind == "U":
                y = y.astype(str)
            return int(np.count_nonzero(predicted == y)) / len(y)
        y = y.astype(np.float64).reshape(len(y), -1)
        predicted = predicted.reshape(len(y), -1)
        residual = ((y - predicted) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / total))

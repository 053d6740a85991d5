"""What the data stage hands over: a data set split three ways."""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Dataset:
    """A data set split three ways; every array float64 and C-contiguous, rows are samples.

    Y is one-hot (n, classes) for classification, (n, outputs) for regression. `classes`
    holds the class labels as strings in the order of Y's columns (None for regression);
    `class_values` the same labels as the data holds them (str, int, float or bool, JSON-able).
    `mean` and `std` are the training split's, by which the features were z-scored (None when
    they were not): a saved model scales new data with them.
    """

    name: str
    task: str  # "classification" | "regression"
    X_train: np.ndarray = field(repr=False)
    Y_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)
    Y_val: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    Y_test: np.ndarray = field(repr=False)
    classes: list[str] | None
    feature_names: list[str]
    class_values: list | None = None
    mean: np.ndarray | None = field(default=None, repr=False)
    std: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.Y_train.shape[1]

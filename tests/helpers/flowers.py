"""A csv data set with string labels (three species of flower), its sweep's config, and the
rows a sweep held out for testing: what the tests of the model API share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from helpers.configs import write_config

FLOWERS = """\
name: flowers
seed: 1
data:
  dataset: csv
  path: flowers.csv
  target: species
model:
  hidden: [8]
  activation: tanh
loss: cross_entropy
optimizer:
  name: adam
  lr: 0.01
train:
  batch_size: 32
  epochs: 15
  dtype: float32
sweep:
  method: grid
  parameters:
    model.activation: [tanh, relu]
"""


def flowers_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Three classes named by strings, three numeric features and a text column to ignore;
    the target sits between the features."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    species = np.where(X[:, 0] + X[:, 1] > 0.5, "setosa",
                       np.where(X[:, 2] > 0, "versicolor", "virginica"))
    return pd.DataFrame({"sepal": X[:, 0] * 3 + 5, "petal": X[:, 1] * 2, "species": species,
                         "width": X[:, 2]})


def write_flowers(folder: Path, changes: dict | None = None) -> Path:
    """flowers.csv and flowers.yaml in ``folder``; returns the config's path."""
    folder.mkdir(parents=True, exist_ok=True)
    flowers_frame().to_csv(folder / "flowers.csv", index=False)
    return write_config(folder / "flowers.yaml", FLOWERS, changes)


def held_out_rows(results: Path, trial: str) -> pd.DataFrame:
    """The rows of flowers.csv that the sweep in ``results`` (beside flowers.csv, in
    results/<name>) held out as its test split, found by undoing the scaling of the test split
    that the data stage builds."""
    from nnrun.data import load_dataset
    from nnrun.results import ResultsReader

    config = ResultsReader(results).config(trial)
    dataset = load_dataset(config["data"], seed=config["data"]["seed"],
                           base_dir=results.parent.parent)
    frame = flowers_frame()
    raw = frame[dataset.feature_names].to_numpy()
    unscaled = dataset.X_test * dataset.std + dataset.mean
    distances = np.abs(unscaled[:, None, :] - raw[None, :, :]).max(axis=2)
    rows = distances.argmin(axis=1)
    assert distances[np.arange(len(rows)), rows].max() < 1e-9
    return frame.iloc[rows]

"""A real sweep of a csv file with string labels, shared by the tests of the model API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
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


@pytest.fixture(scope="session")
def flowers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of the flowers sweep (2 trials), run once for the session."""
    from nnrun.config import load_config
    from nnrun.driver import run_sweep

    folder = tmp_path_factory.mktemp("flowers")
    config = write_flowers(folder)
    outcome = run_sweep(load_config(config), out=folder / "results", jobs=1, live=False,
                        log=lambda message: None)
    assert outcome.counts == {"ok": 2}
    return outcome.folder

"""Data in the shapes users have (issue 12, point 13): a csv file's feature columns
(data.features) and delimiter (data.delimiter, or read off the header), an npz archive's array
names (data.x_array, data.y_array); every mistake named, with what the file holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers.cli import invoke


def table(path: Path, sep: str = ",") -> Path:
    """60 rows: four numeric columns, a text column `note`, and a string label `species`."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    lines = [sep.join(["f1", "f2", "f3", "f4", "note", "species"])]
    for row in X:
        label = "setosa" if row[0] > 0 else "versicolor"
        lines.append(sep.join([*(f"{v:.4f}" for v in row), "seen", label]))
    path.write_text("\n".join(lines) + "\n")
    return path


def config(folder: Path, data: dict) -> Path:
    path = folder / "exp.yaml"
    path.write_text(yaml.safe_dump({"name": "files", "data": data, "train": {"epochs": 2},
                                    "model": {"hidden": [4]}}))
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_delimiter_is_read_off_the_header(cli, tmp_path: Path, sep: str) -> None:
    table(tmp_path / "iris.csv", sep)
    path = config(tmp_path, {"dataset": "csv", "path": "iris.csv", "target": "species",
                             "features": ["f1", "f2", "f3"]})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 0, result.output
    assert "valid; 1 trial" in result.stdout


def test_features_choose_the_columns_and_a_sweep_trains(cli, tmp_path: Path) -> None:
    table(tmp_path / "iris.csv", ";")
    path = config(tmp_path, {"dataset": "csv", "path": "iris.csv", "target": "species",
                             "features": ["f1", "f4"], "delimiter": ";"})
    result = invoke(cli, "sweep", path, "--out", tmp_path / "out", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "1 of 1 trials finished (1 ok)" in result.stdout
    weights = np.load(next((tmp_path / "out" / "files" / "trials").glob("*/weights.npz")))
    assert weights["W1"].shape == (4, 2)  # two features in


def test_a_wrong_delimiter_or_a_missing_feature_is_named(cli, tmp_path: Path) -> None:
    table(tmp_path / "iris.csv", ";")
    path = config(tmp_path, {"dataset": "csv", "path": "iris.csv", "target": "species",
                             "features": ["f1", "f9"]})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 2
    assert ("no column 'f9' (data.features); columns present: f1, f2, f3, f4, note, species"
            in result.stderr)
    path = config(tmp_path, {"dataset": "csv", "path": "iris.csv", "target": "species"})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 2
    assert "column 'note' is not numeric" in result.stderr
    assert "data.features lists the columns to use" in result.stderr


def test_format_keys_belong_to_their_format(cli, tmp_path: Path) -> None:
    path = config(tmp_path, {"dataset": "moons", "features": ["a"], "y_array": "labels"})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 2
    assert "data.features: only for csv files, and dataset is moons" in result.stderr
    assert "data.y_array: only for npz files, and dataset is moons" in result.stderr
    table(tmp_path / "iris.csv")
    path = config(tmp_path, {"dataset": "csv", "path": "iris.csv", "target": "species",
                             "features": ["f1", "species"]})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 2 and "data.features: holds the target 'species'" in result.stderr


def test_npz_array_names(cli, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    np.savez(tmp_path / "arrays.npz", inputs=X, labels=(X[:, 0] > 0).astype(int))
    path = config(tmp_path, {"dataset": "npz", "path": "arrays.npz"})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 2
    assert "no array X or y; arrays present: inputs, labels" in result.stderr
    assert "data.x_array and data.y_array" in result.stderr
    path = config(tmp_path, {"dataset": "npz", "path": "arrays.npz", "x_array": "inputs",
                             "y_array": "labels"})
    result = invoke(cli, "validate", path)
    assert result.exit_code == 0, result.output


def test_unused_format_keys_leave_trial_ids_alone(cli, tmp_path: Path) -> None:
    """A config that does not use the new keys keeps its trial ids (results resume, the
    README's example output still holds)."""
    result = invoke(cli, "sweep", Path(__file__).parents[2] / "experiments" / "quickstart.yaml",
                    "--dry-run")
    assert result.exit_code == 0 and "a1b32f7c6a" in result.stdout

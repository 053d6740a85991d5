"""The README's YAML reference states every rule a user meets (issue 12, points 14 and 15): each
data key of the schema, string labels, how `task: auto` decides, regression targets left
unscaled, where `path` is read from and where results go; and its figures agree with the
example files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from helpers.cli import ROOT, run_nnrun

from nnrun.config.schema import DataSection
from nnrun.data import load_dataset
from nnrun.data._splits import MAX_AUTO_CLASSES

README = (ROOT / "README.md").read_text()


def yaml_reference() -> str:
    section = README[README.index("## The YAML file"):]
    return section[:section.index("\n## ", 5)]


def test_every_data_key_is_in_the_reference() -> None:
    block = yaml_reference()
    data = block[block.index("\ndata:\n"):block.index("\nmodel:\n")]
    keys = re.findall(r"^  ([a-z_]+):", data, flags=re.MULTILINE)
    # data.fold is set by nnrun for each trial of a k-fold sweep, never in a file
    assert keys and set(keys) == set(DataSection.model_fields) - {"fold"}


def test_the_rules_of_file_data_are_stated() -> None:
    text = " ".join(yaml_reference().split())
    assert "Labels may be strings" in text
    assert f"at most {MAX_AUTO_CLASSES} distinct values" in text
    assert "regression targets are used as they are, not scaled" in text
    assert "relative to the folder of the config file" in text
    assert "relative to the folder you run `nnrun` in" in text


def test_regression_targets_are_not_scaled_and_labels_may_be_strings(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    rows = [f"{i},{i * 0.5 + 100.25},{'cat' if i % 2 else 'dog'}" for i in range(40)]
    path.write_text("x,price,animal\n" + "\n".join(rows) + "\n")
    data = load_dataset({"dataset": "csv", "path": str(path), "target": "price",
                         "features": ["x"]}, 0)
    assert data.task == "regression"
    values = {float(f"{i * 0.5 + 100.25}") for i in range(40)}
    assert set(np.concatenate([data.Y_train, data.Y_val, data.Y_test]).ravel()) == values
    labels = load_dataset({"dataset": "csv", "path": str(path), "target": "animal",
                           "features": ["x"]}, 0)
    assert labels.task == "classification" and labels.classes == ["cat", "dog"]


def test_path_is_read_from_the_configs_folder_and_results_go_to_the_cwd(tmp_path: Path) -> None:
    configs = tmp_path / "configs"
    configs.mkdir()
    rows = [f"{i % 7 * 0.1},{i % 5 * 0.2},{i % 2}" for i in range(40)]
    (configs / "d.csv").write_text("a,b,label\n" + "\n".join(rows) + "\n")
    (configs / "exp.yaml").write_text(
        "name: where\ndata: {dataset: csv, path: d.csv, target: label}\n"
        "model: {hidden: [2]}\ntrain: {epochs: 1}\n")
    run = tmp_path / "elsewhere"
    run.mkdir()
    result = run_nnrun("sweep", configs / "exp.yaml", "--jobs", "1", cwd=run)
    assert result.returncode == 0, result.stderr
    assert (run / "results" / "where" / "summary.csv").is_file()
    assert not (configs / "results").exists()


def test_the_mnist1d_figures_agree_with_the_example_file() -> None:
    example = (ROOT / "experiments" / "mnist1d.yaml").read_text()
    readme = " ".join(README.split())
    accuracy = re.search(r"reaches (\d+\.\d)% test accuracy", readme)[1]
    assert f"{accuracy}% test accuracy" in " ".join(example.split())
    assert "about a minute" in readme and "about a minute" in example
    assert "15 s on 2 cores" not in readme

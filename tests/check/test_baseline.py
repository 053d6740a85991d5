"""The baseline file's schema: each problem named by the file and the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from nnrun.check import load_baseline
from nnrun.errors import NnrunError

DOCUMENT = {
    "nnrun_version": "0.1.0",
    "sweep": {"name": "demo", "parameters": ["model.activation"], "data": {"dataset": "moons"}},
    "metrics": ["val_accuracy"],
    "tolerances": {"default": 0.01, "val_loss": "5%"},
    "configurations": [
        {"params": {"model.activation": "relu"}, "trials": 2, "metrics": {"val_accuracy": 0.9}},
        {"params": {"model.activation": "tanh"}, "trials": 2, "metrics": {"val_accuracy": 0.8}},
    ],
}


def written(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "baseline.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def edited(change) -> dict:
    document = copy.deepcopy(DOCUMENT)
    change(document)
    return document


def test_a_valid_baseline_reads_back(tmp_path: Path) -> None:
    baseline = load_baseline(written(tmp_path, DOCUMENT))
    assert (baseline.name, baseline.parameters, baseline.metrics) == (
        "demo", ["model.activation"], ["val_accuracy"])
    assert str(baseline.tolerances["val_loss"]) == "5%"
    assert baseline.tolerance_text == {"default": 0.01, "val_loss": "5%"}
    assert sorted(c.metrics["val_accuracy"] for c in baseline.configurations.values()) == \
        [0.8, 0.9]


def test_empty_keys_and_defaults(tmp_path: Path) -> None:
    document = edited(lambda d: d.update(metrics=None, tolerances=None))
    for entry in document["configurations"]:
        del entry["trials"]
        entry["metrics"] = {"val_accuracy": "1e-05"}  # YAML 1.1 reads this as text
    baseline = load_baseline(written(tmp_path, document))
    assert baseline.metrics == [] and baseline.tolerances == {}
    assert [(c.trials, c.metrics) for c in baseline.configurations.values()] == \
        [(1, {"val_accuracy": 1e-05})] * 2


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["sweep"].update(parameters="x"),
     "'sweep.parameters' must be a list of dotted keys, got 'x'"),
    (lambda d: d["sweep"].update(parameters=[1, "a"]),
     r"'sweep.parameters' must be a list of dotted keys, got \[1, 'a'\]"),
    (lambda d: d["sweep"].update(name=5), "'sweep.name' must be a string, got 5"),
    (lambda d: d.update(sweep=5), "'sweep' must be a mapping with name, parameters and data"),
    (lambda d: d.update(metrics="val"), "'metrics' must be a list of metric names, got 'val'"),
    (lambda d: d.pop("configurations"), "missing key 'configurations'"),
    (lambda d: d["sweep"].pop("data"), "missing key 'sweep.data'"),
    (lambda d: d.update(extra=1), "unknown key 'extra' \\(allowed: nnrun_version, sweep, "
                                  "metrics, tolerances, configurations\\)"),
    (lambda d: d["configurations"][1].update(seed=3),
     r"configurations\[1\]: unknown key 'seed' \(allowed: params, trials, metrics\)"),
    (lambda d: d["configurations"].append(5),
     r"configurations\[2\]: expected a mapping with keys params, trials, metrics, got 5"),
    (lambda d: d["configurations"][1].update(metrics=[1]),
     r"configurations\[1\].metrics: expected a mapping of metric means, got \[1\]"),
    (lambda d: d["configurations"][1].update(trials=True),
     r"configurations\[1\].trials: expected a whole number >= 0, got True"),
    (lambda d: d["configurations"][1].update(trials=-1),
     r"configurations\[1\].trials: expected a whole number >= 0, got -1"),
    (lambda d: d["configurations"][0]["metrics"].update(val_loss=True),
     r"configurations\[0\].metrics.val_loss: expected a number or null, got True"),
    (lambda d: d["configurations"][0]["params"].update(seed=1),
     r"configurations\[0\].params: 'seed' is not a swept parameter"),
    (lambda d: d["tolerances"].update(val_loss="5%%"),
     "tolerances.val_loss: expected a number or a percentage such as 5%, got '5%%'"),
])
def test_a_problem_names_the_file_and_the_key(tmp_path: Path, change, message) -> None:
    with pytest.raises(NnrunError, match=f"^{tmp_path / 'baseline.yaml'}: {message}"):
        load_baseline(written(tmp_path, edited(change)))

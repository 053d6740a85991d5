"""nnrun.config.spec: what a user gets when a file is right, reading it, and where its keys were
written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.cli import ROOT
from helpers.configs import MINIMAL as BASE

from nnrun.config import (
    TRIAL_SECTIONS,
    SweepSpec,
    load_config,
    load_config_text,
    validate_trial_config,
)
from nnrun.errors import ConfigError, NnrunError

EXPERIMENTS = ROOT / "experiments"


def test_minimal_file_gets_every_default_and_name_from_file_stem():
    spec = load_config_text(BASE, "some/dir/my-run.yaml")
    assert isinstance(spec, SweepSpec)
    assert spec.name == "my-run"
    assert spec.path == Path("some/dir/my-run.yaml")
    assert (spec.method, spec.parameters, spec.samples) == ("grid", {}, None)
    assert (spec.seed, spec.repeats, spec.metric, spec.goal) == (0, 1, None, None)
    raw = spec.to_dict()
    assert list(raw) == ["name", "seed", "repeats", "data", "model", "loss", "optimizer",
                         "train", "sweep", "metric", "goal"]
    assert raw["data"] == {
        "dataset": "spirals", "path": None, "target": None, "task": "auto", "n_samples": 1000,
        "noise": 0.2, "classes": 3, "val_fraction": 0.2, "test_fraction": 0.2,
        "standardize": True, "seed": None,
    }
    assert raw["model"] == {"hidden": [32], "activation": "relu", "output": "auto", "init": "auto"}
    assert raw["loss"] == "cross_entropy"
    assert raw["optimizer"] == {
        "name": "sgd", "lr": 0.1, "weight_decay": 0.0, "momentum": None, "betas": [0.9, 0.999],
        "eps": None, "alpha": 0.99, "schedule": "constant", "step_size": None, "gamma": None,
        "min_lr": 0.0,
    }
    assert raw["train"] == {"batch_size": 32, "epochs": 100, "dtype": "float32",
                            "early_stopping": None}
    assert raw["sweep"] == {"method": "grid", "parameters": {}, "samples": None,
                            "min_epochs": None, "max_epochs": None, "reduction_factor": 3,
                            "early_stop": None, "max_trials": None, "timeout": None,
                            "optuna_journal": False}
    raw["model"]["hidden"].append(7)  # to_dict is a copy
    assert spec.raw["model"]["hidden"] == [32]


def test_raw_is_plain_json():
    import json

    spec = load_config_text(BASE + "train:\n  early_stopping: {patience: 3}\n", "x.yaml")
    assert json.loads(json.dumps(spec.raw)) == spec.raw
    assert spec.raw["train"]["early_stopping"] == {"patience": 3, "monitor": "val_loss",
                                                   "min_delta": 0.0}


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_experiment_loads(path):
    from nnrun.search import expand

    spec = load_config(path)
    assert expand(spec) or spec.method == "bayes"


def test_examples_exist():
    names = {p.name for p in EXPERIMENTS.glob("*.yaml")}
    assert {"quickstart.yaml", "activations-losses.yaml", "vanishing-gradient.yaml",
            "optimizers.yaml"} <= names


def test_missing_file_is_an_nnrun_error_naming_it(tmp_path):
    with pytest.raises(NnrunError, match=re.escape(str(tmp_path / "nope.yaml"))):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(NnrunError, match="cannot read"):
        load_config(tmp_path)


def test_load_config_reads_a_file(tmp_path):
    path = tmp_path / "from-disk.yaml"
    path.write_text(BASE + "model:\n  activation: tanh\n")
    spec = load_config(path)
    assert spec.name == "from-disk" and spec.raw["model"]["activation"] == "tanh"
    message = str(pytest.raises(ConfigError, load_config, path, ["model.activation=tahn"]).value)
    assert message.startswith(f"{path}: --set model.activation: model.activation: 'tahn'")


def test_locations_are_kept():
    spec = load_config_text(BASE + "optimizer:\n  lr: 0.3\n", "x.yaml")
    assert spec.where("optimizer.lr") == "x.yaml:4:7"
    assert spec.where("train.epochs") == "x.yaml"


def test_a_trial_config_gets_its_defaults_and_messages_without_positions():
    spec = load_config_text(BASE + "optimizer: {lr: 1e-2}\n", "x.yaml")
    trial = {key: spec.raw[key] for key in ("seed", *TRIAL_SECTIONS)}
    assert validate_trial_config({"data": {"dataset": "spirals"}, "optimizer": {"lr": 0.01}}) \
        == trial
    with pytest.raises(ConfigError) as info:
        validate_trial_config({"data": {"dataset": "moons"}, "optimizer": {"lr": -1},
                               "model": {"activaton": "tanh"}})
    assert info.value.errors == [
        "model.activaton: unknown key (did you mean 'activation'?); allowed here: hidden, "
        "activation, output, init",
        "optimizer.lr: found -1; it must be > 0.0",
    ]

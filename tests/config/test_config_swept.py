"""nnrun.config._swept: sweep.parameters, each key one that can vary, each value checked in the
base file."""

from __future__ import annotations

import pytest
from helpers.configs import MINIMAL as BASE
from helpers.configs import config_errors as errors
from helpers.configs import one_config_error as one_error

from nnrun.config import load_config_text


def test_parameters_keep_file_order_and_are_normalised():
    spec = load_config_text(BASE + "sweep:\n  parameters:\n    optimizer.lr: [1, 1e-2]\n"
                            "    model.hidden: [[4], [8, 8], []]\n    loss: [mse]\n", "x.yaml")
    assert list(spec.parameters) == ["optimizer.lr", "model.hidden", "loss"]
    assert spec.parameters["optimizer.lr"] == [1.0, 0.01]
    assert all(isinstance(v, float) for v in spec.parameters["optimizer.lr"])
    assert spec.raw["sweep"]["parameters"] == spec.parameters


def test_bad_sweep_key_with_did_you_mean():
    line = one_error(BASE + "sweep:\n  parameters:\n    model.activaton: [tanh]\n")
    assert line.startswith("exp.yaml:5:5: sweep.parameters.model.activaton: 'model.activaton' is "
                           "not a key that can be swept (did you mean 'model.activation'?)")
    assert "(did you mean 'optimizer.lr'?)" in one_error(
        BASE + "sweep:\n  parameters:\n    lr: [0.1]\n")


def test_seed_and_sweep_keys_are_not_sweepable():
    assert "use `repeats: N`" in one_error(BASE + "sweep:\n  parameters:\n    seed: [1, 2]\n")
    assert "can't be swept" in one_error(BASE + "sweep:\n  parameters:\n    repeats: [1, 2]\n")


def test_bad_sweep_value_points_at_its_list_item():
    text = BASE + "sweep:\n  parameters:\n    model.activation: [sigmoid, foo]\n" \
        "    train.epochs:\n      - 10\n      - -5\n"
    assert errors(text) == [
        "exp.yaml:5:33: sweep.parameters.model.activation[1]: 'foo' is not allowed; expected one "
        "of sigmoid, tanh, relu",
        "exp.yaml:8:9: sweep.parameters.train.epochs[1]: found -5; it must be >= 1",
    ]


def test_sweep_value_clashing_with_the_base_says_so():
    line = one_error("data:\n  dataset: moons\n  test_fraction: 0.5\nsweep:\n  parameters:\n"
                     "    data.val_fraction: [0.1, 0.6]\n")
    assert line.startswith("exp.yaml:6:30: sweep.parameters.data.val_fraction[1]: with this "
                           "value, data.test_fraction: val_fraction + test_fraction = 1.1")


def test_sweep_value_errors_alongside_base_errors():
    found = errors("data:\n  dataset: moons\nmodel:\n  activation: relux\nsweep:\n  parameters:\n"
                   "    model.activation: [tanh, foo]\n    optimizer.lr: [0]\n")
    assert [line.split(": ")[:2] for line in found] == [
        ["exp.yaml:4:15", "model.activation"],
        ["exp.yaml:7:30", "sweep.parameters.model.activation[1]"],
        ["exp.yaml:8:20", "sweep.parameters.optimizer.lr[0]"],
    ]


@pytest.mark.parametrize("value, message", [
    ("0.1", "expected a list of values, e.g. [0.1]"),
    ("[]", "an empty list"),
    ("[0.1, 0.1]", "the same value as item 0"),
    ("{loguniform: [0.001, 1]}", "did you mean 'log_uniform'?"),
    ("{uniform: [1, 0.1]}", "lo must be below hi"),
    ("{uniform: [0.1]}", "expected [lo, hi], two numbers"),
    ("{log_uniform: [0, 1]}", "needs 0 < lo < hi"),
    ("{uniform: [-1, 1]}", "found -1.0; it must be > 0.0"),
    ("{choice: 0.1}", "expected a list of values"),
    ("{choice: [0.1, -2]}", "found -2; it must be > 0.0"),
    ("{uniform: [0.1, .inf]}", "two numbers"),
])
def test_bad_random_search_values(value, message):
    text = BASE + "sweep:\n  method: random\n  samples: 4\n  parameters:\n"
    text += f"    optimizer.lr: {value}\n"
    line = one_error(text)
    assert line.startswith("exp.yaml:7:") and "sweep.parameters.optimizer.lr" in line, line
    assert message in line, line


def test_integer_keys_take_int_uniform_not_uniform():
    prefix = BASE + "sweep:\n  method: random\n  samples: 4\n  parameters:\n    train.batch_size: "
    spec = load_config_text(prefix + "{int_uniform: [8, 64]}\n", "x.yaml")
    assert spec.parameters == {"train.batch_size": {"int_uniform": [8, 64]}}
    assert "expected an integer" in one_error(prefix + "{uniform: [8, 64]}\n")
    assert "two integers" in one_error(prefix + "{int_uniform: [8, 64.5]}\n")


def test_grid_needs_lists():
    line = one_error(BASE + "sweep:\n  parameters:\n    optimizer.lr: {uniform: [0.1, 1]}\n")
    assert line.startswith("exp.yaml:5:19: sweep.parameters.optimizer.lr: grid search needs a list")


def test_halving_with_a_distribution_needs_samples():
    text = BASE + "sweep:\n  method: halving\n  parameters:\n"
    text += "    optimizer.lr: {uniform: [0.1, 1]}\n"
    assert one_error(text).startswith("exp.yaml:3:1: sweep.samples: required")
    assert load_config_text(text + "  samples: 8\n", "x.yaml").samples == 8


def test_distributions_are_accepted_for_random_and_bayes():
    for method in ("random", "bayes"):
        spec = load_config_text(
            BASE + f"sweep:\n  method: {method}\n  samples: 9\n  parameters:\n"
            "    optimizer.lr: {log_uniform: [1e-4, 1]}\n    model.activation: {choice: [tanh]}\n",
            "x.yaml")
        assert spec.parameters == {"optimizer.lr": {"log_uniform": [0.0001, 1.0]},
                                   "model.activation": {"choice": ["tanh"]}}
        assert (spec.method, spec.samples) == (method, 9)


def test_sweeping_early_stopping_fields_from_null():
    spec = load_config_text(BASE + "sweep:\n  parameters:\n    train.early_stopping.patience: "
                            "[2, 5]\n", "x.yaml")
    assert spec.parameters == {"train.early_stopping.patience": [2, 5]}

"""nnrun.config.schema: the enumerations, and the checks that tie keys together, each at the key
it is about."""

from __future__ import annotations

import pytest
from helpers.configs import MINIMAL as BASE
from helpers.configs import config_errors as errors
from helpers.configs import one_config_error as one_error

from nnrun.config import load_config_text


@pytest.mark.parametrize("key, values", [
    ("dataset", ["xor", "moons", "circles", "spirals", "blobs", "digits", "mnist1d"]),
])
def test_enumerations_accept_every_listed_value(key, values):
    for value in values:
        assert load_config_text(f"data: {{{key}: {value}}}\n", "x.yaml").raw["data"][key] == value


def test_every_enumeration_is_exactly_the_documented_one():
    text = BASE + "model: {activation: nope, output: nope, init: nope}\nloss: nope\n" \
        "optimizer: {name: nope, schedule: nope}\ntrain: {dtype: nope}\n" \
        "sweep: {method: nope}\nmetric: nope\ngoal: nope\n"
    found = "\n".join(errors(text))
    for expected in [
        "sigmoid, tanh, relu", "auto, sigmoid, softmax, identity, tanh, relu",
        "auto, xavier, he, normal", "mse, cross_entropy",
        "sgd, momentum, nesterov, rmsprop, adagrad, adam",
        "constant, step, exponential, cosine", "float32, float64",
        "grid, random, halving, bayes", "maximize, minimize",
        "train_loss, val_loss, test_loss, train_accuracy, val_accuracy, test_accuracy, "
        "n_parameters, train_seconds or null",
    ]:
        assert f"expected one of {expected}" in found
    assert "xor, moons, circles, spirals, blobs, digits, mnist1d, csv, npz" in "\n".join(
        errors("data: {dataset: nope}\n"))


def test_fractions_that_leave_no_training_data_point_at_test_fraction():
    line = one_error("data:\n  dataset: moons\n  val_fraction: 0.6\n  test_fraction: 0.5\n")
    assert line.startswith("exp.yaml:4:18: data.test_fraction: val_fraction + test_fraction = 1.1")


def test_csv_needs_path_and_target_at_the_data_line():
    found = errors("seed: 1\ndata:\n  dataset: csv\n")
    assert found == [
        "exp.yaml:2:1: data.path: required for dataset csv: the file to read",
        "exp.yaml:2:1: data.target: required for dataset csv: the label column",
    ]
    load_config_text("data: {dataset: csv, path: d.csv, target: y}\n", "x.yaml")
    load_config_text("data: {dataset: npz, path: d.npz}\n", "x.yaml")


def test_path_for_a_builtin_set_is_an_error():
    line = one_error("data:\n  dataset: moons\n  path: data.csv\n")
    assert line.startswith("exp.yaml:3:9: data.path: moons is a built-in data set")


def test_a_target_for_an_npz_file_is_an_error():
    text = "data:\n  dataset: npz\n  path: d.npz\n  target: label\n"
    assert one_error(text).startswith("exp.yaml:4:11: data.target: an npz file holds its labels")


def test_random_needs_samples_and_grid_refuses_them():
    assert one_error(BASE + "sweep:\n  method: random\n").startswith(
        "exp.yaml:3:1: sweep.samples: required for method random")
    assert one_error(BASE + "sweep:\n  method: bayes\n").startswith(
        "exp.yaml:3:1: sweep.samples: required for method bayes")
    assert one_error(BASE + "sweep:\n  samples: 5\n").startswith(
        "exp.yaml:4:12: sweep.samples: grid search tries every combination")


def test_metric_for_an_empty_split_is_an_error():
    line = one_error("data: {dataset: moons, test_fraction: 0}\nmetric: test_loss\n")
    assert line.startswith("exp.yaml:2:9: metric: 'test_loss' needs a test set")


def test_no_validation_set_with_the_default_metric_is_an_error():
    line = one_error("data: {dataset: moons, val_fraction: 0}\n")
    assert line.startswith("exp.yaml:1:38: data.val_fraction: 0 leaves no validation set")
    load_config_text("data: {dataset: moons, val_fraction: 0}\nmetric: test_loss\n", "exp.yaml")


@pytest.mark.parametrize(("loss", "output"), [("cross_entropy", "relu"),
                                              ("cross_entropy", "identity"),
                                              ("mse", "softmax")])
def test_an_output_the_loss_cannot_use_is_an_error_at_its_line(loss, output):
    line = one_error(BASE + f"model:\n  output: {output}\nloss: {loss}\n")
    assert line.startswith(f"exp.yaml:4:11: model.output: {output!r} cannot be used with loss "
                           f"{loss}")


def test_outputs_of_each_loss_are_the_cores():
    from nnrun.config import OUTPUTS_OF_LOSS
    from nnrun.core.losses import LOSSES

    assert {loss: set(outputs) for loss, outputs in OUTPUTS_OF_LOSS.items()} == {
        loss: set(outputs) for loss, outputs in LOSSES.items()}
    for loss, outputs in OUTPUTS_OF_LOSS.items():
        for output in outputs:
            load_config_text(BASE + f"model:\n  output: {output}\nloss: {loss}\n", "exp.yaml")


def test_sweep_early_stop_is_halving_for_bayes_only():
    text = BASE + "sweep:\n  method: bayes\n  samples: 4\n  early_stop: halving\n"
    assert load_config_text(text, "x.yaml").raw["sweep"]["early_stop"] == "halving"
    assert "did you mean 'halving'?" in one_error(text, ("sweep.early_stop=halvin",))
    line = one_error(text, ("sweep.method=random",))
    assert line.startswith("exp.yaml:6:15: sweep.early_stop: halving as a pruner is for method "
                           "bayes")


def test_min_epochs_above_the_epochs_a_trial_gets():
    halving = "sweep:\n  method: halving\n"
    assert one_error(BASE + halving + "  min_epochs: 9\n  max_epochs: 3\n").startswith(
        "exp.yaml:5:15: sweep.min_epochs: 9 is above max_epochs (3)")
    assert one_error(BASE + "train: {epochs: 5}\n" + halving + "  min_epochs: 9\n").startswith(
        "exp.yaml:6:15: sweep.min_epochs: 9 is above the most epochs a trial gets (5)")


def test_rung_keys_are_an_error_where_nothing_is_halved():
    for key in ("min_epochs", "max_epochs"):
        message = one_error(BASE + f"sweep:\n  method: grid\n  {key}: 3\n")
        assert message.startswith("exp.yaml:5:")
        assert f"sweep.{key}: only successive halving" in message
    bayes = BASE + "sweep:\n  method: bayes\n  samples: 4\n  max_epochs: 3\n"
    assert "sweep.max_epochs: only successive halving" in one_error(bayes)
    load_config_text(bayes + "  early_stop: halving\n", "exp.yaml")


def test_the_data_set_and_metric_names_are_the_vocabulary():
    from nnrun.vocabulary import DATASETS, METRICS, TIMINGS

    assert f"expected one of {', '.join(DATASETS)}" in one_error("data: {dataset: nope}\n")
    assert f"expected one of {', '.join(METRICS)} or null" in one_error(BASE + "metric: nope\n")
    # early stopping watches a per-epoch metric: no test split, no network size, no time
    monitors = [metric for metric in METRICS if not metric.startswith("test_")
                and metric != "n_parameters" and metric not in TIMINGS]
    assert f"expected one of {', '.join(monitors)}" in one_error(
        BASE + "train: {early_stopping: {patience: 2, monitor: nope}}\n")

"""nnrun.config._messages: each kind of mistake as file:line:col, the dotted key, what was found,
what is allowed (did you mean ...?)."""

from __future__ import annotations

import re

import pytest
from helpers.configs import MINIMAL as BASE
from helpers.configs import config_errors as errors
from helpers.configs import one_config_error as one_error


def test_misspelled_key_with_did_you_mean():
    line = one_error(BASE + "model:\n  hidden: [8]\n  activaton: tanh\n")
    assert line.startswith("exp.yaml:5:3: model.activaton: unknown key")
    assert "did you mean 'activation'?" in line
    assert "allowed here: hidden, activation, output, init" in line


def test_key_in_the_wrong_section_is_pointed_to_its_section():
    line = one_error(BASE + "lr: 0.1\n")
    assert line.startswith("exp.yaml:3:1: lr: unknown key (did you mean optimizer.lr?)")


def test_wrong_type():
    line = one_error(BASE + "train:\n  epochs: ten\n")
    assert line == "exp.yaml:4:11: train.epochs: found 'ten' (text); expected an integer"


@pytest.mark.parametrize("text, key, found", [
    ("train:\n  batch_size: true\n", "train.batch_size", "found true (a boolean)"),
    ("train:\n  epochs: 10.5\n", "train.epochs", "found 10.5"),
    ("optimizer:\n  lr: yes\n", "optimizer.lr", "expected a number"),
    ("model:\n  hidden: 32\n", "model.hidden", "expected a list"),
    ("model:\n  hidden: [32, x]\n", "model.hidden[1]", "found 'x'"),
    ("optimizer:\n  momentum: fast\n", "optimizer.momentum", "expected a number or null"),
    ("model: relu\n", "model", "expected a mapping"),
    ("model:\n", "model", "found null; expected a mapping"),
    ("name: 42\n", "name", "expected text"),
])
def test_wrong_types(text, key, found):
    line = one_error(BASE + text)
    assert line.startswith("exp.yaml:3:") or line.startswith("exp.yaml:4:")
    assert f": {key}: " in line and found in line


def test_bad_enumeration_value_with_did_you_mean():
    line = one_error(BASE + "model:\n  activation: relux\n")
    assert line == ("exp.yaml:4:15: model.activation: 'relux' is not allowed; expected one of "
                    "sigmoid, tanh, relu (did you mean 'relu'?)")


def test_enumeration_value_in_the_wrong_case():
    assert "did you mean 'adam'?" in one_error(BASE + "optimizer: {name: Adam}\n")


@pytest.mark.parametrize("text, key", [
    ("optimizer:\n  lr: 0\n", "optimizer.lr"),
    ("optimizer:\n  lr: -0.1\n", "optimizer.lr"),
    ("optimizer:\n  lr: .nan\n", "optimizer.lr"),
    ("optimizer:\n  lr: .inf\n", "optimizer.lr"),
    ("train:\n  epochs: 0\n", "train.epochs"),
    ("train:\n  batch_size: 0\n", "train.batch_size"),
    ("model:\n  hidden: [16, 0]\n", "model.hidden[1]"),
    ("repeats: 0\n", "repeats"),
    ("data:\n  dataset: moons\n  n_samples: 0\n", "data.n_samples"),
    ("data:\n  dataset: moons\n  noise: -1\n", "data.noise"),
    ("data:\n  dataset: moons\n  val_fraction: 1\n", "data.val_fraction"),
    ("data:\n  dataset: moons\n  test_fraction: -0.1\n", "data.test_fraction"),
    ("data:\n  dataset: moons\n  val_fraction: 0.5\n  test_fraction: 0.5\n",
     "data.test_fraction"),
    ("seed: -1\n", "seed"),
    ("sweep:\n  method: random\n  samples: 0\n", "sweep.samples"),
    ("sweep:\n  reduction_factor: 1\n", "sweep.reduction_factor"),
    ("sweep:\n  min_epochs: 0\n", "sweep.min_epochs"),
    ("train:\n  early_stopping: {patience: 0}\n", "train.early_stopping.patience"),
    ("train:\n  early_stopping: {patience: 2, monitor: test_loss}\n",
     "train.early_stopping.monitor"),
    ("train:\n  early_stopping: {patience: 2, min_delta: -1}\n",
     "train.early_stopping.min_delta"),
    ("optimizer:\n  betas: [0.9]\n", "optimizer.betas"),
])
def test_impossible_values(text, key):
    if not text.startswith("data:"):
        text = BASE + text
    line = one_error(text)
    assert re.match(rf"exp\.yaml:\d+:\d+: {re.escape(key)}: ", line), line


def test_impossible_value_says_the_bound():
    assert one_error(BASE + "optimizer:\n  lr: 0\n") == \
        "exp.yaml:4:7: optimizer.lr: found 0; it must be > 0.0"


@pytest.mark.parametrize("text, message", [
    ("optimizer:\n  betas: [0.9]\n", "exp.yaml:4:10: optimizer.betas: found [0.9]; expected 2 "
                                       "values"),
    ("optimizer:\n  betas: [0.9, 0.99, 0.5]\n",
     "exp.yaml:4:10: optimizer.betas: found [0.9, 0.99, 0.5]; expected 2 values"),
    ("metric: []\n", "exp.yaml:3:9: metric: found []; expected at least 1 value"),
    ("metric: [val_loss, n_parameters]\ngoal: [minimize]\n",
     "exp.yaml:4:7: goal: 1 goal for 2 metrics; give one goal a metric, in the same order"),
    ("metric: [val_loss]\ngoal: [minimize, maximize]\n",
     "exp.yaml:4:7: goal: 2 goals for 1 metric; give one goal a metric, in the same order"),
], ids=["betas-short", "betas-long", "metric-empty", "one-goal", "one-metric"])
def test_a_list_of_the_wrong_length_says_how_many_values_it_takes(text, message):
    assert one_error(BASE + text) == message


def test_missing_required_key_points_to_the_parent_line():
    assert one_error("seed: 0\ndata:\n  noise: 0.1\n") == (
        "exp.yaml:2:1: data.dataset: required key is missing; expected one of xor, moons, "
        "circles, spirals, blobs, digits, mnist1d, csv, npz")
    assert one_error("seed: 3\nmodel: {}\n").startswith("exp.yaml:1:1: data: required key")
    line = one_error(BASE + "train:\n  early_stopping:\n    monitor: val_loss\n")
    assert line.startswith("exp.yaml:4:3: train.early_stopping.patience: required key")


@pytest.mark.parametrize("name", ["../x", "..", ".", "a/b", "/abs", "-x", "with space", "x" * 101])
def test_names_that_could_leave_the_output_folder_are_refused(name):
    line = one_error(f"name: {name!r}\n" + BASE)
    assert line.startswith("exp.yaml:1:7: name: ")
    assert "letters, digits" in line or "at most 100" in line


def test_name_from_a_file_stem_that_is_not_a_valid_name():
    found = errors(BASE, filename="dir/my experiment.yaml")
    assert found == ["dir/my experiment.yaml:1:1: name: the file name gives the name "
                     "'my experiment', which can't be used (a name is letters, digits, '.', '_' "
                     "and '-', starting with a letter or digit (it becomes a folder under "
                     "--out)); add a `name:`"]


def test_several_errors_reported_together_in_file_order():
    found = errors(
        "data:\n  dataset: spiral\nmodel:\n  activation: relux\n  hidden: [0]\n"
        "optimizer:\n  lr: -1\ntrain:\n  epochs: ten\n"
    )
    assert [line.split(": ")[0] for line in found] == [
        "exp.yaml:2:12", "exp.yaml:4:15", "exp.yaml:5:12", "exp.yaml:7:7", "exp.yaml:9:11"]
    assert "did you mean 'spirals'?" in found[0]

"""nnrun.config._yaml: ``--set KEY=VALUE`` overrides, read as YAML and located at the option."""

from __future__ import annotations

import pytest
from helpers.configs import MINIMAL as BASE
from helpers.configs import config_errors as errors
from helpers.configs import one_config_error as one_error

from nnrun.config import load_config_text


def test_overrides_are_parsed_as_yaml_and_win_over_the_file():
    text = BASE + "optimizer:\n  lr: 0.5\nmodel:\n  hidden: [8]\n"
    spec = load_config_text(text, "x.yaml", [
        "optimizer.lr=1e-3", "model.hidden=[64, 64]", "train.early_stopping={patience: 4}",
        "name=other", "seed=7", "data.dataset=moons",
    ])
    assert spec.raw["optimizer"]["lr"] == 0.001
    assert spec.raw["model"]["hidden"] == [64, 64]
    assert spec.raw["train"]["early_stopping"]["patience"] == 4
    assert (spec.name, spec.seed, spec.raw["data"]["dataset"]) == ("other", 7, "moons")


def test_later_override_wins():
    spec = load_config_text(BASE, "x.yaml", ["optimizer.lr=0.2", "optimizer.lr=0.3"])
    assert spec.raw["optimizer"]["lr"] == 0.3


def test_override_of_sweep_parameters_keeps_dotted_key_whole():
    text = BASE + "sweep:\n  parameters:\n    loss: [mse, cross_entropy]\n" \
        "    model.activation: [tanh, relu]\n"
    spec = load_config_text(text, "x.yaml", ["sweep.parameters.loss=[mse]",
                                             "sweep.parameters.optimizer.lr=[0.1, 1e-2]"])
    assert spec.parameters == {"loss": ["mse"], "model.activation": ["tanh", "relu"],
                               "optimizer.lr": [0.1, 0.01]}
    spec = load_config_text(text, "x.yaml", ["sweep.parameters={}"])
    assert spec.parameters == {}


SUB_SPACES = BASE + ("sweep:\n  parameters:\n    - optimizer.name: [sgd]\n"
                     "      optimizer.momentum: [0.5, 0.9]\n    - optimizer.name: [adam]\n")


def test_override_in_a_list_of_sub_spaces_names_one_by_its_index():
    spec = load_config_text(SUB_SPACES, "x.yaml", [
        "sweep.parameters.1.optimizer.lr=[0.1, 1e-2]",
        "sweep.parameters.0.optimizer.momentum=[0.3]"])
    assert spec.spaces == [{"optimizer.name": ["sgd"], "optimizer.momentum": [0.3]},
                           {"optimizer.name": ["adam"], "optimizer.lr": [0.1, 0.01]}]
    spec = load_config_text(SUB_SPACES, "x.yaml",
                            ["sweep.parameters.1={optimizer.name: [rmsprop]}"])
    assert spec.spaces[1] == {"optimizer.name": ["rmsprop"]}
    # what is wrong with the value is named at the option, with the sub-space's index
    assert one_error(SUB_SPACES, ("sweep.parameters.0.optimizer.lr=-1",)).startswith(
        "exp.yaml: --set sweep.parameters.0.optimizer.lr: sweep.parameters[0].optimizer.lr: "
        "found -1; expected a list of values")


def test_setting_a_key_swept_in_sub_spaces_takes_it_out_of_each_with_a_note():
    text = SUB_SPACES + "      optimizer.momentum: [0.1]\n"
    spec = load_config_text(text, "x.yaml", ["optimizer.momentum=0.3"])
    assert spec.spaces == [{"optimizer.name": ["sgd"]}, {"optimizer.name": ["adam"]}]
    assert spec.raw["optimizer"]["momentum"] == 0.3
    assert spec.notes == [
        "note: --set optimizer.momentum=0.3 fixes optimizer.momentum, which "
        "sweep.parameters[0].optimizer.momentum (x.yaml:6:7) and "
        "sweep.parameters[1].optimizer.momentum (x.yaml:8:7) varied: it is no longer swept"]
    assert "sweep.parameters.0.optimizer.momentum" not in spec.locations
    # only the sub-spaces that sweep the key are named
    spec = load_config_text(SUB_SPACES, "x.yaml", ["optimizer.momentum=0.3"])
    assert spec.notes == [
        "note: --set optimizer.momentum=0.3 fixes optimizer.momentum, which "
        "sweep.parameters[0].optimizer.momentum (x.yaml:6:7) varied: it is no longer swept"]


def test_a_sub_space_emptied_by_set_is_the_base_configuration():
    spec = load_config_text(SUB_SPACES, "x.yaml", ["optimizer.name=adam"])
    assert spec.spaces == [{"optimizer.momentum": [0.5, 0.9]}, {}]
    assert spec.notes == [
        "note: --set optimizer.name=adam fixes optimizer.name, which "
        "sweep.parameters[0].optimizer.name (x.yaml:5:7) and sweep.parameters[1].optimizer.name "
        "(x.yaml:7:7) varied: it is no longer swept; sweep.parameters[1], left with no key, is "
        "the base configuration of the file (one trial)"]
    spec = load_config_text(SUB_SPACES, "x.yaml", ["optimizer={name: sgd}"])
    assert spec.spaces == [{}, {}]
    assert spec.notes[-1].endswith("; sweep.parameters[0] and sweep.parameters[1], left with "
                                   "no key, are each the base configuration of the file (one "
                                   "trial)")


def test_an_empty_sub_space_written_in_the_file_or_by_set_is_still_an_error():
    message = "sweep.parameters[1]: an empty sub-space; a sub-space is a mapping"
    in_file = BASE + "sweep:\n  parameters:\n    - optimizer.name: [sgd]\n    - {}\n"
    assert one_error(in_file) == f"exp.yaml:6:7: {message} of dotted keys to values, e.g. " \
        "{optimizer.name: [adam], optimizer.lr: [0.001, 0.01]}"
    assert one_error(SUB_SPACES, ("sweep.parameters.1={}",)).startswith(
        f"exp.yaml: --set sweep.parameters.1: {message}")
    # emptied by --set KEY=VALUE, then written empty: the writing stands, and is refused
    assert one_error(SUB_SPACES, ("optimizer.name=adam", "sweep.parameters.1={}")).startswith(
        f"exp.yaml: --set sweep.parameters.1: {message}")
    written = "sweep={parameters: [{optimizer.name: [sgd]}, {}]}"
    assert one_error(SUB_SPACES, ("optimizer.name=adam", written)).startswith(
        f"exp.yaml: --set sweep: {message}")


def test_a_sub_space_emptied_by_set_can_be_swept_again_by_its_index():
    spec = load_config_text(SUB_SPACES, "x.yaml", [
        "optimizer.name=adam", "sweep.parameters.1.optimizer.lr=[0.1, 1e-2]",
        "sweep.parameters.0.optimizer.momentum=[0.3]"])
    assert spec.spaces == [{"optimizer.momentum": [0.3]}, {"optimizer.lr": [0.1, 0.01]}]
    # a key set after its sub-space's index is swept again: --set wins over the sweep
    spec = load_config_text(SUB_SPACES, "x.yaml", [
        "sweep.parameters.1.optimizer.lr=[0.1]", "optimizer.lr=0.5"])
    assert spec.spaces == [{"optimizer.name": ["sgd"], "optimizer.momentum": [0.5, 0.9]},
                           {"optimizer.name": ["adam"]}]
    assert spec.notes[0].startswith("note: --set optimizer.lr=0.5 fixes optimizer.lr, which "
                                    "sweep.parameters[1].optimizer.lr (x.yaml: --set "
                                    "sweep.parameters.1.optimizer.lr) varied")


@pytest.mark.parametrize(("item", "message"), [
    ("sweep.parameters.optimizer.lr=[0.1]",
     "is a list of 2 sub-spaces, so a key in it is set through the index of its sub-space "
     "(0 to 1), e.g. --set sweep.parameters.0.optimizer.lr=VALUE; --set sweep.parameters=VALUE "
     "replaces the whole list"),
    ("sweep.parameters.2.optimizer.lr=[0.1]", "has no sub-space 2: its sub-spaces are 0 to 1"),
], ids=["no-index", "out-of-range"])
def test_override_in_a_list_of_sub_spaces_without_a_valid_index(item: str, message: str):
    key = item.partition("=")[0]
    assert one_error(SUB_SPACES, (item,)) == f"exp.yaml: --set {key}: sweep.parameters: {message}"


def test_a_key_in_a_sub_space_that_is_not_a_mapping_is_refused_with_one_message():
    adam = "    - optimizer.name: [adam]"
    text = SUB_SPACES.replace(adam, f"    - 5\n{adam}")
    found = errors(text, ("sweep.parameters.1.optimizer.lr=[0.1]",))
    assert "exp.yaml: --set sweep.parameters.1.optimizer.lr: sweep.parameters: its sub-space 1 "\
           "is 5, not a mapping of swept keys, so a key can't be set in it; --set "\
           "sweep.parameters.1=VALUE replaces it" in found
    assert not any("not a mapping, so" in error for error in found)  # the old message


@pytest.mark.parametrize("item", ["optimizer.lr", "=3", "optimizer..lr=3", " =1", ".lr=1"])
def test_malformed_override(item):
    line = one_error(BASE, (item,))
    assert line.startswith(f"exp.yaml: --set {item}: expected KEY=VALUE")


def test_errors_in_overridden_values_name_the_option_not_a_line():
    overrides = ("optimizer.lr=-1", "model.activaton=tanh", "model.hidden=[3, 0]", "loss.x=1")
    found = errors(BASE + "loss: mse\noptimizer:\n  lr: 0.1\n", overrides)
    assert found == [
        "exp.yaml: --set loss.x: loss: is 'mse', not a mapping, so loss.x can't be set",
        "exp.yaml: --set model.activaton: model.activaton: unknown key (did you mean "
        "'activation'?); allowed here: hidden, activation, output, init",
        "exp.yaml: --set model.hidden: model.hidden[1]: found 0; it must be >= 1",
        "exp.yaml: --set optimizer.lr: optimizer.lr: found -1; it must be > 0.0",
    ]


def test_override_with_bad_yaml():
    line = one_error(BASE, ("model.hidden=[1, 2",))
    assert line.startswith("exp.yaml: --set model.hidden: YAML syntax error")


def test_override_creating_a_section_is_located_at_the_option():
    assert one_error(BASE, ("train.epochz=3",)).startswith(
        "exp.yaml: --set train.epochz: train.epochz: unknown key (did you mean 'epochs'?)")
    assert one_error(BASE, ("loss.x=1",)).startswith(
        "exp.yaml: --set loss.x: loss: {x: 1} (a mapping) is not allowed")


def test_override_can_fix_a_file_error():
    spec = load_config_text(BASE + "model: {activation: relux}\n", "x.yaml",
                            ["model.activation=relu"])
    assert spec.raw["model"]["activation"] == "relu"

"""nnrun.config: what a user sees when a config file is wrong, and what they get when it's right."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from helpers.cli import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnrun.config import (
    SweepSpec,
    get_dotted,
    load_config,
    load_config_text,
    set_dotted,
    sweepable_keys,
)
from nnrun.errors import ConfigError, NnrunError

EXPERIMENTS = ROOT / "experiments"
BASE = "data:\n  dataset: spirals\n"


def errors(text: str, overrides: tuple[str, ...] = (), filename: str = "exp.yaml") -> list[str]:
    """The lines of the ConfigError that loading `text` raises."""
    with pytest.raises(ConfigError) as info:
        load_config_text(text, filename, overrides)
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def one_error(text: str, overrides: tuple[str, ...] = ()) -> str:
    found = errors(text, overrides)
    assert len(found) == 1, found
    return found[0]


# --- a valid file ------------------------------------------------------------------------------


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
                            "early_stop": None}
    raw["model"]["hidden"].append(7)  # to_dict is a copy
    assert spec.raw["model"]["hidden"] == [32]


def test_raw_is_plain_json():
    import json

    spec = load_config_text(BASE + "train:\n  early_stopping: {patience: 3}\n", "x.yaml")
    assert json.loads(json.dumps(spec.raw)) == spec.raw
    assert spec.raw["train"]["early_stopping"] == {"patience": 3, "monitor": "val_loss",
                                                   "min_delta": 0.0}


def test_yaml_12_floats_and_ints_as_floats():
    spec = load_config_text(BASE + "optimizer:\n  lr: 1e-3\n  eps: 1E-8\n  weight_decay: 0\n",
                            "x.yaml")
    assert spec.raw["optimizer"]["lr"] == 0.001
    assert spec.raw["optimizer"]["eps"] == 1e-8
    assert spec.raw["optimizer"]["weight_decay"] == 0.0
    assert isinstance(spec.raw["optimizer"]["weight_decay"], float)
    spec = load_config_text(BASE + "optimizer: {lr: 1}\n", "x.yaml")
    assert spec.raw["optimizer"]["lr"] == 1.0 and isinstance(spec.raw["optimizer"]["lr"], float)


def test_global_safe_loader_is_untouched():
    load_config_text(BASE, "x.yaml")
    assert yaml.safe_load("a: 1e-3") == {"a": "1e-3"}


def test_dates_stay_text_for_the_name():
    assert load_config_text("name: 2024-05-01\n" + BASE, "x.yaml").name == "2024-05-01"


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


# --- each kind of mistake: file:line:col, the dotted key, what was found, what is allowed ------


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
        "train_loss, val_loss, test_loss, train_accuracy, val_accuracy, test_accuracy or null",
    ]:
        assert f"expected one of {expected}" in found
    assert "xor, moons, circles, spirals, blobs, digits, mnist1d, csv, npz" in "\n".join(
        errors("data: {dataset: nope}\n"))


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


def test_missing_required_key_points_to_the_parent_line():
    assert one_error("seed: 0\ndata:\n  noise: 0.1\n") == (
        "exp.yaml:2:1: data.dataset: required key is missing; expected one of xor, moons, "
        "circles, spirals, blobs, digits, mnist1d, csv, npz")
    assert one_error("seed: 3\nmodel: {}\n").startswith("exp.yaml:1:1: data: required key")
    line = one_error(BASE + "train:\n  early_stopping:\n    monitor: val_loss\n")
    assert line.startswith("exp.yaml:4:3: train.early_stopping.patience: required key")


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


def test_duplicated_key_names_both_lines():
    line = one_error(BASE + "optimizer:\n  lr: 0.1\n  name: adam\n  lr: 0.2\n")
    assert line.startswith("exp.yaml:6:3: optimizer.lr: duplicated key (first given at line 4)")


def test_duplicated_top_level_section():
    line = one_error(BASE + "data:\n  dataset: moons\n")
    assert line.startswith("exp.yaml:3:1: data: duplicated key (first given at line 1)")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_empty_file(text):
    assert one_error(text).startswith("exp.yaml:1:1: the file is empty")


@pytest.mark.parametrize("text, kind", [
    ("- data\n- model\n", "a list"), ("spirals\n", "text"), ("42\n", "an integer"),
])
def test_top_level_must_be_a_mapping(text, kind):
    line = one_error(text)
    assert line.startswith("exp.yaml:1:1: the file must be a mapping")
    assert line.endswith(f"found {kind}")


def test_tabs_for_indentation():
    assert one_error("data:\n\tdataset: moons\n") == \
        "exp.yaml:2:1: a tab character; YAML indents with spaces only"


def test_syntax_errors_have_line_and_column():
    line = one_error(BASE + "model:\n  hidden: [32, 32\n  activation: relu\n")
    assert line.startswith("exp.yaml:5:13: YAML syntax error: expected ',' or ']', but got ':'")
    assert "flow sequence at line 4, column 11" in line
    assert one_error(BASE + "model: activation: relu\n").startswith(
        "exp.yaml:3:18: YAML syntax error: mapping values are not allowed here")
    assert "YAML syntax error" in one_error(BASE + "---\n" + BASE)


@pytest.mark.parametrize("text", [
    "data: !!python/object/apply:os.system ['echo hacked']\n",
    "data: !!python/object:collections.OrderedDict {dataset: moons}\n",
    "data:\n  dataset: !!python/name:os.system\n",
    "data: {dataset: moons}\nname: !!binary aGVsbG8=\n",
    "data: !!set {moons}\n",
    "data: !custom {dataset: moons}\n",
])
def test_python_and_other_tags_are_errors_not_executed(text, capfd):
    found = "\n".join(errors(text))
    assert "is not allowed; a config holds only plain" in found
    assert "hacked" not in capfd.readouterr().out


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


def test_a_nested_alias_bomb_is_refused_quickly():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i, prev in zip("bcdefgh", "abcdefg", strict=True):
        bomb += f"{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    assert "more than 100000 values" in one_error(bomb)


# --- --set overrides ---------------------------------------------------------------------------


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


# --- sweep.parameters --------------------------------------------------------------------------


def test_sweepable_keys():
    keys = sweepable_keys()
    assert "model.hidden" in keys and "data.noise" in keys and "train.batch_size" in keys
    assert "optimizer.betas" in keys and "train.early_stopping" in keys
    assert "train.early_stopping.patience" in keys
    assert "seed" not in keys and "name" not in keys and "model" not in keys
    assert not any(key.startswith("sweep") for key in keys)


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


def test_locations_are_kept():
    spec = load_config_text(BASE + "optimizer:\n  lr: 0.3\n", "x.yaml")
    assert spec.where("optimizer.lr") == "x.yaml:4:7"
    assert spec.where("train.epochs") == "x.yaml"


# --- dotted helpers ---------------------------------------------------------------------------


def test_get_and_set_dotted():
    d = {"a": {"b": 1}, "c": None}
    assert get_dotted(d, "a.b") == 1
    set_dotted(d, "a.b", 2)
    set_dotted(d, "c.d.e", 3)
    set_dotted(d, "f", 4)
    assert d == {"a": {"b": 2}, "c": {"d": {"e": 3}}, "f": 4}
    with pytest.raises(KeyError):
        get_dotted(d, "a.x")
    with pytest.raises(TypeError):
        set_dotted(d, "f.g", 1)


# --- never anything but a ConfigError ----------------------------------------------------------

KEYS = sorted({*sweepable_keys(), *(k.split(".")[0] for k in sweepable_keys()), "name", "seed",
               "repeats", "sweep", "method", "parameters", "samples", "metric", "goal",
               "uniform", "log_uniform", "int_uniform", "choice", "dataset", "patience"})
scalars = (st.none() | st.booleans() | st.integers(-10, 2**40) | st.floats(allow_nan=True)
           | st.sampled_from(["relu", "spirals", "csv", "grid", "random", "1e-3", "", "../x"])
           | st.text(max_size=8))
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_yaml_document_loads_or_raises_config_error(document):
    text = yaml.safe_dump(document)
    try:
        assert isinstance(load_config_text(text, "fuzz.yaml"), SweepSpec)
    except ConfigError as error:
        assert error.errors and all(line.startswith("fuzz.yaml") for line in error.errors)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_loads_or_raises_config_error(text):
    try:
        load_config_text(text, "fuzz.yaml")
    except ConfigError as error:
        assert error.errors


VALID = BASE + "sweep:\n  method: random\n  samples: 3\n  parameters:\n    model.hidden: [[4]]\n"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*sweepable_keys(), *KEYS, "sweep.parameters.optimizer.lr",
                        "sweep.parameters.model.hidden", "sweep.samples", "sweep.method"]),
       documents)
def test_any_value_for_any_key_loads_or_raises_config_error(key, value):
    flow = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    if flow.endswith("\n..."):
        flow = flow[: -len("\n...")]
    for overrides in ([f"{key}={flow}"], [f"sweep.parameters.{key}=[{flow}]"]):
        try:
            load_config_text(VALID, "fuzz.yaml", overrides)
        except ConfigError as error:
            assert error.errors


def test_sweep_early_stop_is_halving_for_bayes_only():
    text = BASE + "sweep:\n  method: bayes\n  samples: 4\n  early_stop: halving\n"
    assert load_config_text(text, "x.yaml").raw["sweep"]["early_stop"] == "halving"
    assert "did you mean 'halving'?" in one_error(text.replace("halving", "halvin"))
    line = one_error(text.replace("bayes", "random"))
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


def test_a_target_for_an_npz_file_is_an_error():
    text = "data:\n  dataset: npz\n  path: d.npz\n  target: label\n"
    assert one_error(text).startswith("exp.yaml:4:11: data.target: an npz file holds its labels")

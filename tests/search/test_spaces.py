"""Conditional spaces: sweep.parameters as a list of sub-spaces (grid, random, halving, bayes),
the depth x width form, ids that do not change, and errors at the sub-space's line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers.cli import invoke, run_nnrun

from nnrun.config import load_config_text
from nnrun.errors import ConfigError
from nnrun.search import expand

BASE = """\
name: spaces
seed: 0
data: {dataset: moons, n_samples: 200}
model: {hidden: [8]}
optimizer: {name: sgd, lr: 0.1}
train: {epochs: 3, dtype: float64}
"""

SPACES = BASE + """\
sweep:
  method: grid
  parameters:
    - optimizer.name: [sgd]
      optimizer.momentum: [0.0, 0.9]
    - optimizer.name: [adam]
      optimizer.betas: [[0.9, 0.999], [0.8, 0.99]]
      optimizer.lr: [0.01]
"""

# The product grid that the sub-spaces above replace: Adam trials that differ only in a
# momentum Adam ignores.
PRODUCT = BASE + """\
sweep:
  method: grid
  parameters:
    optimizer.name: [sgd, adam]
    optimizer.momentum: [0.0, 0.9]
"""

RANDOM_SINGLE = """\
name: rnd
seed: 5
data: {dataset: moons, n_samples: 200}
model: {hidden: [4]}
train: {epochs: 5}
sweep:
  method: random
  samples: 4
  parameters:
    optimizer.lr: {log_uniform: [0.001, 1.0]}
    model.hidden: [[4], [8, 8]]
    train.batch_size: {int_uniform: [16, 64]}
"""
# RANDOM_SINGLE's ids as nnrun made them before sub-spaces existed: they must not change.
RANDOM_SINGLE_IDS = ["f90c26d545", "9860f6715d", "d75cea5289", "7c70c2685a"]


def spec_of(text: str):
    return load_config_text(text, "s.yaml")


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        spec_of(text)
    return caught.value.errors


def test_sub_spaces_expand_one_after_the_other_without_the_pointless_trials() -> None:
    trials = expand(spec_of(SPACES))
    assert [(t.space, t.params) for t in trials] == [
        (0, {"optimizer.name": "sgd", "optimizer.momentum": 0.0}),
        (0, {"optimizer.name": "sgd", "optimizer.momentum": 0.9}),
        (1, {"optimizer.name": "adam", "optimizer.betas": [0.9, 0.999], "optimizer.lr": 0.01}),
        (1, {"optimizer.name": "adam", "optimizer.betas": [0.8, 0.99], "optimizer.lr": 0.01}),
    ]
    assert trials[2].config["optimizer"]["momentum"] is None
    assert trials[3].config["optimizer"]["betas"] == [0.8, 0.99]
    assert len({t.id for t in trials}) == 4


def test_a_configuration_that_existed_before_keeps_its_id() -> None:
    product = {t.id: t.params for t in expand(spec_of(PRODUCT))}
    spaces = {t.id: t.params for t in expand(spec_of(SPACES))}
    sgd = {i for i, p in product.items() if p["optimizer.name"] == "sgd"}
    assert len(sgd) == 2 and sgd <= set(spaces)


def test_one_mapping_and_a_list_of_that_one_mapping_are_the_same_sweep() -> None:
    assert [t.id for t in expand(spec_of(RANDOM_SINGLE))] == RANDOM_SINGLE_IDS
    listed = RANDOM_SINGLE.replace("    optimizer.lr:", "    - optimizer.lr:").replace(
        "    model.hidden", "      model.hidden").replace("    train.batch", "      train.batch")
    assert isinstance(spec_of(listed).raw["sweep"]["parameters"], list)
    assert [t.id for t in expand(spec_of(listed))] == RANDOM_SINGLE_IDS


def test_a_configuration_two_sub_spaces_make_is_trained_once() -> None:
    text = BASE + ("sweep:\n  parameters:\n    - optimizer.lr: [0.1, 0.3]\n"
                   "    - optimizer.lr: [0.3, 1.0]\n")
    assert [t.params["optimizer.lr"] for t in expand(spec_of(text))] == [0.1, 0.3, 1.0]


def test_a_key_set_on_the_command_line_leaves_the_sub_spaces_that_sweep_it() -> None:
    trials = expand(load_config_text(SPACES, "s.yaml", ["optimizer.momentum=0.5"]))
    assert [(t.space, t.params) for t in trials] == [
        (0, {"optimizer.name": "sgd"}),
        (1, {"optimizer.name": "adam", "optimizer.betas": [0.9, 0.999], "optimizer.lr": 0.01}),
        (1, {"optimizer.name": "adam", "optimizer.betas": [0.8, 0.99], "optimizer.lr": 0.01}),
    ]
    assert [t.config["optimizer"]["momentum"] for t in trials] == [0.5, 0.5, 0.5]


def test_a_sub_space_emptied_on_the_command_line_is_one_trial_of_the_base_config() -> None:
    def sub_spaces(rates: str) -> str:
        return BASE + (f"sweep:\n  parameters:\n    - optimizer.lr: {rates}\n"
                       "    - optimizer.name: [sgd]\n")

    overrides = ["optimizer.name=adam"]
    trials = expand(load_config_text(sub_spaces("[0.3, 0.5]"), "s.yaml", overrides))
    assert [(t.space, t.params) for t in trials] == [
        (0, {"optimizer.lr": 0.3}), (0, {"optimizer.lr": 0.5}), (1, {})]
    assert trials[2].config["optimizer"] == {
        **trials[0].config["optimizer"], "name": "adam", "lr": 0.1}
    unswept = load_config_text(BASE, "s.yaml", overrides)
    assert trials[2].id == expand(unswept)[0].id
    # the base configuration (lr 0.1) is one of the first sub-space's too: trained once
    trials = expand(load_config_text(sub_spaces("[0.1, 0.5]"), "s.yaml", overrides))
    assert [(t.space, t.params) for t in trials] == [
        (0, {"optimizer.lr": 0.1}), (0, {"optimizer.lr": 0.5})]


def test_random_draws_from_every_sub_space_reproducibly() -> None:
    text = BASE + """\
sweep:
  method: random
  samples: 12
  parameters:
    - optimizer.name: [sgd]
      optimizer.lr: {log_uniform: [0.01, 1.0]}
      optimizer.momentum: {uniform: [0.0, 0.95]}
    - optimizer.name: [adam]
      optimizer.lr: {log_uniform: [0.0001, 0.01]}
"""
    trials = expand(spec_of(text))
    assert len(trials) == 12 and trials == expand(spec_of(text))
    assert {t.space for t in trials} == {0, 1}
    for trial in trials:
        optimizer = trial.config["optimizer"]
        if trial.space == 0:
            assert optimizer["name"] == "sgd" and 0.01 <= optimizer["lr"] <= 1.0
            assert 0.0 <= optimizer["momentum"] <= 0.95
        else:
            assert optimizer["name"] == "adam" and optimizer["momentum"] is None
            assert set(trial.params) == {"optimizer.name", "optimizer.lr"}


def test_random_takes_every_configuration_of_small_sub_spaces() -> None:
    text = SPACES.replace("method: grid", "method: random\n  samples: 10")
    assert [t.id for t in expand(spec_of(text))] == [t.id for t in expand(spec_of(SPACES))]


# --- depth x width ------------------------------------------------------------------------------


def test_depth_and_width_make_model_hidden_with_its_ids() -> None:
    shaped = BASE + "sweep:\n  parameters:\n    model.depth: [1, 2]\n    model.width: [4, 16]\n"
    hidden = BASE + "sweep:\n  parameters:\n    model.hidden: [[4], [16], [4, 4], [16, 16]]\n"
    trials = expand(spec_of(shaped))
    assert [t.config["model"]["hidden"] for t in trials] == [[4], [16], [4, 4], [16, 16]]
    assert [t.params for t in trials][1] == {"model.depth": 1, "model.width": 16}
    assert [t.id for t in trials] == [t.id for t in expand(spec_of(hidden))]


def test_depth_alone_takes_the_width_of_the_base_and_depth_0_is_one_trial() -> None:
    alone = BASE + "sweep:\n  parameters:\n    model.depth: [0, 1, 3]\n"
    assert [t.config["model"]["hidden"] for t in expand(spec_of(alone))] == [[], [8], [8, 8, 8]]
    zero = BASE + "sweep:\n  parameters:\n    model.depth: [0, 2]\n    model.width: [4, 16]\n"
    assert [t.config["model"]["hidden"] for t in expand(spec_of(zero))] == [
        [], [4, 4], [16, 16]]


def test_bad_depths_and_widths_name_their_item() -> None:
    text = BASE + ("sweep:\n  parameters:\n    model.depth: [1, -1, 2.5]\n"
                   "    model.width: [0, 8]\n")
    assert errors(text) == [
        "s.yaml:9:22: sweep.parameters.model.depth[1]: found -1; it must be >= 0",
        "s.yaml:9:26: sweep.parameters.model.depth[2]: found 2.5; model.depth is a whole "
        "number of hidden layers",
        "s.yaml:10:19: sweep.parameters.model.width[0]: found 0; it must be >= 1",
    ]
    both = BASE + "sweep:\n  parameters:\n    model.depth: [1]\n    model.hidden: [[4]]\n"
    assert errors(both) == [
        "s.yaml:9:5: sweep.parameters.model.depth: model.depth and model.hidden both set the "
        "hidden layers; sweep model.hidden, or model.depth and model.width"]


# --- errors at the sub-space's line -------------------------------------------------------------


def test_an_error_in_a_sub_space_names_its_line() -> None:
    text = BASE + """\
sweep:
  parameters:
    - optimizer.name: [sgd]
      optimizer.momentum: [0.5, 1.5]
    - optimizer.name: [adamx]
    - 3
    - {}
"""
    assert errors(text) == [
        "s.yaml:10:33: sweep.parameters[0].optimizer.momentum[1]: found 1.5; it must be < 1.0",
        "s.yaml:11:24: sweep.parameters[1].optimizer.name[0]: 'adamx' is not allowed; expected "
        "one of sgd, momentum, nesterov, rmsprop, adagrad, adam (did you mean 'adam'?)",
        "s.yaml:12:7: sweep.parameters[2]: found 3; a sub-space is a mapping of dotted keys to "
        "values, e.g. {optimizer.name: [adam], optimizer.lr: [0.001, 0.01]}",
        "s.yaml:13:7: sweep.parameters[3]: an empty sub-space; a sub-space is a mapping of "
        "dotted keys to values, e.g. {optimizer.name: [adam], optimizer.lr: [0.001, 0.01]}",
    ]
    assert errors(BASE + "sweep:\n  parameters: []\n") == [
        "s.yaml:8:15: sweep.parameters: found []; expected a mapping of dotted keys to values, "
        "or a list of such mappings (sub-spaces, e.g. one per optimizer)"]


def test_a_combination_that_clashes_names_its_sub_space() -> None:
    text = BASE + """\
sweep:
  parameters:
    - optimizer.lr: [0.1]
    - loss: [mse]
      model.output: [softmax]
"""
    with pytest.raises(ConfigError) as caught:
        expand(spec_of(text))
    assert str(caught.value).startswith(
        "s.yaml:10:7: sweep.parameters[1]: the combination {loss: mse, model.output: softmax} "
        "is not a valid configuration: model.output: 'softmax' cannot be used with loss mse")


# --- end to end ---------------------------------------------------------------------------------


def summary_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_a_conditional_grid_runs_shows_and_dry_runs(cli, tmp_path: Path) -> None:
    config = tmp_path / "spaces.yaml"
    config.write_text(SPACES)
    dry = invoke(cli, "sweep", config, "--dry-run")
    assert dry.exit_code == 0, dry.output
    adam_row = next(line for line in dry.stdout.splitlines() if "[0.8, 0.99]" in line)
    assert adam_row.split()[3:] == ["adam", "-", "[0.8,", "0.99]", "0.01"]
    result = run_nnrun("sweep", config, "--out", tmp_path / "out", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "4 of 4 trials finished (4 ok)" in result.stdout
    folder = tmp_path / "out" / "spaces"
    meta = json.loads((folder / "sweep.json").read_text())
    assert meta["parameters"] == ["optimizer.name", "optimizer.momentum", "optimizer.betas",
                                  "optimizer.lr"]
    rows = summary_rows(folder)
    assert [(r["optimizer.name"], r["optimizer.momentum"], r["optimizer.betas"]) for r in rows] \
        == [("sgd", "0.0", ""), ("sgd", "0.9", ""), ("adam", "", "[0.9, 0.999]"),
            ("adam", "", "[0.8, 0.99]")]
    shown = invoke(cli, "show", folder, "--format", "markdown")
    assert shown.exit_code == 0, shown.output
    assert "| adam | - | [0.8, 0.99] | 0.01 |" in shown.stdout
    # a key the trial's sub-space does not sweep is `-`, not the base file's value (sgd's
    # trials have no betas and no swept lr), as in --dry-run and summary.csv
    assert "| sgd | 0.0 | - | - |" in shown.stdout and "| sgd | 0.9 | - | - |" in shown.stdout


def test_halving_and_bayes_over_sub_spaces(tmp_path: Path) -> None:
    halving = SPACES.replace("method: grid", "method: halving\n  min_epochs: 1")
    bayes = SPACES.replace("method: grid", "method: bayes\n  samples: 6").replace(
        "[0.01]", "{log_uniform: [0.001, 0.1]}")
    for name, text in (("halving", halving), ("bayes", bayes)):
        config = tmp_path / f"{name}.yaml"
        config.write_text(text.replace("name: spaces", f"name: {name}"))
        result = run_nnrun("sweep", config, "--out", tmp_path / "out", "--jobs", "1")
        assert result.returncode == 0, result.stderr
        rows = summary_rows(tmp_path / "out" / name)
        names = {row["optimizer.name"] for row in rows}
        assert names == {"sgd", "adam"}
        for row in rows:  # each trial has the keys of its own sub-space only
            assert (row["optimizer.momentum"] == "") == (row["optimizer.name"] == "adam")
            assert (row["optimizer.betas"] == "") == (row["optimizer.name"] == "sgd")
    again = run_nnrun("sweep", tmp_path / "bayes.yaml", "--out", tmp_path / "again", "--jobs", "1")
    assert again.returncode == 0, again.stderr
    def proposals(folder: Path) -> list[tuple[str, str]]:
        return [(r["trial"], r["optimizer.lr"]) for r in summary_rows(folder / "bayes")]

    assert proposals(tmp_path / "again") == proposals(tmp_path / "out")

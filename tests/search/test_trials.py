"""nnrun.search: which trials a sweep runs, their seeds and their ids."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys

import pytest
from helpers.cli import ROOT
from helpers.configs import config_text
from hypothesis import given, settings
from hypothesis import strategies as st

from nnrun.config import load_config_text
from nnrun.errors import ConfigError
from nnrun.search import (
    Trial,
    describe_trials,
    expand,
    make_trial,
    resolve_objectives,
    trial_id,
)
from nnrun.search.trials import canonical_json
from nnrun.vocabulary import format_value

SMALL = """\
name: ids
seed: 0
repeats: 2
data: {dataset: moons, n_samples: 200}
model: {hidden: [4]}
train: {epochs: 5}
sweep:
  parameters:
    model.activation: [tanh, relu]
"""

# The ids and seeds of SMALL. If this test fails, every stored result folder loses its resume:
# change them only on purpose, and say so in the changelog.
SMALL_TRIALS = [
    ("c3966cbda4", 818512038, 0, "tanh"),
    ("e548ca2b5b", 1364670896, 1, "tanh"),
    ("29d6e26278", 1667491501, 0, "relu"),
    ("5923bf0161", 445201401, 1, "relu"),
]


def spec_of(text: str, overrides: tuple[str, ...] = (), filename: str = "s.yaml"):
    return load_config_text(text, filename, overrides)


def sweep_text(parameters: str, method: str = "grid", extra: str = "") -> str:
    return (f"data: {{dataset: spirals}}\n{extra}sweep:\n  method: {method}\n"
            f"  parameters:\n{parameters}")


# --- ids and seeds ------------------------------------------------------------------------------


def test_ids_and_seeds_are_stable():
    trials = expand(spec_of(SMALL))
    assert [(t.id, t.seed, t.repeat, t.params["model.activation"]) for t in trials] == SMALL_TRIALS


def test_ids_are_the_same_in_a_fresh_interpreter_with_another_hash_seed():
    code = ("from nnrun.config import load_config_text; from nnrun.search import expand; "
            "import sys; print(' '.join(t.id for t in expand(load_config_text(sys.stdin.read(), "
            "'s.yaml'))))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], input=SMALL, capture_output=True,
                         text=True, env=env, check=True, cwd=ROOT).stdout
    assert out.split() == [row[0] for row in SMALL_TRIALS]


def test_id_is_the_hash_of_the_resolved_config():
    for trial in expand(spec_of(SMALL)):
        assert trial.id == trial_id(trial.config)
        assert len(trial.id) == 10 and int(trial.id, 16) >= 0
        assert trial.seed == trial.config["seed"]
        assert 0 <= trial.seed < 2**31


def test_same_config_same_id_whatever_the_file_says_around_it():
    reordered = """\
train: {epochs: 5}
model: {hidden: [4], activation: sigmoid}
data: {n_samples: 200, dataset: moons}
repeats: 2
name: another-name
metric: val_loss
sweep:
  parameters:
    model.activation: [tanh, relu]
"""
    first = [t.id for t in expand(spec_of(SMALL))]
    assert [t.id for t in expand(spec_of(reordered, filename="other.yaml"))] == first
    # 0.1 written as 1e-1, 5 epochs given through --set: still the same configuration.
    assert [t.id for t in expand(spec_of(config_text(SMALL, {"train.epochs": 7}),
                                         ("train.epochs=5", "optimizer.lr=1e-1")))] == first


def test_a_different_config_or_base_seed_gives_different_ids_and_seeds():
    base = expand(spec_of(SMALL))
    for changed in (expand(spec_of(SMALL, ("seed=1",))),
                    expand(spec_of(SMALL, ("train.epochs=6",)))):
        assert not {t.id for t in base} & {t.id for t in changed}
        assert [t.seed for t in base] != [t.seed for t in changed]


def test_repeats_get_different_seeds_and_ids():
    trials = expand(spec_of(SMALL, ("repeats=5",)))
    assert len(trials) == 10
    assert len({t.id for t in trials}) == 10
    assert len({t.seed for t in trials}) == 10
    assert [t.repeat for t in trials[:5]] == [0, 1, 2, 3, 4]


def test_canonical_json():
    assert canonical_json({"b": [1, 2.5], "a": None, "c": "é"}) == \
        '{"a":null,"b":[1,2.5],"c":"\\u00e9"}'


# --- the resolved trial config -------------------------------------------------------------------


def test_trial_config_is_the_base_with_the_values_substituted():
    trial = expand(spec_of(SMALL))[2]
    assert list(trial.config) == ["seed", "data", "model", "loss", "optimizer", "train"]
    assert trial.config["model"] == {"hidden": [4], "activation": "relu", "output": "auto",
                                     "init": "auto"}
    assert trial.config["data"]["n_samples"] == 200
    assert trial.config["data"]["seed"] == 0  # the base seed: one data split for the sweep
    assert trial.config["train"]["epochs"] == 5
    assert trial.config["optimizer"]["lr"] == 0.1


def test_data_seed_given_in_the_file_is_kept():
    trials = expand(spec_of(SMALL, ("data.seed=42", "seed=3")))
    assert {t.config["data"]["seed"] for t in trials} == {42}
    assert {expand(spec_of(SMALL, ("seed=3",)))[0].config["data"]["seed"]} == {3}


def test_trials_do_not_share_mutable_state_with_the_spec():
    spec = spec_of(sweep_text("    model.hidden: [[4], [8, 8]]\n"))
    first = expand(spec)
    first[0].config["model"]["hidden"].append(99)
    first[0].params["model.hidden"].append(99)
    assert spec.parameters["model.hidden"] == [[4], [8, 8]]
    assert expand(spec)[0].config["model"]["hidden"] == [4]


def test_trial_is_frozen_and_hashable():
    trial = expand(spec_of(SMALL))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.seed = 1
    assert len({trial, expand(spec_of(SMALL))[0]}) == 1


def test_values_that_clash_only_in_combination_are_an_error():
    spec = spec_of(sweep_text("    data.val_fraction: [0.1, 0.5]\n"
                              "    data.test_fraction: [0.1, 0.5]\n"))
    with pytest.raises(ConfigError, match=r"s\.yaml: sweep\.parameters: the combination "
                       r"\{data\.val_fraction: 0\.5, data\.test_fraction: 0\.5\}.*"
                       r"val_fraction \+ test_fraction = 1"):
        expand(spec)


# --- grid ---------------------------------------------------------------------------------------


def test_grid_is_the_product_in_file_order_times_repeats():
    spec = spec_of(sweep_text(
        "    loss: [mse, cross_entropy]\n    model.hidden: [[4], [8, 8], []]\n"
        "    optimizer.lr: [0.1, 1e-2]\n", extra="repeats: 3\n"))
    trials = expand(spec)
    assert len(trials) == 2 * 3 * 2 * 3
    configurations = [t.params for t in trials[::3]]
    assert configurations[:3] == [
        {"loss": "mse", "model.hidden": [4], "optimizer.lr": 0.1},
        {"loss": "mse", "model.hidden": [4], "optimizer.lr": 0.01},
        {"loss": "mse", "model.hidden": [8, 8], "optimizer.lr": 0.1},
    ]
    assert configurations[-1] == {"loss": "cross_entropy", "model.hidden": [],
                                  "optimizer.lr": 0.01}
    assert len({t.id for t in trials}) == len(trials)


def test_empty_grid_is_one_trial():
    trials = expand(spec_of("data: {dataset: xor}\n"))
    assert len(trials) == 1 and trials[0].params == {}


def test_override_precedence():
    text = sweep_text("    optimizer.lr: [0.1, 0.2]\n    loss: [mse, cross_entropy]\n")
    trials = expand(spec_of(text, ("optimizer.lr=0.5", "sweep.parameters.loss=[mse]",
                                   "train.epochs=3")))
    # --set beats the file, a swept key included (as on Hydra's command line: it leaves the
    # sweep); sweep.parameters.KEY=[...] sets the swept values.
    assert [t.config["optimizer"]["lr"] for t in trials] == [0.5]
    assert "optimizer.lr" not in trials[0].params
    assert {t.config["loss"] for t in trials} == {"mse"}
    assert {t.config["train"]["epochs"] for t in trials} == {3}
    trials = expand(spec_of(text, ("sweep.parameters.optimizer.lr=[0.3]",)))
    assert [t.config["optimizer"]["lr"] for t in trials] == [0.3, 0.3]


def test_sweeping_a_nested_optional_key():
    trials = expand(spec_of(sweep_text("    train.early_stopping.patience: [2, 5]\n")))
    assert [t.config["train"]["early_stopping"] for t in trials] == [
        {"patience": 2, "monitor": "val_loss", "min_delta": 0.0},
        {"patience": 5, "monitor": "val_loss", "min_delta": 0.0},
    ]


# --- random, halving, bayes ----------------------------------------------------------------------

RANDOM = sweep_text(
    "    optimizer.lr: {log_uniform: [1.0e-4, 1.0]}\n"
    "    data.noise: {uniform: [0.05, 0.3]}\n"
    "    train.batch_size: {int_uniform: [8, 10]}\n"
    "    model.activation: [sigmoid, tanh, relu]\n"
    "    model.hidden: {choice: [[4], [8, 8]]}\n",
    method="random", extra="repeats: 2\n",
) + "  samples: 150\n"


def test_random_gives_samples_times_repeats_distinct_trials():
    trials = expand(spec_of(RANDOM))
    assert len(trials) == 300
    assert len({t.id for t in trials}) == 300
    assert len({canonical_json(t.params) for t in trials}) == 150
    assert [list(t.params) for t in trials[:1]] == [[
        "optimizer.lr", "data.noise", "train.batch_size", "model.activation", "model.hidden"]]


def test_random_draws_stay_in_their_bounds_and_cover_the_choices():
    params = [t.params for t in expand(spec_of(RANDOM))[::2]]
    lrs = [p["optimizer.lr"] for p in params]
    assert all(1e-4 <= lr <= 1.0 and isinstance(lr, float) for lr in lrs)
    # log_uniform: uniform in log space, so about half fall below the geometric middle 1e-2.
    assert 0.35 < sum(lr < 1e-2 for lr in lrs) / len(lrs) < 0.65
    assert sum(lr < 1e-3 for lr in lrs) > 15  # a uniform draw would give ~0.1%
    noises = [p["data.noise"] for p in params]
    assert all(0.05 <= n <= 0.3 for n in noises)
    assert 0.35 < sum(n < 0.175 for n in noises) / len(noises) < 0.65
    sizes = [p["train.batch_size"] for p in params]
    assert all(type(size) is int for size in sizes)
    assert set(sizes) == {8, 9, 10}  # both ends included
    assert {p["model.activation"] for p in params} == {"sigmoid", "tanh", "relu"}
    assert {tuple(p["model.hidden"]) for p in params} == {(4,), (8, 8)}
    assert all(t.config["data"]["noise"] == t.params["data.noise"]
               for t in expand(spec_of(RANDOM))[:10])


def test_random_is_deterministic_and_follows_the_base_seed():
    first = [t.id for t in expand(spec_of(RANDOM))]
    assert [t.id for t in expand(spec_of(RANDOM))] == first
    assert [t.id for t in expand(spec_of(RANDOM, ("seed=1",)))][:10] != first[:10]


def test_random_over_a_small_finite_space_gives_each_configuration_once():
    text = sweep_text("    loss: [mse, cross_entropy]\n"
                      "    model.activation: {choice: [tanh, relu]}\n", method="random")
    text += "  samples: 10\n"
    trials = expand(spec_of(text))
    assert sorted(canonical_json(t.params) for t in trials) == sorted(
        canonical_json({"loss": loss, "model.activation": act})
        for loss in ("mse", "cross_entropy") for act in ("tanh", "relu"))
    assert len({canonical_json(t.params)
                for t in expand(spec_of(text, ("sweep.samples=3",)))}) == 3


def test_halving_expands_like_grid_or_like_random():
    grid = sweep_text("    loss: [mse, cross_entropy]\n    model.activation: [tanh, relu]\n")
    halving = ("sweep.method=halving",)
    assert [t.id for t in expand(spec_of(grid, halving))] == [t.id for t in expand(spec_of(grid))]
    assert len(expand(spec_of(grid, (*halving, "sweep.samples=3")))) == 3
    assert len(expand(spec_of(RANDOM, halving))) == 300


def test_bayes_expands_to_nothing_and_make_trial_builds_its_proposals():
    spec = spec_of(RANDOM, ("sweep.method=bayes",))
    assert expand(spec) == []
    trial = make_trial(spec, {"optimizer.lr": 0.003, "model.activation": "tanh"}, repeat=1)
    assert isinstance(trial, Trial)
    assert trial.config["optimizer"]["lr"] == 0.003 and trial.repeat == 1
    with pytest.raises(ConfigError, match="optimizer.lr"):
        make_trial(spec, {"optimizer.lr": -1.0})


@settings(max_examples=40, deadline=None)
@given(activations=st.lists(st.sampled_from(["sigmoid", "tanh", "relu"]), min_size=1,
                            max_size=3, unique=True),
       widths=st.lists(st.lists(st.integers(1, 64), max_size=3), min_size=1, max_size=4,
                       unique_by=tuple),
       repeats=st.integers(1, 3))
def test_grid_size_property(activations, widths, repeats):
    text = (f"data: {{dataset: xor}}\nrepeats: {repeats}\nsweep:\n  parameters:\n"
            f"    model.activation: {activations}\n    model.hidden: {widths}\n")
    trials = expand(spec_of(text))
    assert len(trials) == len(activations) * len(widths) * repeats
    assert len({t.id for t in trials}) == len(trials)


# --- the loss a regression data set cannot take -------------------------------------------------

CROSS_ENTROPY_AT = {
    # the base loss, under a list of sub-spaces that do not sweep it
    "base": ("loss: cross_entropy\nsweep:\n  parameters:\n    - optimizer.name: [sgd]\n"
             "    - optimizer.name: [adam]\n", "s.yaml:1:7: loss:"),
    # the second sub-space sweeps it, as the second value of its list
    "sub-space": ("loss: mse\nsweep:\n  parameters:\n    - optimizer.name: [sgd]\n"
                  "    - optimizer.name: [adam]\n      loss: [mse, cross_entropy]\n",
                  "s.yaml:6:19: sweep.parameters[1].loss[1]:"),
    # one sub-space sweeps mse only: the other trains the base cross_entropy
    "base-beside-a-sub-space": ("loss: cross_entropy\nsweep:\n  parameters:\n"
                                "    - optimizer.name: [sgd]\n      loss: [mse]\n"
                                "    - optimizer.name: [adam]\n", "s.yaml:1:7: loss:"),
    "mapping": ("loss: mse\nsweep:\n  parameters:\n    loss: [mse, cross_entropy]\n",
                "s.yaml:4:17: sweep.parameters.loss[1]:"),
    "choice": ("loss: mse\nsweep:\n  method: random\n  samples: 2\n  parameters:\n"
               "    loss: {choice: [cross_entropy, mse]}\n",
               "s.yaml:6:21: sweep.parameters.loss.choice[0]:"),
}


@pytest.mark.parametrize("name", list(CROSS_ENTROPY_AT))
def test_cross_entropy_on_regression_names_the_line_that_asks_for_it(name: str) -> None:
    from nnrun.search import check_loss

    text, where = CROSS_ENTROPY_AT[name]
    spec = spec_of(text + "data: {dataset: spirals}\n")  # last: the lines above stay put
    with pytest.raises(ConfigError) as raised:
        check_loss(spec, expand(spec), "regression")
    assert raised.value.errors[0].startswith(f"{where} cross_entropy needs a classification "
                                             f"task, and this data set is regression"), \
        raised.value.errors


# --- metric, and the --dry-run table -------------------------------------------------------------


@pytest.mark.parametrize("metric, goal, task, expected", [
    (None, None, "classification", ("val_accuracy", "maximize")),
    (None, None, "regression", ("val_loss", "minimize")),
    ("train_loss", None, "classification", ("train_loss", "minimize")),
    ("test_accuracy", None, "classification", ("test_accuracy", "maximize")),
    ("val_loss", "maximize", "regression", ("val_loss", "maximize")),
    ("n_parameters", None, "regression", ("n_parameters", "minimize")),
    ("train_seconds", None, "classification", ("train_seconds", "minimize")),
])
def test_resolve_objectives_of_one_metric(metric, goal, task, expected):
    overrides = tuple(f"{key}={value}" for key, value in (("metric", metric), ("goal", goal))
                      if value)
    assert resolve_objectives(spec_of("data: {dataset: xor}\n", overrides), task) == [expected]


@pytest.mark.parametrize("lines, expected", [
    ("metric: [val_accuracy, n_parameters]\n",
     [("val_accuracy", "maximize"), ("n_parameters", "minimize")]),
    ("metric: [val_loss, train_seconds]\ngoal: [maximize, maximize]\n",
     [("val_loss", "maximize"), ("train_seconds", "maximize")]),
    ("metric: [val_accuracy]\ngoal: [minimize]\n", [("val_accuracy", "minimize")]),
])
def test_resolve_objectives_of_several_metrics(lines, expected):
    spec = spec_of("data: {dataset: xor}\n" + lines)
    assert resolve_objectives(spec, "classification") == expected
    assert spec.objectives("classification") == expected


@pytest.mark.parametrize("lines, message", [
    ("metric: [val_accuracy, n_parameters]\ngoal: maximize\n",
     r"s\.yaml:3:7: goal: 2 metrics need 2 goals, one each"),
    ("metric: [val_accuracy, n_parameters]\ngoal: [maximize]\n",
     r"s\.yaml:3:7: goal: 1 goal for 2 metrics"),
    ("metric: [val_loss, val_loss]\n", r"s\.yaml:2:9: metric: val_loss named twice"),
    ("goal: [maximize, minimize]\n", r"s\.yaml:2:7: goal: a list of goals needs a list of "
     "metrics"),
    ("metric: []\n", r"s\.yaml:2:9: metric: found \[\]; expected at least 1 value"),
    ("metric: [val_accuracy, size]\n", r"s\.yaml:2:24: metric\[1\]: 'size' is not allowed; "
     "expected one of train_loss"),
    ("metric: size\n", r"s\.yaml:2:9: metric: 'size' is not allowed"),
])
def test_bad_objectives_are_config_errors_at_their_line(lines, message):
    with pytest.raises(ConfigError, match=message):
        spec_of("data: {dataset: xor}\n" + lines)


def test_a_listed_accuracy_on_a_regression_set_is_a_config_error():
    spec = spec_of("data: {dataset: csv, path: d.csv, target: y}\n"
                   "metric: [val_loss, val_accuracy]\n")
    with pytest.raises(ConfigError, match=r"metric: 'val_accuracy' needs a classification task"):
        resolve_objectives(spec, "regression")


def test_accuracy_metric_for_regression_is_a_config_error_at_its_line():
    spec = spec_of("data: {dataset: csv, path: d.csv, target: y}\nmetric: val_accuracy\n")
    with pytest.raises(ConfigError, match=r"^s\.yaml:2:9: metric: 'val_accuracy' needs a "
                       "classification task"):
        resolve_objectives(spec, "regression")


def test_describe_trials():
    spec = spec_of(sweep_text("    model.hidden: [[16], [32, 32]]\n    optimizer.lr: [1e-3]\n"
                              "    data.standardize: [false]\n"))
    rows = describe_trials(expand(spec), spec.parameters)
    assert rows[1] == {"trial": expand(spec)[1].id, "repeat": 0, "seed": expand(spec)[1].seed,
                       "model.hidden": "[32, 32]", "optimizer.lr": "0.001",
                       "data.standardize": "false"}
    assert all(isinstance(value, str) for row in rows for key, value in row.items()
               if key not in ("repeat", "seed"))


def test_format_value():
    assert [format_value(v, "null") for v in (0.1, 3, "relu", None, True, [8, 8], [], 1e-5,
                                               {"patience": 5, "monitor": None})] == \
        ["0.1", "3", "relu", "null", "true", "[8, 8]", "[]", "1e-05",
         "{patience: 5, monitor: null}"]
    assert math.isclose(float(format_value(1 / 3)), 1 / 3)

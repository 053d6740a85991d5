"""nnrun.config._yaml: the safe reader, YAML 1.2 floats, duplicated keys, tags, syntax errors, all
at their line and column."""

from __future__ import annotations

import pytest
import yaml
from helpers.configs import MINIMAL as BASE
from helpers.configs import config_errors as errors
from helpers.configs import one_config_error as one_error

from nnrun.config import load_config_text


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


def test_a_nested_alias_bomb_is_refused_quickly():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for i, prev in zip("bcdefgh", "abcdefg", strict=True):
        bomb += f"{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    assert "more than 100000 values" in one_error(bomb)

"""The smaller commands: show, validate, gradcheck, help, version, clean errors."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers.cli import ROOT, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnrun.cli import app

COMMANDS = ["sweep", "show", "plot", "check", "validate", "gradcheck", "predict", "export",
            "refit"]
# One resolved trial config, as a sweep passes it to a worker.
SMALL_TRIAL = """\
seed: 5
data: {dataset: moons, n_samples: 300, noise: 0.2, classes: 3, val_fraction: 0.2,
       test_fraction: 0.2, standardize: true, seed: null, path: null, target: null,
       task: auto}
model: {hidden: [16, 16], activation: relu, output: auto, init: auto}
loss: cross_entropy
optimizer: {name: sgd, lr: 0.05, weight_decay: 0.001, momentum: null, betas: [0.9, 0.999],
            eps: null, alpha: 0.99, schedule: constant, step_size: null, gamma: null,
            min_lr: 0.0}
train: {batch_size: 32, epochs: 3, dtype: float32, early_stopping: null}
"""


@pytest.fixture(scope="module")
def swept(tmp_path_factory) -> Path:
    """The small sweep with two repeats, run once for the module."""
    from helpers.configs import SMALL
    from typer.testing import CliRunner

    folder = tmp_path_factory.mktemp("swept")
    config = folder / "small.yaml"
    config.write_text(SMALL.replace("seed: 3", "seed: 3\nrepeats: 2"))
    result = CliRunner().invoke(app, ["sweep", str(config), "--out", str(folder / "out"),
                                      "-j", "2"])
    assert result.exit_code == 0, result.output
    return folder / "out" / "small"


def test_every_command_has_help_with_an_example_and_is_in_the_readme(cli) -> None:
    readme = (ROOT / "README.md").read_text()
    for command in COMMANDS:
        result = invoke(cli, command, "--help")
        assert result.exit_code == 0
        assert "Example: nnrun " + command in result.stdout, command
        assert f"nnrun {command}" in readme, command


def test_version(cli) -> None:
    from nnrun import __version__

    result = invoke(cli, "--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"nnrun {__version__}"


def test_help_starts_fast_without_heavy_imports() -> None:
    code = ("import sys, nnrun.cli; heavy = [m for m in ('numpy', 'pandas', 'matplotlib', "
            "'dask', 'sklearn', 'optuna', 'mlflow', 'tensorboardX') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"  # the wall time itself is benchmarks/sweep_scaling.py's


def test_show_ranks_configurations_with_mean_and_std_over_repeats(cli, swept: Path) -> None:
    result = invoke(cli, "show", swept, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 4 and all(row["n"] == "2" for row in rows)
    means = [float(row["val_accuracy"]) for row in rows]
    assert means == sorted(means, reverse=True)
    assert all(row["val_accuracy_std"] != "" for row in rows)
    summary = list(csv.DictReader((swept / "summary.csv").open()))
    first = rows[0]
    values = [float(r["val_accuracy"]) for r in summary
              if r["model.activation"] == first["model.activation"]
              and r["optimizer.lr"] == first["optimizer.lr"]]
    assert abs(sum(values) / 2 - float(first["val_accuracy"])) < 1e-12


def test_show_table_markdown_and_top(cli, swept: Path) -> None:
    table = invoke(cli, "show", swept)
    assert table.exit_code == 0 and "val_accuracy" in table.stdout and "±" in table.stdout
    markdown = invoke(cli, "show", swept, "--format", "markdown", "--top", "2")
    lines = [line for line in markdown.stdout.splitlines() if line.startswith("| ")]
    assert len(lines) == 3 and lines[0].startswith("| rank | model.activation")


def test_show_on_a_folder_that_is_not_results(cli, tmp_path: Path) -> None:
    result = invoke(cli, "show", tmp_path)
    assert result.exit_code == 2 and "not an nnrun results folder" in result.stderr


def test_show_on_a_folder_of_sweeps_or_a_file_says_so(cli, swept: Path) -> None:
    result = invoke(cli, "show", swept.parent)
    assert result.exit_code == 2, result.output
    assert f"holds several sweeps, show one at a time: {swept}" in result.stderr
    result = invoke(cli, "show", swept / "summary.csv")
    assert result.exit_code == 2 and "a file, not a results folder" in result.stderr


def test_show_on_a_summary_cut_short_is_not_a_traceback(cli, swept: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "small"
    shutil.copytree(swept, folder)
    (folder / "summary.csv").write_text("")  # a disk full or a kill before the first row
    result = invoke(cli, "show", folder, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 + 4  # rebuilt from the trials' result.json
    shutil.rmtree(folder / "trials")
    result = invoke(cli, "show", folder, "--format", "csv")
    assert result.exit_code == 0, result.output
    # a header (the sweep's keys, from sweep.json), no configuration
    assert result.stdout.splitlines() == ["model.activation,optimizer.lr,n,val_accuracy"]
    (folder / "summary.csv").write_text('trial,status\n"abc,ok\n')  # an unclosed quote
    result = invoke(cli, "show", folder)
    assert result.exit_code == 2 and "summary.csv: cannot read it" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("option", [["--top", "-1"], ["--top", "0"]])
def test_show_top_must_be_positive(cli, swept: Path, option: list[str]) -> None:
    result = invoke(cli, "show", swept, *option)
    assert result.exit_code == 2 and "--top" in result.stderr


def test_validate_reports_the_number_of_trials(cli, small_config: Path) -> None:
    result = invoke(cli, "validate", small_config)
    assert result.exit_code == 0 and "valid; 4 trials" in result.stdout


def test_a_bad_config_exits_2_with_the_line_and_no_traceback(cli, tmp_path: Path) -> None:
    from helpers.configs import SMALL

    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("activation: tanh", "activation: tanhh"))
    for command in ("validate", "sweep", "gradcheck"):
        result = invoke(cli, command, bad)
        assert result.exit_code == 2, (command, result.output)
        assert "bad.yaml:9:15" in result.stderr and "model.activation" in result.stderr
        assert "Traceback" not in result.output


def test_a_missing_config_file_exits_2(cli, tmp_path: Path) -> None:
    result = invoke(cli, "sweep", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "nope.yaml" in result.stderr


def test_a_missing_data_file_exits_2_naming_it(cli, tmp_path: Path) -> None:
    config = tmp_path / "csv.yaml"
    config.write_text("data:\n  dataset: csv\n  path: missing.csv\n  target: label\n")
    result = invoke(cli, "sweep", config, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "missing.csv" in result.stderr
    assert "Traceback" not in result.output


def test_validate_makes_the_checks_of_a_sweep_and_points_at_the_line_to_blame(
        cli, tmp_path: Path) -> None:
    """validate loads each data set and checks the loss against it, as a sweep does before
    training; a data problem caused by one setting names that setting's line."""
    too_few = tmp_path / "few.yaml"
    too_few.write_text("data:\n  dataset: moons\n  n_samples: 1\n")
    swept = tmp_path / "swept.yaml"
    swept.write_text("data: {dataset: moons}\nsweep:\n  parameters:\n"
                     "    data.n_samples: [100, 4]\n")
    missing = tmp_path / "csv.yaml"
    missing.write_text("data:\n  dataset: csv\n  path: missing.csv\n  target: label\n")
    (tmp_path / "numbers.csv").write_text("x,y\n" + "".join(f"{i},{i * 0.37}\n"
                                                             for i in range(30)))
    regression = tmp_path / "regression.yaml"
    regression.write_text("data: {dataset: csv, path: numbers.csv, target: y}\n"
                          "loss: cross_entropy\n")
    expected = {too_few: "few.yaml:3:14: data.n_samples must be an integer of at least 2",
                swept: "swept.yaml:4:27: sweep.parameters.data.n_samples[1]: data set "
                       "'moons': class '0' has 2 sample(s)",
                missing: "csv.yaml:3:9: ",
                regression: "regression.yaml:2:7: loss: cross_entropy needs a classification"}
    for config, message in expected.items():
        for command in ("validate", "sweep"):
            result = invoke(cli, command, config, "--out", tmp_path / "out") if (
                command == "sweep") else invoke(cli, command, config)
            assert result.exit_code == 2, (command, result.output)
            assert message in result.stderr, (command, result.stderr)
            assert "Traceback" not in result.output
    assert "missing.csv: no such file" in invoke(cli, "validate", missing).stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("optimizer", "early_stopping", "batch_size"), [
    ("sgd", None, 32), ("momentum", None, 32), ("adam", {"patience": 2}, 32),
    ("sgd", None, 10**9),  # "the whole training set as one batch"
])
def test_the_memory_estimate_is_a_lower_bound_of_the_arrays_a_trial_holds(
        optimizer, early_stopping, batch_size) -> None:
    import numpy as np

    from nnrun.data.cache import get_dataset
    from nnrun.execution.worker import build_trainer, final_metrics
    from nnrun.model import build_network, memory_estimate

    config = yaml.safe_load(SMALL_TRIAL)
    config["optimizer"]["name"] = optimizer
    config["train"]["early_stopping"] = early_stopping
    config["train"]["batch_size"] = batch_size
    dataset = get_dataset(config["data"])
    net = build_network(config, dataset)
    trainer = build_trainer(config, dataset, net)
    trainer.run()
    final_metrics(net, dataset)
    held = [net.parameters, net.gradient, *[array for state in trainer.opt.state
                                            for array in state.values()]]
    if trainer.best_parameters is not None:
        held.append(trainer.best_parameters)
    for workspace in net.workspaces:
        held += [a for arrays in (workspace.z, workspace.a, workspace.delta, workspace.df)
                 for a in arrays if a is not None]
    held_bytes = sum(array.nbytes for array in held)
    estimate, parameter_bytes, work_bytes = memory_estimate(config, dataset)
    assert estimate == parameter_bytes + work_bytes
    assert held_bytes / 2 < estimate <= held_bytes, (estimate, held_bytes)
    assert all(array.dtype == np.float32 for array in held)


def test_a_network_too_big_for_the_machine_is_a_config_error_at_its_line(
        cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("nnrun.driver.preflight.machine_memory", lambda: 2**30)  # a 1 GiB machine
    config = tmp_path / "huge.yaml"
    config.write_text("data: {dataset: moons, n_samples: 200}\nsweep:\n  parameters:\n"
                      "    model.hidden: [[8], [3000000]]\n"  # about 6 GiB
                      "train: {batch_size: 1000000000}\n")  # full batch: [8] passes
    for command in ("validate", "sweep"):
        result = invoke(cli, command, config, "--out", tmp_path / "out") if (
            command == "sweep") else invoke(cli, command, config)
        assert result.exit_code == 2, (command, result.output)
        assert "huge.yaml:4:25: model.hidden: a trial with hidden layers [3000000]" in (
            result.stderr)
        assert "more than the 1.0 GiB of this machine" in result.stderr
    assert not (tmp_path / "out").exists()


def test_gradcheck_prints_each_network_and_passes(cli, small_config: Path) -> None:
    result = invoke(cli, "gradcheck", small_config)
    assert result.exit_code == 0, result.output
    assert "tanh" in result.stdout and "relu" in result.stdout
    assert ": ok" in result.stdout


def test_gradcheck_fails_above_the_threshold(cli, small_config: Path) -> None:
    result = invoke(cli, "gradcheck", small_config, "--threshold", "1e-30")
    assert result.exit_code == 1 and "FAILED" in result.stdout


def test_gradcheck_passes_a_correct_deep_relu_network_of_an_example(cli, tmp_path) -> None:
    # At a step of 1e-6 rounding alone put this network at 1.1e-6, above the threshold.
    document = yaml.safe_load((ROOT / "experiments" / "vanishing-gradient.yaml").read_text())
    document["sweep"]["parameters"] = {"model.hidden": [[32, 32, 32]],
                                       "model.activation": ["relu"]}
    config = tmp_path / "deep.yaml"
    config.write_text(yaml.safe_dump(document))
    result = invoke(cli, "gradcheck", config)
    assert result.exit_code == 0, result.output
    assert "[2, 32, 32, 32, 3]" in result.stdout and ": ok" in result.stdout


def test_gradcheck_of_a_bayes_sweep_checks_each_network_it_can_propose(cli, tmp_path) -> None:
    config = tmp_path / "bayes.yaml"
    config.write_text(
        "data: {dataset: moons, n_samples: 100}\nmodel: {hidden: [4]}\n"
        "sweep:\n  method: bayes\n  samples: 4\n  parameters:\n"
        "    optimizer.lr: {log_uniform: [1.0e-3, 1.0]}\n"
        "    model.hidden: [[4], [6, 6]]\n    model.activation: [tanh, relu]\n")
    result = invoke(cli, "gradcheck", config)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("[2, ")]
    assert len(rows) == 4, result.stdout
    assert "Traceback" not in result.output


def test_gradcheck_needs_at_least_one_sample(cli, small_config: Path) -> None:
    result = invoke(cli, "gradcheck", small_config, "--samples", "0")
    assert result.exit_code == 2 and "--samples must be at least 1" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


keys = st.sampled_from(["name", "seed", "repeats", "data", "model", "loss", "optimizer", "train",
                        "sweep", "metric", "goal", "dataset", "hidden", "lr", "epochs",
                        "parameters", "method", "samples", "model.hidden", "optimizer.lr"])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["moons", "relu", "grid", "random", "mse"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=st.dictionaries(keys, values, max_size=6) | values)
def test_validate_on_any_yaml_document_exits_0_or_2_never_a_traceback(cli, tmp_path: Path,
                                                                      document) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document))
    result = invoke(cli, "validate", path)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert "Traceback" not in result.output


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["seed", "repeats", "data.n_samples", "data.noise", "data.classes",
                            "data.val_fraction", "data.test_fraction", "model.hidden",
                            "model.activation", "model.output", "loss", "optimizer.name",
                            "optimizer.lr", "optimizer.momentum", "train.epochs",
                            "train.batch_size", "train.early_stopping", "sweep.method",
                            "sweep.samples", "sweep.parameters", "sweep.parameters.loss",
                            "sweep.parameters.model.hidden", "metric", "goal"]),
       value=values)
def test_validate_with_any_value_for_a_key_exits_0_or_2(cli, small_config: Path, key: str,
                                                        value) -> None:
    flow = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    flow = flow.removesuffix("\n...")
    result = invoke(cli, "validate", small_config, "--set", f"{key}={flow}")
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))


def test_a_scheduler_without_the_dask_backend_is_a_usage_error(cli, small_config: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2 and "needs --backend dask" in result.stderr


def test_gradcheck_takes_overrides_and_refuses_a_negative_threshold(cli,
                                                                   small_config: Path) -> None:
    result = invoke(cli, "gradcheck", small_config, "--set", "model.hidden=[5, 4]")
    assert result.exit_code == 0, result.output
    assert "[2, 5, 4, 2]" in result.stdout
    assert invoke(cli, "gradcheck", small_config, "--threshold", "-1").exit_code == 2


def test_ctrl_c_in_a_command_is_one_line_and_exit_130(capsys) -> None:
    import typer

    from nnrun.cli import user_errors

    @user_errors
    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(typer.Exit) as stop:
        interrupted()
    assert stop.value.exit_code == 130
    assert capsys.readouterr().err == "interrupted\n"

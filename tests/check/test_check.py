"""`nnrun check` (nnrun.regress) on synthetic results folders written to the documented layout."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers.cli import ROOT, run_nnrun

from nnrun.check import check
from nnrun.errors import NnrunError

PARAMETERS = ["model.activation", "model.hidden"]
DATA = {"dataset": "moons", "n_samples": 400, "noise": 0.2, "val_fraction": 0.2,
        "test_fraction": 0.2, "standardize": True, "seed": None}
# (activation, hidden as summary.csv writes it) -> (val_accuracy mean, val_loss mean)
CONFIGS = {
    ("relu", "[32, 32]"): (0.90, 0.30),
    ("relu", "[8]"): (0.85, 0.40),
    ("tanh", "[32, 32]"): (0.88, 0.33),
    ("tanh", "[8]"): (0.80, 0.50),
}
METRICS = ["train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
           "test_accuracy"]


def write_results(folder: Path, configs: dict | None = None, *, name: str = "demo",
                  statuses: dict | None = None, data: dict | None = None,
                  parameters: list[str] | None = None, repeats: int = 2,
                  metric: str = "val_accuracy") -> Path:
    """A results folder as `nnrun sweep` writes it: sweep.json and summary.csv.

    Repeats of a configuration spread by +-0.01 around the given means, so that averaging
    matters; ``statuses`` maps (config, repeat) to a status other than ok.
    """
    configs = CONFIGS if configs is None else configs
    statuses = statuses or {}
    parameters = PARAMETERS if parameters is None else parameters
    folder.mkdir(parents=True, exist_ok=True)
    rows, trial_ids = [], []
    for number, (config, (accuracy, loss)) in enumerate(configs.items()):
        for repeat in range(repeats):
            spread = 0.01 * (2 * repeat - (repeats - 1)) if repeats > 1 else 0.0
            status = statuses.get((config, repeat), "ok")
            trial = f"t{number}r{repeat}"
            trial_ids.append(trial)
            row = {"trial": trial, "status": status, "seed": 100 * number + repeat}
            row.update(dict(zip(parameters, config, strict=True)))
            finished = status in ("ok", "stopped")
            values = {"train_loss": loss - 0.05, "val_loss": loss + spread,
                      "test_loss": loss + 0.01, "train_accuracy": accuracy + 0.02,
                      "val_accuracy": accuracy - spread, "test_accuracy": accuracy - 0.01}
            for column in METRICS:
                row[column] = repr(values[column]) if finished else ""
            row.update(best_epoch=10, epochs_run=12, wall_s=0.5)
            rows.append(row)
    columns = ["trial", "status", "seed", *parameters, *METRICS, "best_epoch", "epochs_run",
               "wall_s"]
    with (folder / "summary.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    sweep = {"name": name, "nnrun_version": "0.1.0", "config_path": "experiments/demo.yaml",
             "config": {"name": name, "data": DATA if data is None else data},
             "method": "grid", "parameters": parameters, "metric": metric,
             "goal": "maximize", "task": "classification",
             "started_at": "2024-01-01T00:00:00Z", "finished_at": "2024-01-01T00:01:00Z",
             "trials": trial_ids}
    (folder / "sweep.json").write_text(json.dumps(sweep, indent=2))
    return folder


def changed(**changes: tuple[float, float]) -> dict:
    """CONFIGS with some means replaced; keys like relu_32 -> ("relu", "[32, 32]")."""
    names = {"relu_32": ("relu", "[32, 32]"), "relu_8": ("relu", "[8]"),
             "tanh_32": ("tanh", "[32, 32]"), "tanh_8": ("tanh", "[8]")}
    configs = dict(CONFIGS)
    for short, means in changes.items():
        configs[names[short]] = means
    return configs


def run_check(results: Path, baseline: Path, **kwargs) -> tuple[int, str]:
    out = io.StringIO()
    code = check(results, baseline, out=out, **kwargs)
    return code, out.getvalue()


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    """A baseline written by --update from the reference sweep."""
    path = tmp_path / "baselines" / "demo.yaml"
    code, _ = run_check(write_results(tmp_path / "reference"), path, update=True)
    assert code == 0
    return path


def row_of(output: str, *cells: str) -> str:
    lines = [line for line in output.splitlines()
             if line.startswith(cells[0]) and all(c in line for c in cells)]
    assert len(lines) == 1, output
    return lines[0]


# ---------------------------------------------------------------------------------------------
# Verdicts


def test_an_unchanged_sweep_passes(tmp_path, baseline):
    code, output = run_check(write_results(tmp_path / "run"), baseline)
    assert code == 0, output
    assert "PASSED: 4 ok" in output
    assert "regressed" not in output


def test_a_lower_accuracy_fails_naming_configuration_and_metric(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_8=(0.80, 0.40)))
    code, output = run_check(run, baseline)
    assert code == 1
    assert "regressed: model.activation=relu, model.hidden=[8]: val_accuracy 0.85 -> 0.8" \
        in output
    assert "regressed" in row_of(output, "relu", "[8]")
    assert "FAILED: 3 ok, 1 regressed" in output


def test_a_higher_loss_fails(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(tanh_32=(0.88, 0.36)))
    code, output = run_check(run, baseline)
    assert code == 1
    assert "model.activation=tanh, model.hidden=[32, 32]: val_loss 0.33 -> 0.36" in output
    assert "val_accuracy" not in "".join(line for line in output.splitlines()
                                         if line.startswith("regressed:"))


def test_a_change_inside_the_tolerance_passes(tmp_path, baseline):
    # Both metrics worse, by less than the default absolute tolerance 0.01.
    run = write_results(tmp_path / "run", changed(relu_32=(0.895, 0.305), tanh_8=(0.79, 0.51)))
    code, output = run_check(run, baseline)
    assert code == 0, output
    assert "PASSED: 4 ok" in output


def test_a_tighter_tolerance_catches_the_same_change(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_32=(0.895, 0.30)))
    code, output = run_check(run, baseline, tolerances=["0.001"])
    assert code == 1
    assert "val_accuracy 0.9 -> 0.895 (tolerance 0.001)" in output


def test_relative_tolerance(tmp_path, baseline):
    # val_loss 0.50 -> 0.52 is +0.02 absolute (beyond 0.01) but +4 % relative.
    run = write_results(tmp_path / "run", changed(tanh_8=(0.80, 0.52)))
    assert run_check(run, baseline)[0] == 1
    code, output = run_check(run, baseline, tolerances=["val_loss=5%"])
    assert code == 0, output
    assert "val_loss 5%" in output
    code, output = run_check(run, baseline, tolerances=["val_loss=3%"])
    assert code == 1
    assert "val_loss 0.5 -> 0.52 (tolerance 3%)" in output


def test_improvement_is_reported_and_passes(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_8=(0.95, 0.20)))
    code, output = run_check(run, baseline)
    assert code == 0
    assert "improved" in row_of(output, "relu", "[8]")
    assert "0.85 -> 0.95 (+0.1)" in output
    assert "PASSED: 3 ok, 1 improved" in output


def test_a_missing_configuration_fails(tmp_path, baseline):
    configs = dict(CONFIGS)
    del configs[("tanh", "[8]")]
    code, output = run_check(write_results(tmp_path / "run", configs), baseline)
    assert code == 1
    assert "missing: model.activation=tanh, model.hidden=[8]: not in the run" in output
    assert "FAILED: 3 ok, 1 missing" in output


def test_a_new_configuration_is_reported_and_passes(tmp_path, baseline):
    configs = {**CONFIGS, ("sigmoid", "[8]"): (0.70, 0.60)}
    code, output = run_check(write_results(tmp_path / "run", configs), baseline)
    assert code == 0, output
    assert "new" in row_of(output, "sigmoid", "[8]")
    assert "PASSED: 4 ok, 1 new" in output


def test_a_crashed_trial_fails(tmp_path, baseline):
    # One of two repeats crashed: the other one alone would pass, the crash still fails.
    run = write_results(tmp_path / "run", statuses={(("relu", "[8]"), 1): "failed"})
    code, output = run_check(run, baseline)
    assert code == 1
    assert "failed: model.activation=relu, model.hidden=[8]: 1 of 2 trials failed" in output
    assert "FAILED: 3 ok, 1 failed" in output


def test_a_configuration_that_only_diverged_fails(tmp_path, baseline):
    config = ("tanh", "[32, 32]")
    run = write_results(tmp_path / "run",
                        statuses={(config, 0): "diverged", (config, 1): "diverged"})
    code, output = run_check(run, baseline)
    assert code == 1
    assert "failed: model.activation=tanh, model.hidden=[32, 32]: no trial finished" in output


def test_a_repeat_that_newly_diverges_is_a_regression(tmp_path, baseline):
    # Repeat 1 is 0.91 / 0.29: alone it is within the tolerance of the means 0.90 / 0.30, but a
    # model that diverges where it did not before has become unstable.
    run = write_results(tmp_path / "run", statuses={(("relu", "[32, 32]"), 0): "diverged"})
    code, output = run_check(run, baseline)
    assert code == 1, output
    line = row_of(output, "relu", "[32, 32]")
    assert "1/2" in line and "regressed" in line
    assert "1 of 2 trials diverged; 2 finished in the baseline" in line


def test_a_repeat_that_diverged_in_the_baseline_too_is_left_out_of_the_mean(tmp_path):
    statuses = {(("relu", "[32, 32]"), 0): "diverged"}
    path = tmp_path / "baseline.yaml"
    run_check(write_results(tmp_path / "reference", statuses=statuses), path, update=True)
    code, output = run_check(write_results(tmp_path / "run", statuses=statuses), path)
    assert code == 0, output
    line = row_of(output, "relu", "[32, 32]")
    assert "1/2" in line and "1 of 2 trials diverged; mean of the rest" in line


def test_a_configuration_that_diverged_in_the_baseline_too_is_ok(tmp_path):
    config = ("tanh", "[8]")
    statuses = {(config, 0): "diverged", (config, 1): "diverged"}
    path = tmp_path / "baseline.yaml"
    run_check(write_results(tmp_path / "reference", statuses=statuses), path, update=True)
    entry = [c for c in yaml.safe_load(path.read_text())["configurations"]
             if c["params"] == {"model.activation": "tanh", "model.hidden": [8]}][0]
    assert entry["trials"] == 0
    assert entry["metrics"] == {"val_accuracy": None, "val_loss": None}
    code, output = run_check(write_results(tmp_path / "run", statuses=statuses), path)
    assert code == 0, output
    assert "no trial finished, as in the baseline" in output
    code, output = run_check(write_results(tmp_path / "fixed"), path)
    assert code == 0
    assert "improved" in row_of(output, "tanh", "[8]")


def test_stopped_trials_count_like_finished_ones(tmp_path, baseline):
    config = ("relu", "[8]")
    run = write_results(tmp_path / "run", statuses={(config, 0): "stopped", (config, 1): "stopped"})
    code, output = run_check(run, baseline)
    assert code == 0, output
    assert "2/2" in row_of(output, "relu", "[8]")


def test_repeats_are_averaged_and_seeds_do_not_matter(tmp_path, baseline):
    # Three repeats with other seeds, same means: still the same configurations.
    code, output = run_check(write_results(tmp_path / "run", repeats=3), baseline)
    assert code == 0, output
    assert "3/3" in row_of(output, "tanh", "[8]")


# ---------------------------------------------------------------------------------------------
# Tolerances from the baseline and from the command line


def set_tolerances(path: Path, tolerances: dict) -> None:
    document = yaml.safe_load(path.read_text())
    document["tolerances"] = tolerances
    path.write_text(yaml.safe_dump(document, sort_keys=False))


def test_the_baselines_tolerances_are_used_and_the_command_line_wins(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_32=(0.87, 0.33)))  # -0.03 / +10 %
    assert run_check(run, baseline)[0] == 1
    set_tolerances(baseline, {"default": 0.05, "val_loss": "12%"})
    code, output = run_check(run, baseline)
    assert code == 0, output
    assert "tolerances: val_accuracy 0.05, val_loss 12%" in output
    # The command line beats the file, metric by metric and for the default.
    code, output = run_check(run, baseline, tolerances=["val_loss=5%"])
    assert code == 1
    assert "val_loss 0.3 -> 0.33 (tolerance 5%)" in output
    code, output = run_check(run, baseline, tolerances=["0.02"])
    assert code == 1
    assert "val_accuracy 0.9 -> 0.87 (tolerance 0.02)" in output
    # A command-line default applies to every metric, those the file names included.
    assert "val_loss 0.3 -> 0.33 (tolerance 0.02)" in output


def test_a_command_line_default_beats_the_files_tolerance_of_a_metric(tmp_path, baseline):
    """`--tolerance 50%` applies to every metric, as --help says: the baseline file's
    `val_loss: 1%` no longer holds val_loss to 1 % (issue 12, point 8)."""
    run = write_results(tmp_path / "run", changed(relu_32=(0.87, 0.33)))  # -3 % / +10 %
    set_tolerances(baseline, {"default": 0.01, "val_loss": "1%"})
    result = run_nnrun("check", run, "--baseline", baseline, "--tolerance", "50%")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tolerances: val_accuracy 50%, val_loss 50%" in result.stdout
    result = run_nnrun("check", run, "--baseline", baseline, "--tolerance", "50%",
                       "--tolerance", "val_loss=1%")
    assert result.returncode == 1 and "(tolerance 1%)" in result.stdout
    help_text = " ".join(run_nnrun("check", "--help").stdout.split())
    assert "every metric, those the baseline file gives a tolerance included" in help_text
    # --update with a default writes it for every metric
    code, _ = run_check(run, baseline, update=True, tolerances=["50%"])
    assert code == 0
    assert yaml.safe_load(baseline.read_text())["tolerances"] == {"default": "50%"}


def test_a_metrics_own_tolerance_beats_a_default(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_32=(0.87, 0.30)))
    code, output = run_check(run, baseline, tolerances=["0.001", "val_accuracy=0.05"])
    assert code == 0, output
    assert "tolerances: val_accuracy 0.05, val_loss 0.001" in output


def test_exactly_at_the_tolerance_passes(tmp_path, baseline):
    run = write_results(tmp_path / "run", changed(relu_32=(0.89, 0.31)))
    assert run_check(run, baseline)[0] == 0


def test_metrics_are_configurable(tmp_path, baseline):
    # test_accuracy was not recorded: a clear error, not a silent pass.
    run = write_results(tmp_path / "run", changed(relu_32=(0.80, 0.30)))
    with pytest.raises(NnrunError, match="the baseline has no values for 'test_accuracy'"):
        run_check(run, baseline, metrics=["test_accuracy"])
    # Checking only the loss ignores the accuracy drop.
    code, output = run_check(run, baseline, metrics=["val_loss"])
    assert code == 0, output
    assert "val_accuracy" not in output
    # A baseline recorded with other metrics checks those by default.
    path = tmp_path / "test.yaml"
    run_check(write_results(tmp_path / "reference"), path, update=True,
              metrics=["test_accuracy,train_loss"])
    assert yaml.safe_load(path.read_text())["metrics"] == ["test_accuracy", "train_loss"]
    code, output = run_check(run, path)
    assert code == 1
    assert "test_accuracy 0.89 -> 0.79" in output


# ---------------------------------------------------------------------------------------------
# --update


def test_update_writes_a_small_readable_baseline(tmp_path, baseline):
    text = baseline.read_text()
    assert text.startswith("# nnrun baseline of the sweep 'demo'")
    document = yaml.safe_load(text)
    assert list(document) == ["nnrun_version", "sweep", "metrics", "tolerances",
                              "configurations"]
    assert document["sweep"] == {"name": "demo", "parameters": PARAMETERS, "data": DATA}
    assert document["metrics"] == ["val_accuracy", "val_loss"]
    assert document["tolerances"] == {"default": 0.01}
    assert document["configurations"][0] == {
        "params": {"model.activation": "relu", "model.hidden": [8]}, "trials": 2,
        "metrics": {"val_accuracy": 0.85, "val_loss": 0.4}}
    # Sorted by parameter values; one line a configuration's parameters.
    assert [c["params"]["model.hidden"] for c in document["configurations"]] == \
        [[8], [32, 32], [8], [32, 32]]
    assert "- params: {model.activation: relu, model.hidden: [8]}\n" in text
    assert "    val_accuracy: 0.85\n" in text


def test_update_rounds_to_six_significant_digits(tmp_path):
    path = tmp_path / "b.yaml"
    run = write_results(tmp_path / "run", {("relu", "[8]"): (0.123456789, 1.23456789)})
    run_check(run, path, update=True)
    metrics = yaml.safe_load(path.read_text())["configurations"][0]["metrics"]
    assert metrics == {"val_accuracy": 0.123457, "val_loss": 1.23457}
    # Unrounded run means compare equal to their rounded baseline at tolerance 0.
    assert run_check(run, path, tolerances=["0"])[0] == 0


def test_update_refresh_keeps_tolerances_and_is_stable(tmp_path, baseline, capsys):
    set_tolerances(baseline, {"default": 0.02, "val_loss": "5%"})
    better = write_results(tmp_path / "better", changed(relu_8=(0.95, 0.20)))
    out = io.StringIO()
    assert check(better, baseline, update=True, out=out) == 0
    assert f"wrote {baseline}: 4 configurations" in out.getvalue()
    document = yaml.safe_load(baseline.read_text())
    assert document["tolerances"] == {"default": 0.02, "val_loss": "5%"}
    assert document["configurations"][0]["metrics"] == {"val_accuracy": 0.95, "val_loss": 0.2}
    first = baseline.read_bytes()
    run_check(better, baseline, update=True)
    assert baseline.read_bytes() == first
    assert run_check(better, baseline)[0] == 0
    # Tolerances given with --update are written into the file.
    run_check(better, baseline, update=True, tolerances=["val_accuracy=0.03"])
    assert yaml.safe_load(baseline.read_text())["tolerances"] == {
        "default": 0.02, "val_loss": "5%", "val_accuracy": 0.03}
    assert capsys.readouterr().out == ""  # everything went to `out`


def test_update_round_trip_in_json(tmp_path):
    path = tmp_path / "baseline.json"
    reference = write_results(tmp_path / "reference")
    assert run_check(reference, path, update=True)[0] == 0
    document = json.loads(path.read_text())
    assert document["sweep"]["name"] == "demo"
    assert len(document["configurations"]) == 4
    assert run_check(write_results(tmp_path / "run"), path)[0] == 0
    assert run_check(write_results(tmp_path / "worse", changed(tanh_8=(0.7, 0.5))), path)[0] == 1


def test_parameter_values_match_whatever_their_spelling(tmp_path):
    # summary.csv writes floats with repr (1e-05); a hand-written baseline may say 1.0e-5.
    configs = {("1e-05",): (0.9, 0.3), ("0.1",): (0.8, 0.4)}
    run = write_results(tmp_path / "run", configs, parameters=["optimizer.lr"])
    path = tmp_path / "b.yaml"
    run_check(run, path, update=True)
    text = path.read_text().replace("optimizer.lr: 1.0e-05", "optimizer.lr: 1.0e-5")
    assert "1.0e-5}" in text
    path.write_text(text)
    code, output = run_check(run, path)
    assert code == 0, output
    assert "PASSED: 2 ok" in output


# ---------------------------------------------------------------------------------------------
# Output


def test_markdown_summary_for_the_job_page(tmp_path, baseline):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n")
    run = write_results(tmp_path / "run", changed(relu_8=(0.80, 0.40)))
    assert check(run, baseline, summary=summary, out=io.StringIO()) == 1
    text = summary.read_text()
    assert text.startswith("earlier step output\n## ❌ nnrun check failed: 1 of 4 configurations")
    assert "3 ok, 1 regressed." in text
    header = ("| model.activation | model.hidden | status | trials | val_accuracy | val_loss "
              "| note |")
    assert header in text
    assert "| relu | [8] | **regressed** | 2/2 | **0.85 → 0.8 (-0.05)** | 0.4 (=) |  |" \
        in text
    assert "- regressed: model.activation=relu, model.hidden=[8]: val_accuracy" in text
    passing = tmp_path / "passing.md"
    check(write_results(tmp_path / "same"), baseline, summary=passing, out=io.StringIO())
    assert passing.read_text().startswith("## ✅ nnrun check passed: 4 configurations")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_rich_table(tmp_path, baseline):
    out = Terminal()
    run = write_results(tmp_path / "run", changed(relu_8=(0.80, 0.40)))
    assert check(run, baseline, out=out) == 1
    text = out.getvalue()
    assert "┃" in text or "│" in text  # rich's box drawing
    assert "0.85 → 0.8" in text
    assert "FAILED: 3 ok, 1 regressed" in text


def test_plain_output_is_aligned(tmp_path, baseline):
    _, output = run_check(write_results(tmp_path / "run"), baseline)
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model.activation"))
    status_column = lines[header].index("status")
    for line in lines[header + 2: header + 6]:
        assert line[status_column:].startswith("ok "), output


# ---------------------------------------------------------------------------------------------
# Unusable input: NnrunError with a message that says what is wrong


def test_no_such_results_folder(tmp_path, baseline):
    with pytest.raises(NnrunError, match="nowhere: no such folder"):
        check(tmp_path / "nowhere", baseline, out=io.StringIO())


def test_not_a_results_folder(tmp_path, baseline):
    (tmp_path / "empty").mkdir()
    with pytest.raises(NnrunError, match="not a results folder: sweep.json is missing"):
        check(tmp_path / "empty", baseline, out=io.StringIO())
    run = write_results(tmp_path / "run")
    (run / "summary.csv").unlink()
    with pytest.raises(NnrunError, match="summary.csv is missing"):
        check(run, baseline, out=io.StringIO())


def test_the_parent_of_a_results_folder_gets_a_hint(tmp_path, baseline):
    write_results(tmp_path / "results" / "demo")
    with pytest.raises(NnrunError, match=r"sweep.json is missing; did you mean .*results/demo\?"):
        check(tmp_path / "results", baseline, out=io.StringIO())


def test_an_unfinished_sweep_is_noted(tmp_path, baseline):
    run = write_results(tmp_path / "run")
    sweep = json.loads((run / "sweep.json").read_text())
    (run / "sweep.json").write_text(json.dumps({**sweep, "finished_at": None}))
    code, output = run_check(run, baseline)
    assert code == 0
    assert "note: the sweep has not finished" in output


def test_a_broken_sweep_json(tmp_path, baseline):
    run = write_results(tmp_path / "run")
    (run / "sweep.json").write_text("{")
    with pytest.raises(NnrunError, match="sweep.json: not valid JSON"):
        check(run, baseline, out=io.StringIO())


def test_a_baseline_that_does_not_exist(tmp_path):
    with pytest.raises(NnrunError, match="no such baseline file .*--update"):
        check(write_results(tmp_path / "run"), tmp_path / "none.yaml", out=io.StringIO())


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "other"}, "different sweep: its name is 'demo', the run's is 'other'"),
    ({"parameters": ["model.activation", "optimizer.lr"]},
     "different sweep: it sweeps model.activation, model.hidden, the run sweeps "
     "model.activation, optimizer.lr"),
    ({"data": {**DATA, "n_samples": 1000}},
     r"different sweep: its data block differs \(data.n_samples: baseline 400, run 1000\)"),
])
def test_a_baseline_of_a_different_sweep(tmp_path, baseline, kwargs, message):
    run = write_results(tmp_path / "run", **kwargs)
    with pytest.raises(NnrunError, match=message):
        check(run, baseline, out=io.StringIO())


@pytest.mark.parametrize(("edit", "message"), [
    (lambda text: text + "\n  - [unbalanced", "not valid YAML"),
    (lambda text: "sweep: {}\nsweep: {}\n", "not valid YAML.*duplicate key 'sweep'"),
    (lambda text: "- a list\n", "expected a mapping with keys"),
    (lambda text: text.replace("configurations:", "configs:"), "unknown key 'configs'"),
    (lambda text: text.replace("  name: demo\n", ""), "missing key 'sweep.name'"),
    (lambda text: text.replace("trials: 2", "trials: two", 1),
     r"configurations\[0\].trials: expected a whole number >= 0, got 'two'"),
    (lambda text: text.replace("val_accuracy: 0.85", "val_accuracy: high", 1),
     r"configurations\[0\].metrics.val_accuracy: expected a number or null, got 'high'"),
    (lambda text: text.replace("{model.activation: relu, model.hidden: [8]}",
                               "{model.activation: relu}", 1),
     r"configurations\[0\].params: missing 'model.hidden'"),
    (lambda text: text.replace("default: 0.01", "default: lots"),
     "tolerances.default: expected a number or a percentage"),
])
def test_a_malformed_yaml_baseline(tmp_path, baseline, edit, message):
    baseline.write_text(edit(baseline.read_text()))
    with pytest.raises(NnrunError, match=f"{baseline.name}: .*{message}"):
        check(write_results(tmp_path / "run"), baseline, out=io.StringIO())


def test_a_duplicated_configuration_in_the_baseline(tmp_path, baseline):
    document = yaml.safe_load(baseline.read_text())
    document["configurations"].append(document["configurations"][0])
    baseline.write_text(yaml.safe_dump(document))
    message = (r"configurations\[4\]: the configuration "
               r"model.activation=relu, model.hidden=\[8\] appears twice")
    with pytest.raises(NnrunError, match=message):
        check(write_results(tmp_path / "run"), baseline, out=io.StringIO())


def test_a_malformed_json_baseline(tmp_path):
    path = tmp_path / "baseline.json"
    path.write_text('{"sweep": ')
    with pytest.raises(NnrunError, match="baseline.json: not valid JSON"):
        check(write_results(tmp_path / "run"), path, out=io.StringIO())
    path.write_text(json.dumps({"sweep": {"name": "demo", "parameters": "x", "data": {}},
                                "configurations": []}))
    with pytest.raises(NnrunError, match="'sweep.parameters' must be a list of dotted keys"):
        check(write_results(tmp_path / "run"), path, out=io.StringIO())


@pytest.mark.parametrize("metric", ["val_accuracy_typo", "wall_s", "model.activation"])
def test_an_unknown_metric(tmp_path, baseline, metric):
    with pytest.raises(NnrunError, match=f"unknown metric '{metric}': .*summary.csv has "
                                         "train_loss, val_loss"):
        check(write_results(tmp_path / "run"), baseline, metrics=[metric], out=io.StringIO())


def test_an_unknown_metric_in_a_tolerance(tmp_path, baseline):
    with pytest.raises(NnrunError, match="unknown metric 'val_acc'"):
        check(write_results(tmp_path / "run"), baseline, tolerances=["val_acc=0.1"],
              out=io.StringIO())


@pytest.mark.parametrize("spec", ["abc", "val_loss=", "=0.1", "val_loss=five%", "-0.1",
                                  "0.1%%", "val_loss=0.1=2"])
def test_bad_tolerance_syntax(tmp_path, baseline, spec):
    with pytest.raises(NnrunError, match=r"--tolerance .*(expected|cannot be negative)"):
        check(write_results(tmp_path / "run"), baseline, tolerances=[spec], out=io.StringIO())


def test_update_over_a_malformed_baseline_stops(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("sweep: [\n")
    with pytest.raises(NnrunError, match="b.yaml: not valid YAML"):
        check(write_results(tmp_path / "run"), path, update=True, out=io.StringIO())


# ---------------------------------------------------------------------------------------------
# End to end: a real sweep through the command line, twice


TINY_SWEEP = """\
name: tiny
seed: 0
repeats: 1
data: {dataset: moons, n_samples: 200, noise: 0.2}
model: {hidden: [8], activation: tanh}
loss: cross_entropy
optimizer: {name: adam, lr: 0.02}
train: {batch_size: 32, epochs: 20, dtype: float64}
sweep:
  method: grid
  parameters:
    model.activation: [tanh, relu]
metric: val_accuracy
"""


def nnrun(*args: str) -> subprocess.CompletedProcess:
    return run_nnrun(*args, timeout=120, env={"NO_COLOR": "1"})


@pytest.mark.slow
def test_a_real_sweep_made_worse_fails_the_check(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(TINY_SWEEP)
    baseline = tmp_path / "baselines" / "tiny.yaml"

    sweep = nnrun("sweep", str(config), "--out", str(tmp_path / "good"), "--jobs", "1")
    assert sweep.returncode == 0, sweep.stderr
    good = tmp_path / "good" / "tiny"
    update = nnrun("check", str(good), "--baseline", str(baseline), "--update")
    assert update.returncode == 0, update.stderr
    assert f"wrote {baseline}: 2 configurations" in update.stdout
    same = nnrun("check", str(good), "--baseline", str(baseline))
    assert same.returncode == 0, same.stdout + same.stderr
    assert "PASSED: 2 ok" in same.stdout

    # The same sweep with a learning rate too small to learn anything in 20 epochs.
    sweep = nnrun("sweep", str(config), "--out", str(tmp_path / "bad"), "--jobs", "1",
                  "--set", "optimizer.lr=0.00001")
    assert sweep.returncode == 0, sweep.stderr
    summary = tmp_path / "summary.md"
    worse = nnrun("check", str(tmp_path / "bad" / "tiny"), "--baseline", str(baseline),
                  "--summary", str(summary))
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "regressed: model.activation=tanh: val_loss" in worse.stdout
    assert "regressed: model.activation=relu: val_loss" in worse.stdout
    assert "nnrun check failed: 2 of 2 configurations" in summary.read_text()

    # Unusable input exits 2 with the message and no traceback.
    other = nnrun("check", str(tmp_path / "bad"), "--baseline", str(baseline))
    assert other.returncode == 2
    assert "not a results folder: sweep.json is missing" in other.stderr
    assert "Traceback" not in other.stderr


@pytest.mark.slow
def test_the_committed_ci_baseline_holds(tmp_path):
    """The project's own gate (experiments/ci.yaml): a change to the core that makes these
    models worse fails here unless experiments/baselines/ci.yaml is refreshed on purpose."""
    root = ROOT
    sweep = nnrun("sweep", str(root / "experiments" / "ci.yaml"), "--out", str(tmp_path))
    assert sweep.returncode == 0, sweep.stderr
    checked = nnrun("check", str(tmp_path / "ci"), "--baseline",
                    str(root / "experiments" / "baselines" / "ci.yaml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "PASSED: 4 ok" in checked.stdout

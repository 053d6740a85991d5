"""`nnrun check` with several objectives: each metric is checked (a measured time only when
asked for) and the report names the configurations that left or joined the Pareto front."""

from __future__ import annotations

from pathlib import Path

import helpers.results as fx
import pytest
import yaml
from helpers.cli import invoke
from typer.testing import CliRunner


def test_check_records_and_checks_each_objective(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    before = fx.pareto_grid(tmp_path / "before" / "pareto")
    baseline = tmp_path / "baseline.yaml"
    result = invoke(runner, "check", before, "--baseline", baseline, "--update")
    assert result.exit_code == 0, result.output
    document = yaml.safe_load(baseline.read_text())
    # every objective but a measured time, and val_loss
    assert document["metrics"] == ["val_accuracy", "n_parameters", "val_loss"]
    same = invoke(runner, "check", before, "--baseline", baseline)
    assert same.exit_code == 0, same.output
    assert "pareto front of val_accuracy, n_parameters: 3 configurations in the run, 3 in " \
        "the baseline" in same.stdout
    assert "left the front" not in same.stdout

    # width 2 falls to 0.75: below width 4's 0.80 with fewer parameters, so 4 joins the front
    monkeypatch.setitem(fx.PARETO_ACCURACY, 2, 0.75)
    after = fx.pareto_grid(tmp_path / "after" / "pareto")
    worse = invoke(runner, "check", after, "--baseline", baseline)
    assert worse.exit_code == 1
    assert "regressed: model.hidden=[2]: val_accuracy 0.8 -> 0.75" in worse.stdout
    assert "joined the front: model.hidden=[4]" in worse.stdout
    assert "left the front" not in worse.stdout


def test_n_parameters_is_minimized_and_train_seconds_checked_on_request(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = fx.pareto_grid(tmp_path / "pareto", metric=["val_accuracy", "train_seconds"],
                            goal=["maximize", "minimize"])
    baseline = tmp_path / "b.yaml"
    assert invoke(runner, "check", folder, "--baseline", baseline, "--update").exit_code == 0
    assert yaml.safe_load(baseline.read_text())["metrics"] == ["val_accuracy", "val_loss"]
    asked = invoke(runner, "check", folder, "--baseline", baseline, "--update", "--metric",
                   "train_seconds,n_parameters", "--tolerance", "train_seconds=50%")
    assert asked.exit_code == 0, asked.output
    assert yaml.safe_load(baseline.read_text())["metrics"] == ["train_seconds", "n_parameters"]
    assert invoke(runner, "check", folder, "--baseline", baseline).exit_code == 0

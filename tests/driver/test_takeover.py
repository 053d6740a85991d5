"""A different config with the same name takes over a results folder (issue 12, point 5): the
sweep says so on stderr, and `show` and the report say which sweep they show."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import invoke
from helpers.configs import write_config


def test_a_takeover_is_said_and_the_views_say_which_sweep(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = write_config(tmp_path / "first.yaml")
    result = invoke(cli, "sweep", first, "--out", out, "--jobs", "1")
    assert result.exit_code == 0 and "note:" not in result.stderr
    again = invoke(cli, "sweep", first, "--out", out, "--jobs", "1")
    assert again.exit_code == 0 and "note:" not in again.stderr  # a resume says nothing
    started = json.loads((out / "small" / "sweep.json").read_text())["started_at"]
    second = write_config(tmp_path / "second.yaml",
                          changes={"sweep.parameters.optimizer.lr": [0.1, 0.2]})
    result = invoke(cli, "sweep", second, "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    note = " ".join(result.stderr.split())
    assert f"held the sweep of {first.resolve()}" in note
    assert "grid over model.activation, optimizer.lr, 4 trials" in note
    assert "replaces its summary.csv and sweep.json" in note
    assert "Its trial folders are kept, and reused where a configuration coincides: 2 of " \
           "this sweep's 4 trials" in note
    meta = json.loads((out / "small" / "sweep.json").read_text())
    assert meta["config_path"] == str(second.resolve()) and meta["started_at"] != started
    show = invoke(cli, "show", out / "small")
    assert show.exit_code == 0
    said = " ".join(show.stderr.split())
    assert f"showing the sweep of {second.resolve()}" in said
    assert "2 trial folders of other sweeps in this folder are not shown" in said
    assert invoke(cli, "plot", out / "small").exit_code == 0
    report = (out / "small" / "plots" / "report.md").read_text()
    # the config file by its name: a local path must not leak into CI artifacts
    assert f"`{second.name}`" in report and "2 trial folders of other sweeps" in report

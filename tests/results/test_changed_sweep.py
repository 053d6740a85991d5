"""A sweep whose swept keys change between runs (issue 12, point 1): trials reused from the
earlier run show the values of the current sweep's keys, read from their resolved config, in
every view (show, plot, check --update), and removing a key works too."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml
from helpers.cli import invoke
from helpers.configs import write_config

WITH_EPOCHS = {"sweep.parameters.train.epochs": [5, 6]}


def show_rows(cli, folder: Path) -> list[dict[str, str]]:
    result = invoke(cli, "show", folder, "--format", "csv")
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def sweep(cli, config: Path, out: Path) -> None:
    result = invoke(cli, "sweep", config, "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.output


def test_an_added_swept_key_reads_the_reused_trials_config(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sweep(cli, write_config(tmp_path / "small.yaml"), out)
    sweep(cli, write_config(tmp_path / "small.yaml", changes=WITH_EPOCHS), out)
    folder = out / "small"
    rows = show_rows(cli, folder)
    assert len(rows) == 8 and {row["n"] for row in rows} == {"1"}
    assert sorted(row["train.epochs"] for row in rows) == ["5"] * 4 + ["6"] * 4
    # summary.csv as the sweep wrote it, and as an older nnrun wrote it (no value for the key
    # in the reused trials' rows): the reader takes it from each trial's config.yaml
    with (folder / "summary.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert sorted(row["train.epochs"] for row in written) == ["5"] * 4 + ["6"] * 4
    for row in written:
        if row["train.epochs"] == "5":
            row["train.epochs"] = ""
    with (folder / "summary.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(written[0]))
        writer.writeheader()
        writer.writerows(written)
    rows = show_rows(cli, folder)
    assert sorted(row["train.epochs"] for row in rows) == ["5"] * 4 + ["6"] * 4
    baseline = tmp_path / "baseline.yaml"
    result = invoke(cli, "check", folder, "--baseline", baseline, "--update")
    assert result.exit_code == 0, result.output
    configurations = yaml.safe_load(baseline.read_text())["configurations"]
    assert sorted(c["params"]["train.epochs"] for c in configurations) == [5] * 4 + [6] * 4
    result = invoke(cli, "plot", folder)
    assert result.exit_code == 0, result.output
    report = (folder / "plots" / "report.md").read_text().splitlines()
    header = next(line for line in report if line.startswith("| rank"))
    column = [c.strip() for c in header.split("|")].index("`train.epochs`")
    cells = [[c.strip() for c in line.split("|")][column] for line in report
             if line.startswith("| ") and line.count("`") >= 2 and not line.startswith("| rank")
             and len(line.split("|")) == len(header.split("|"))]
    assert sorted(cells) == ["5"] * 4 + ["6"] * 4


def test_a_removed_swept_key_leaves_its_column(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    sweep(cli, write_config(tmp_path / "small.yaml", changes=WITH_EPOCHS), out)
    sweep(cli, write_config(tmp_path / "small.yaml"), out)
    rows = show_rows(cli, out / "small")
    assert len(rows) == 4 and "train.epochs" not in rows[0]
    assert {(row["model.activation"], row["optimizer.lr"]) for row in rows} == {
        ("tanh", "0.05"), ("tanh", "0.1"), ("relu", "0.05"), ("relu", "0.1")}

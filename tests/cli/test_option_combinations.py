"""Options that contradict one another, or that a mode of a command does not take, are a
message naming them and exit 2, never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import invoke


@pytest.mark.parametrize(("options", "message"), [
    (["--to", "mlflow", "--trial", "best"],
     "--trial is for --format onnx (one trial's model file; --to exports every trial), not "
     "--to mlflow"),
    (["--to", "tensorboard", "--logdir", "tb", "--out", "m.onnx", "--trial", "abc"],
     "--trial and --out are for --format onnx"),
    (["--format", "onnx", "--uri", "sqlite:///x.db", "--logdir", "tb"],
     "--uri and --logdir are for --to mlflow|tensorboard (a tracker), not --format onnx"),
    (["--format", "onnx", "--experiment", "e"], "--experiment is for --to mlflow|tensorboard"),
], ids=["to-trial", "to-out-trial", "format-uri-logdir", "format-experiment"])
def test_export_refuses_the_options_of_its_other_mode(cli, tmp_path: Path, options: list[str],
                                                     message: str) -> None:
    result = invoke(cli, "export", tmp_path, *options)
    assert result.exit_code == 2, result.output
    assert f"error: {message}" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing exported


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import helpers.results as fx

    return fx.grid_classification(tmp_path_factory.mktemp("grid") / "grid")


@pytest.mark.parametrize(("options", "named"), [
    (["--top", "3"], "--top chooses"), (["--pareto"], "--pareto chooses"),
    (["--top", "1", "--pareto"], "--top and --pareto choose")], ids=["top", "pareto", "both"])
def test_show_trial_refuses_the_options_that_choose_configurations(cli, grid: Path,
                                                                   options: list[str],
                                                                   named: str) -> None:
    result = invoke(cli, "show", grid, "--trial", "best", *options)
    assert result.exit_code == 2, result.output
    assert result.stderr == (f"error: {named} rows of the leaderboard; --trial shows one "
                             f"trial: give one or the other\n")
    assert result.stdout == ""


def test_show_trial_honours_format(cli, grid: Path) -> None:
    import csv
    import io

    import nnrun
    from nnrun.results.reader import ResultsReader

    best = nnrun.open_results(grid).best_trial
    record = ResultsReader(grid).record(best)
    table = invoke(cli, "show", grid, "--trial", "best", "--format", "csv")
    assert table.exit_code == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    values = {(row["section"], row["key"]): row["value"] for row in rows}
    assert values[("trial", "trial")] == best and values[("trial", "best")] == "yes"
    assert values[("trial", "status")] == record.status
    assert float(values[("final metrics", "val_accuracy")]) == pytest.approx(
        record.final["val_accuracy"], rel=1e-5)
    assert values[("configuration", "model.activation")] == record.params["model.activation"]
    assert ("files", "result.json") in values
    markdown = invoke(cli, "show", grid, "--trial", best, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.stderr
    lines = markdown.stdout.splitlines()
    assert lines[0] == f"### Trial `{best}`"
    assert "**final metrics**" in lines and "| key | value |" in lines
    assert f"| model.activation | {record.params['model.activation']} |" in lines
    text = invoke(cli, "show", grid, "--trial", best)
    assert text.stdout.startswith(f"trial {best}: ")

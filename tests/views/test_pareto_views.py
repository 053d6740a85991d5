"""Several objectives in the views: `nnrun show` marks the Pareto front and `--pareto` lists
only it; report.md has the front's table and pareto_front.png."""

from __future__ import annotations

from pathlib import Path

import helpers.results as fx
import pytest
from helpers.cli import invoke
from typer.testing import CliRunner

from nnrun.views.leaderboard import leaderboard
from nnrun.views.plots import plot_results

FRONT = ["[8]", "[2]", "[1]"]  # by val_accuracy, best first


def test_show_puts_the_front_first_and_marks_it(tmp_path: Path) -> None:
    board = leaderboard(fx.pareto_grid(tmp_path / "pareto"))
    assert list(board.table["model.hidden"]) == [*FRONT, "[16]", "[4]"]
    assert list(board.table["pareto"]) == [True, True, True, False, False]
    assert board.columns()[:4] == ["pareto", "model.hidden", "val_accuracy", "n_parameters"]
    assert board.title == ("pareto: val_accuracy (maximize), n_parameters (minimize), "
                           "5 configurations, 3 on the Pareto front")
    cells = board.cells()
    assert cells[0][:4] == ["*", "[8]", "0.9000 ± 0.0141", "51"]  # 8 (2 + 1) + 3 (8 + 1)
    assert cells[3][0] == ""


def test_show_pareto_lists_only_the_front(tmp_path: Path) -> None:
    folder = fx.pareto_grid(tmp_path / "pareto")
    result = invoke(CliRunner(), "show", folder, "--pareto", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split(",")[:2] == ["model.hidden", "n"]
    assert [line.split(",")[0].strip('"') for line in lines[1:]] == FRONT
    markdown = invoke(CliRunner(), "show", folder, "--pareto", "--format", "markdown").stdout
    assert "| 1 | * | [8] | 0.9000" in markdown


def test_a_single_objective_has_no_pareto_column(tmp_path: Path) -> None:
    board = leaderboard(fx.grid_classification(tmp_path / "grid"))
    assert "pareto" not in board.columns()
    assert "pareto" not in board.to_csv().splitlines()[0]


def test_the_front_counts_three_objectives_together(tmp_path: Path) -> None:
    # train_seconds grows with the width too: nothing new is dominated; minimizing
    # accuracy instead turns the front around
    folder = fx.pareto_grid(tmp_path / "p3", metric=["val_accuracy", "n_parameters",
                                                       "train_seconds"],
                            goal=["maximize", "minimize", "minimize"])
    assert list(leaderboard(folder, pareto_only=True).table["model.hidden"]) == FRONT
    flipped = fx.pareto_grid(tmp_path / "flip", goal=["minimize", "minimize"])
    assert list(leaderboard(flipped, pareto_only=True).table["model.hidden"]) == ["[1]"]


@pytest.mark.parametrize("objectives", [2, 3])
def test_report_has_the_front_and_its_picture(tmp_path: Path, objectives: int) -> None:
    metric = ["val_accuracy", "n_parameters", "train_seconds"][:objectives]
    goal = ["maximize", "minimize", "minimize"][:objectives]
    folder = fx.pareto_grid(tmp_path / "pareto", metric=metric, goal=goal)
    written = plot_results(folder)
    names = [path.name for path in written]
    assert names[0] == "pareto_front.png" and (folder / "plots" / "pareto_front.png").stat(
        ).st_size > 10_000
    report = (folder / "plots" / "report.md").read_text()
    assert "| **Objectives** | `val_accuracy` (maximize), `n_parameters` (minimize)" in report
    section = report.split("## Pareto front", 1)[1].split("##", 1)[0]
    assert "3 of 5 configurations are non-dominated" in section
    rows = [line for line in section.splitlines() if line.startswith("| hidden=")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| hidden=[8]", "| hidden=[2]", "| hidden=[1]"]
    assert "| hidden=[8] | 0.9000 | 51 |" in section
    assert "![Pareto front](pareto_front.png)" in report
    assert ("One panel per pair of metrics" in report) == (objectives == 3)


def test_a_single_objective_draws_no_front(tmp_path: Path) -> None:
    folder = fx.grid_classification(tmp_path / "grid")
    assert "pareto_front.png" not in [p.name for p in plot_results(folder)]
    assert "## Pareto front" not in (folder / "plots" / "report.md").read_text()

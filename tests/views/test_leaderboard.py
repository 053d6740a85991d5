"""The leaderboard (`nnrun show`): configurations ranked by the sweep's metric."""

from __future__ import annotations

import io
import math
from pathlib import Path

import helpers.results as fx
import numpy as np
import pandas as pd

from nnrun.views.leaderboard import leaderboard


def test_configurations_ranked_with_mean_and_spread(tmp_path: Path) -> None:
    folder = fx.grid_classification(tmp_path / "grid")
    board = leaderboard(folder)
    summary = pd.read_csv(folder / "summary.csv")
    means = summary.groupby(["model.activation", "loss"])["val_accuracy"].mean()
    assert len(board.table) == 6 and list(board.table["n"]) == [2] * 6
    assert list(board.table["val_accuracy"]) == sorted(means, reverse=True)
    assert board.columns()[:3] == ["model.activation", "loss", "val_accuracy"]
    assert board.columns()[-2:] == ["n", "trials"]
    best = board.cells()[0]
    mean, std = board.table["val_accuracy"][0], board.table["val_accuracy_std"][0]
    assert best[:3] == ["relu", "cross_entropy", f"{mean:.4f} ± {std:.4f}"]
    assert board.title == "grid: val_accuracy (maximize), 6 configurations"
    assert len(leaderboard(folder, top=2).table) == 2


def test_markdown_right_aligns_numbers(tmp_path: Path) -> None:
    board = leaderboard(fx.grid_classification(tmp_path / "grid"), top=1)
    lines = board.to_markdown().splitlines()
    assert lines[0].startswith("| rank | model.activation | loss | val_accuracy |")
    assert lines[1].startswith("|---:|---|---|---:|")
    assert lines[2].startswith("| 1 | relu | cross_entropy | ")


def test_counts_by_status_and_epochs_of_stopped_trials(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    trials = []
    for i, status in enumerate(["ok", "stopped", "diverged", "failed"]):
        rows = fx.history(0.8, 4 + i, 2, task="classification", rng=rng)
        trials.append({"id": f"t{i}{'x' * 10}", "params": {"optimizer.lr": 0.1},
                       "status": status, "seed": i, "history": rows,
                       "final": fx.finals(rows, "classification")
                       if status in ("ok", "stopped") else {}})
    folder = fx.write_sweep(tmp_path / "mixed", parameters={"optimizer.lr": [0.1]},
                            trials=trials)
    board = leaderboard(folder)
    [row] = board.table.to_dict("records")
    assert (row["n"], row["failed"], row["diverged"], row["stopped"]) == (4, 1, 1, 1)
    assert row["epochs_run"] == 7
    assert "epochs_run" in board.columns()
    assert board.cells()[0][-2] == "4 (1 failed, 1 diverged, 1 stopped)"
    assert board.cells()[0][-1] == " ".join(t["id"] for t in trials)
    scored = [fx.finals(t["history"], "classification")["val_accuracy"] for t in trials[:2]]
    assert math.isclose(row["val_accuracy"], sum(scored) / 2)


def test_a_pipe_gets_a_table_wide_enough_not_to_wrap(tmp_path: Path) -> None:
    out = io.StringIO()
    leaderboard(fx.grid_classification(tmp_path / "grid")).print_table(out)
    lines = out.getvalue().splitlines()
    assert "grid: val_accuracy (maximize), 6 configurations" in lines[0]
    assert sum("relu" in line for line in lines) == 2  # one line a configuration

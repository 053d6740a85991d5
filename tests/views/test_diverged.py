"""One rule for a diverged trial's metrics (issue 12, point 12): a network whose loss became
infinite has no score, whatever numbers its files hold: `-` in `nnrun show` and in report.md,
left out of the means, as `nnrun check` leaves it out."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import run_nnrun
from helpers.results import write_sweep

FINAL = {"train_loss": 0.2, "val_loss": 0.3, "test_loss": 0.31, "train_accuracy": 0.9,
         "val_accuracy": 0.9, "test_accuracy": 0.89}
DIVERGED = {**FINAL, "train_loss": None, "val_loss": None, "test_loss": None,
            "val_accuracy": 0.951, "test_accuracy": 0.952}


def folder_with_a_diverged_trial(tmp_path: Path) -> Path:
    return write_sweep(tmp_path / "div", parameters={"optimizer.lr": [0.1, 10.0]}, trials=[
        {"id": "aaaaaaaaaa", "params": {"optimizer.lr": 0.1}, "status": "ok", "seed": 1,
         "final": FINAL},
        {"id": "bbbbbbbbbb", "params": {"optimizer.lr": 10.0}, "status": "diverged", "seed": 2,
         "final": DIVERGED, "error": "diverged in epoch 3"},
    ])


def test_show_and_the_report_agree_on_a_diverged_trial(tmp_path: Path) -> None:
    folder = folder_with_a_diverged_trial(tmp_path)
    show = run_nnrun("show", folder, "--format", "markdown")
    assert show.returncode == 0, show.stderr
    row = next(line for line in show.stdout.splitlines() if "| 10.0 " in line)
    assert "0.951" not in row and "-" in row and "1 diverged" in row
    plot = run_nnrun("plot", folder)
    assert plot.returncode == 0, plot.stderr
    report = (folder / "plots" / "report.md").read_text()
    assert "0.951" not in report and "0.952" not in report
    assert "diverged" in report

"""report.md, rendered from a SweepResults (no pictures drawn)."""

from __future__ import annotations

import shutil
from pathlib import Path

import helpers.results as fx

from nnrun.views.report import Picture, render_report
from nnrun.views.sweep import load_sweep


def test_overview_and_a_picture_linked_relative_to_the_report(tmp_path: Path) -> None:
    folder = fx.grid_classification(tmp_path / "grid")
    out = tmp_path / "pages"
    picture = Picture(out / "a b (1).png", "Curves", "What the curves say.")
    report = render_report(load_sweep(folder), [picture], out)
    assert "|  |  |\n|---|---|\n" in report
    assert "| **Search** | grid over `model.activation`, `loss` |" in report
    assert "| **Metric** | `val_accuracy`, maximize (higher is better) |" in report
    assert "| **Compute** | 6.0 s summed over trials |" in report
    assert "![Curves](a%20b%20%281%29.png)\n\nWhat the curves say.\n" in report
    assert "|---:|---|---|---|---:|---:|" in report  # rank, trial, two parameters, seed, ...


def test_a_failed_trial_whose_result_went_missing(tmp_path: Path) -> None:
    folder = fx.partial(tmp_path / "running")
    sweep = load_sweep(folder)
    shutil.rmtree(folder / "trials" / "pfailedyyyyy")
    report = render_report(sweep, [], folder / "plots")
    assert "- `pfailedyyyyy`: `no result.json`" in report

"""Progress on stderr: one plain line a trial in logs, a live bar in a terminal."""

from __future__ import annotations

import io

from nnrun.driver.progress import SweepProgress
from nnrun.results.record import TrialRecord


def record(trial: str, status: str, value: float | None) -> TrialRecord:
    return TrialRecord(trial, status, final={"val_accuracy": value}, wall_s=0.5,
                       error="ValueError: boom\nmore" if status == "failed" else None)


def test_plain_lines_count_trials_failures_and_the_best_so_far() -> None:
    stream = io.StringIO()
    with SweepProgress(3, "val_accuracy", "maximize", stream=stream, live=False) as progress:
        progress.update(record("a", "ok", 0.8))
        progress.update(record("b", "failed", None))
        progress.update(record("c", "stopped", 0.9))
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("[1/3] a ok") and "best val_accuracy=0.8" in lines[0]
    assert lines[1].startswith("[2/3] b failed") and lines[2] == "    error: ValueError: boom"
    assert lines[3].startswith("[3/3] c stopped") and lines[3].endswith("best val_accuracy=0.9")
    assert progress.failed == 1


def test_a_minimising_metric_keeps_the_lowest() -> None:
    progress = SweepProgress(2, "val_loss", "minimize", stream=io.StringIO(), live=False)
    for value in (0.5, 0.7):
        progress.update(TrialRecord("t", "ok", final={"val_loss": value}))
    assert progress.best == 0.5


def test_the_live_bar_draws_a_bar_and_no_per_trial_lines() -> None:
    stream = io.StringIO()
    with SweepProgress(2, "val_accuracy", "maximize", stream=stream, live=True) as progress:
        progress.update(record("a", "ok", 0.8))
        progress.update(record("b", "ok", 0.6))
    text = stream.getvalue()
    assert "trials" in text and "2/2" in text and "best val_accuracy=0.8" in text
    assert "[1/2]" not in text

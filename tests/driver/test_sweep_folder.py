"""What `nnrun sweep` does to its results folder, seen from the command line: --no-resume
replaces only this sweep's trials, and a folder that cannot be written is refused before
training or ends the sweep cleanly when a write fails half-way."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.cli import run_nnrun


def _stamps(folder: Path) -> dict[str, int]:
    return {p.parent.name: p.stat().st_mtime_ns for p in folder.glob("trials/*/result.json")}


def test_no_resume_trains_this_sweeps_trials_again_and_keeps_the_others(
        small_config: Path, tmp_path: Path) -> None:
    out, folder = tmp_path / "out", tmp_path / "out" / "small"
    assert run_nnrun("sweep", small_config, "--out", out, "-j", "1").returncode == 0
    mine = _stamps(folder)
    longer = run_nnrun("sweep", small_config, "--out", out, "-j", "1",
                       "--set", "train.epochs=3")
    assert longer.returncode == 0, longer.stderr
    others = {k: v for k, v in _stamps(folder).items() if k not in mine}
    assert len(mine) == 4 and len(others) == 4
    fresh = run_nnrun("sweep", small_config, "--out", out, "-j", "1", "--no-resume")
    assert fresh.returncode == 0, fresh.stderr
    assert "earlier run" not in fresh.stdout and "4 of 4 trials finished" in fresh.stdout
    assert (f"--no-resume: {folder}: deleted the 4 earlier trials of this sweep, to train them "
            f"again; kept the 4 trials of other configurations (a later sweep with those "
            f"settings reuses them)") in fresh.stderr
    now = _stamps(folder)
    assert set(now) == set(mine) | set(others)  # 8 trial folders, none lost
    assert all(now[t] != mine[t] for t in mine)  # this sweep's: trained again
    assert all(now[t] == others[t] for t in others)  # the others: untouched
    summary = (folder / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + 4
    assert set(json.loads((folder / "sweep.json").read_text())["trials"]) == set(mine)
    # the other configuration resumes from its kept trials
    again = run_nnrun("sweep", small_config, "--out", out, "-j", "1", "--set", "train.epochs=3")
    assert again.returncode == 0 and "4 of them from an earlier run" in again.stdout

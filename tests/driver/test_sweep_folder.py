"""What `nnrun sweep` does to its results folder, seen from the command line: --no-resume
replaces only this sweep's trials, and a folder that cannot be written is refused before
training or ends the sweep cleanly when a write fails half-way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.cli import ROOT, run_nnrun


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


def _trial_ids(config: Path) -> list[str]:
    """The sweep's trial ids in the order it runs them (from --dry-run's table)."""
    table = run_nnrun("sweep", config, "--dry-run").stdout.splitlines()
    return [line.split()[0] for line in table[2:]]


def _all_files_whole(folder: Path) -> None:
    """No temporary file left, and every JSON and CSV file of the folder reads."""
    assert not list(folder.rglob("*.tmp")), list(folder.rglob("*.tmp"))
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())
    for path in folder.rglob("*.csv"):
        rows = [line.split(",") for line in path.read_text().splitlines()]
        assert rows and all(len(row) == len(rows[0]) for row in rows), path


def test_a_results_folder_that_cannot_be_written_is_refused_before_training(
        small_config: Path, tmp_path: Path) -> None:
    # Tests run as root, whom permissions do not stop: a file where the folder must be is
    # what fails for root too (a folder of someone else's fails the same check, by its errno).
    for blocked in ("small/trials", "small"):
        out = tmp_path / blocked.replace("/", "-")
        (out / blocked).parent.mkdir(parents=True, exist_ok=True)
        (out / blocked).write_text("")
        result = run_nnrun("sweep", small_config, "--out", out, "-j", "1")
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and "[1/4]" not in result.stderr
        assert result.stderr.startswith("error: cannot "), result.stderr
        assert str(out / blocked) in result.stderr
    assert "a file is in the way: it must be a folder; fix that or give another --out" in (
        run_nnrun("sweep", small_config, "--out", tmp_path / "small-trials").stderr)


def test_a_write_that_fails_mid_sweep_stops_it_cleanly_and_a_rerun_resumes(
        small_config: Path, tmp_path: Path) -> None:
    from nnrun.results.store import SweepLock

    out, folder = tmp_path / "out", tmp_path / "out" / "small"
    third = _trial_ids(small_config)[2]
    (folder / "trials").mkdir(parents=True)
    (folder / "trials" / third).write_text("")  # the third trial's folder cannot be made
    for jobs in ("1", "2"):
        result = run_nnrun("sweep", small_config, "--out", out, "-j", jobs)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert (f"error: cannot write {folder / 'trials' / third}: a file is in the way, where "
                f"nnrun makes a folder; the sweep stopped there.") in result.stderr
        finished = {p.parent.name for p in folder.glob("trials/*/result.json")}
        assert third not in finished and 2 <= len(finished) <= 3
        assert f"The {len(finished)} finished trials are saved in {folder}" in result.stderr
        _all_files_whole(folder)
        assert json.loads((folder / "sweep.json").read_text())["finished_at"] is None
        lock = SweepLock(folder)
        lock.acquire()  # released
        lock.release()
    (folder / "trials" / third).unlink()
    again = run_nnrun("sweep", small_config, "--out", out, "-j", "1")
    assert again.returncode == 0, again.stderr
    assert f"4 of 4 trials finished (4 ok), {len(finished)} of them from an earlier run" in (
        again.stdout)


# The disk is full from the (N+1)-th write of a file named NAME on (sys.argv[1] "NAME:N"):
# every write from then on fails (ENOSPC), summary.csv and sweep.json included. Injected by
# wrapping the one function every file of the folder goes through.
DISK_FULL = """
import errno, os, sys
import nnrun.results.files as files, nnrun.results.store as store
real = files.atomic_write_bytes
name, after = sys.argv.pop(1).split(":")
seen = []
def full(path, data):
    if path.name == name:
        seen.append(path)
    if len(seen) > int(after):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    real(path, data)
files.atomic_write_bytes = store.atomic_write_bytes = full
from nnrun.cli import app
sys.argv = ["nnrun", *sys.argv[1:]]
app()
"""


@pytest.mark.parametrize(("full_from", "finished"), [("result.json:2", 2),
                                                     ("summary.csv:0", 1)])
def test_a_full_disk_mid_sweep_stops_it_cleanly_with_what_finished_on_disk(
        small_config: Path, tmp_path: Path, full_from: str, finished: int) -> None:
    import subprocess
    import sys

    out, folder = tmp_path / "out", tmp_path / "out" / "small"
    full = subprocess.run([sys.executable, "-c", DISK_FULL, full_from, "sweep", small_config,
                           "--out", out, "-j", "1"], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    name = full_from.split(":")[0]
    assert f"/{name}: No space left on device; the sweep stopped there. The {finished} " \
           f"finished trials are saved in {folder}" in full.stderr, full.stderr
    assert len(list(folder.glob("trials/*/result.json"))) == finished
    _all_files_whole(folder)
    again = run_nnrun("sweep", small_config, "--out", out, "-j", "1")
    assert again.returncode == 0, again.stderr
    assert f"4 of 4 trials finished (4 ok), {finished} of them from an earlier run" in (
        again.stdout)

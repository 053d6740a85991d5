"""`nnrun plot`: the pictures and report.md of hand-written results folders."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import helpers.results as fx
import pandas as pd
import pytest

from nnrun.errors import NnrunError
from nnrun.views.plots import is_log_scaled, is_numeric, load_sweep, plot_results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_pictures(folder: Path, names: set[str]) -> None:
    present = {p.name for p in folder.glob("*.png")}
    assert present == names
    for name in names:
        width, height = png_size(folder / name)
        assert 400 <= width <= 3000 and 300 <= height <= 2000, (name, width, height)


def leaderboard_trials(report: str) -> list[str]:
    """The trial ids of the leaderboard table, in order."""
    section = report.split("## Leaderboard", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| \d+ \| `([^`]+)` \|", section, flags=re.MULTILINE)


def plot(folder: Path, out: Path | None = None) -> tuple[list[Path], list[str]]:
    messages: list[str] = []
    return plot_results(folder, out, log=messages.append), messages


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = fx.grid_classification(tmp_path_factory.mktemp("grid") / "activations")
    written, messages = plot(folder)
    return folder, written, messages


@pytest.fixture(scope="module")
def random_search(tmp_path_factory):
    folder = fx.random_regression(tmp_path_factory.mktemp("random") / "lr-search")
    written, messages = plot(folder)
    return folder, written, messages


def test_grid_classification_pictures(grid):
    folder, written, _ = grid
    plots = folder / "plots"
    names = {"learning_curves.png", "parameter_effects.png", "heatmap.png", "gradient_norms.png"}
    assert_pictures(plots, names)
    assert set(written) == {plots / name for name in names} | {plots / "report.md",
                                                              plots / "report.html"}


def test_report_leaderboard_best_first_for_maximize(grid):
    folder, _, _ = grid
    report = (folder / "plots" / "report.md").read_text()
    summary = pd.read_csv(folder / "summary.csv")
    expected = summary.sort_values("val_accuracy", ascending=False)["trial"].head(10).tolist()
    assert leaderboard_trials(report) == expected
    assert leaderboard_trials(report)[0].startswith("relcro")


def test_report_sections_and_links(grid):
    folder, _, _ = grid
    report = (folder / "plots" / "report.md").read_text()
    assert report.startswith("# Sweep report: activations\n")
    assert "| ok | diverged | failed | stopped | not finished | total |" in report
    assert "| 12 | 0 | 0 | 0 | 0 | 12 |" in report
    assert "2026-11-28 08:00:00 UTC" in report and "run time 3 min 25 s" in report
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert sorted(links) == sorted(p.name for p in (folder / "plots").glob("*.png"))
    for link in links:  # each picture has its sentence under it
        after = report.split(f"({link})", 1)[1].lstrip("\n").split("\n", 1)[0]
        assert after.endswith(".") and len(after) > 40
    config = report.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "activation: relu" in config and "model.activation:" in config


def test_random_regression_pictures(random_search):
    folder, _, _ = random_search
    assert_pictures(folder / "plots", {"learning_curves.png", "parameter_effects.png",
                                       "parallel_coordinates.png", "gradient_norms.png"})


def test_pictures_left_from_an_earlier_plot_are_removed_and_other_files_kept(tmp_path):
    out = tmp_path / "plots"
    plot(fx.grid_classification(tmp_path / "grid"), out)
    assert (out / "heatmap.png").is_file()
    (out / "mine.png").write_bytes(PNG_MAGIC)  # the user's own file
    written, messages = plot(fx.random_regression(tmp_path / "random"), out)
    drawn = {path.name for path in written if path.suffix == ".png"}
    assert "heatmap.png" not in drawn
    assert {p.name for p in out.glob("*.png")} == drawn | {"mine.png"}
    assert any("removed heatmap.png" in message for message in messages)


def test_report_leaderboard_lowest_loss_first_and_diverged_left_out(random_search):
    folder, _, _ = random_search
    report = (folder / "plots" / "report.md").read_text()
    summary = pd.read_csv(folder / "summary.csv")
    scored = summary[summary["val_loss"].notna()]
    expected = scored.sort_values("val_loss")["trial"].head(10).tolist()
    assert leaderboard_trials(report) == expected
    assert "r03xxxxxxxxxx" not in leaderboard_trials(report)
    assert "| 19 | 1 | 0 | 0 | 0 | 20 |" in report


def test_partial_sweep_plots_what_is_there(tmp_path):
    folder = fx.partial(tmp_path / "running")
    written, messages = plot(folder)
    plots = folder / "plots"
    assert_pictures(plots, {"learning_curves.png", "parameter_effects.png",
                            "gradient_norms.png"})
    assert plots / "report.md" in written
    text = " ".join(messages)
    assert "2 trials still running or not started" in text
    assert "1 finished trials have no metrics.csv" in text and "1 trials failed" in text
    assert "plotted 4" in text
    report = (plots / "report.md").read_text()
    assert "not yet: the sweep is still running" in report
    assert "`pwaiting1yyy`, `pwaiting2yyy`" in report
    assert "`pnometricsyy`" in report
    assert "- `pfailedyyyyy`: `DataError: data/missing.csv: no such file | really`" in report
    # the trial missing from summary.csv but with a result.json is on the leaderboard
    assert "p3yyyyyyyyyy" in leaderboard_trials(report)
    assert "pfailedyyyyy" not in leaderboard_trials(report)


def test_a_plot_that_breaks_off_leaves_the_previous_picture_whole(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    folder = fx.partial(tmp_path / "running")
    plot(folder)
    before = {p.name: p.read_bytes() for p in (folder / "plots").glob("*.png")}
    assert before

    def half_then_fail(self, target, **kwargs):
        target.write(PNG_MAGIC + b"half a picture")  # what an interrupted render leaves
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        plot(folder)
    after = {p.name: p.read_bytes() for p in (folder / "plots").glob("*.png")}
    assert after == before
    assert not [p for p in (folder / "plots").iterdir()
                if p.suffix not in (".png", ".md", ".html")]  # no temporary left


def test_sweep_without_summary_csv_reads_result_json(tmp_path):
    folder = fx.partial(tmp_path / "early")
    (folder / "summary.csv").unlink()
    sweep = load_sweep(folder)
    assert sorted(sweep.summary["trial"]) == sorted(p.name for p in (folder / "trials").iterdir())
    assert is_numeric(sweep, "optimizer.lr") and is_log_scaled(sweep, "optimizer.lr")
    assert sweep.ranked()["trial"].iloc[0] == "p3yyyyyyyyyy"  # best val_accuracy of the four


def test_folder_of_sweeps_plots_each_into_its_own_subfolder(tmp_path):
    fx.grid_classification(tmp_path / "results" / "one")
    fx.partial(tmp_path / "results" / "two")
    (tmp_path / "results" / "not-a-sweep").mkdir()
    written, messages = plot(tmp_path / "results", tmp_path / "pictures")
    # each sweep's pictures in its subfolder, and report.html comparing them in DIR
    assert {p.parent.name for p in written if p.name != "report.html"} == {"one", "two"}
    assert tmp_path / "pictures" / "report.html" in written
    for name in ("one", "two"):
        assert (tmp_path / "pictures" / name / "report.md").is_file()
        assert (tmp_path / "pictures" / name / "learning_curves.png").is_file()
    assert "one:" in messages and "two:" in messages
    assert not (tmp_path / "results" / "one" / "plots").exists()


@pytest.mark.parametrize("make", ["empty", "missing", "trial"])
def test_not_a_results_folder_is_a_clear_error(tmp_path, make):
    target = tmp_path / "somewhere"
    if make == "empty":
        target.mkdir()
    elif make == "trial":
        sweep = fx.partial(tmp_path / "sweep")
        target = sweep / "trials"
    with pytest.raises(NnrunError, match=r"(not a results folder|no such folder)"):
        plot_results(target)


def test_broken_sweep_json_is_a_clear_error(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "sweep.json").write_text("{not json")
    with pytest.raises(NnrunError, match="sweep.json: not valid JSON"):
        plot_results(folder)


def test_an_out_that_is_a_file_is_a_clear_error(tmp_path):
    folder = fx.partial(tmp_path / "sweep")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    with pytest.raises(NnrunError, match=r"cannot create the plots folder .*a_file"):
        plot_results(folder, a_file)


def test_sweep_with_no_finished_trial_still_writes_a_report(tmp_path):
    folder = fx.write_sweep(tmp_path / "fresh", parameters={"optimizer.lr": [0.1, 1.0]},
                            trials=[], finished=False, unfinished=("a1", "a2"))
    written, messages = plot(folder)
    assert set(written) == {folder / "plots" / "report.md", folder / "plots" / "report.html"}
    report = (folder / "plots" / "report.md").read_text()
    assert "No trial has a `val_accuracy` yet." in report
    assert "2 trials still running" in " ".join(messages)


def test_decision_regions_for_two_dimensional_data(tmp_path):
    folder = fx.two_dimensional(tmp_path / "moons")
    written, messages = plot(folder)
    plots = folder / "plots"
    assert plots / "decision_regions.png" in written, messages
    assert_pictures(plots, {"learning_curves.png", "parameter_effects.png",
                            "gradient_norms.png", "decision_regions.png"})
    report = (plots / "report.md").read_text()
    assert "![Decision regions](decision_regions.png)" in report


def test_no_decision_regions_without_two_features(grid, random_search):
    for folder, written, _ in (grid, random_search):
        assert not (folder / "plots" / "decision_regions.png").exists()
        assert all(p.name != "decision_regions.png" for p in written)


def test_importing_plots_does_not_import_matplotlib_or_pandas():
    import subprocess
    import sys

    code = ("import sys, nnrun.views.plots, nnrun.views.report; "
            "print(any(m in sys.modules for m in ('matplotlib', 'pandas')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"

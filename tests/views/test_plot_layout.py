"""The pictures of the example sweeps, as a reader sees them: no text cut off by the figure's
edge or on top of other text (measured with matplotlib's own extents), and no mark that mixes
unlike trials.

The example files of experiments/ run here, shrunk with --set (fewer samples and epochs; a
small 2-D data set for those on digits and MNIST-1D) so that they take seconds; their pictures
have the same parameters, values and labels as the full sweeps'.
"""

from __future__ import annotations

import json
from pathlib import Path

import helpers.results as fx
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from helpers.cli import ROOT, invoke
from helpers.figures import text_problems
from typer.testing import CliRunner

from nnrun.views.plots import load_sweep
from nnrun.views.plots._draw import RC
from nnrun.views.plots._parallel_coordinates import colour_norm
from nnrun.views.plots._pictures import PICTURES

matplotlib.use("Agg")

SMALL_DATA = ["data.dataset=moons", "data.n_samples=200"]
# Each example, shrunk: the same swept parameters and values, a fraction of the work.
EXAMPLES = {
    "optimizers": ["train.epochs=6", "data.n_samples=300"],
    "vanishing-gradient": ["train.epochs=4", "data.n_samples=300"],
    "activations-losses": ["train.epochs=4", "data.n_samples=300", "repeats=1"],
    "quickstart": ["train.epochs=5", "data.n_samples=300"],
    "bayes": ["sweep.samples=12", "train.epochs=4", *SMALL_DATA],
    "halving": ["sweep.min_epochs=1", "sweep.max_epochs=9", "train.epochs=9", *SMALL_DATA],
    "mnist1d": ["train.epochs=4", "repeats=1", *SMALL_DATA],
}


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("examples")
    runner = CliRunner()
    folders = {}
    for name, changes in EXAMPLES.items():
        sets = [arg for change in changes for arg in ("--set", change)]
        result = invoke(runner, "sweep", ROOT / "experiments" / f"{name}.yaml", "--out", out,
                        "--jobs", 1, *sets)
        assert result.exit_code == 0, (name, result.output)
        folders[name] = out / name
    return folders


def drawn_problems(folder: Path, out: Path) -> dict[str, list[str]]:
    """Each picture of the sweep, drawn as `nnrun plot` draws it, with what is wrong with it."""
    sweep = load_sweep(folder)
    problems = {}
    with plt.rc_context(RC):
        for picture in PICTURES:
            info = picture.gather(sweep, lambda message: None)
            if info is None:
                continue
            picture.draw(info, out)
            (number,) = plt.get_fignums()
            problems[picture.FILE_NAME] = text_problems(plt.figure(number))
            plt.close("all")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_no_text_of_an_example_is_cut_off_or_overlaps(examples, name, tmp_path):
    problems = drawn_problems(examples[name], tmp_path)
    assert {"learning_curves.png", "parameter_effects.png"} <= set(problems)
    assert {picture: found for picture, found in problems.items() if found} == {}


def test_a_one_panel_picture_has_its_whole_title(tmp_path):
    """A sweep with nothing to compare side by side: one panel of decision regions, its title
    as wide as the picture's or wider."""
    folder = fx.two_dimensional(tmp_path / "a-sweep-with-a-rather-long-name-of-its-own",
                                epochs=3)
    meta = json.loads((folder / "sweep.json").read_text())
    meta["parameters"] = []  # as if nothing were swept: every trial in one panel
    (folder / "sweep.json").write_text(json.dumps(meta))
    problems = drawn_problems(folder, tmp_path)
    assert problems["decision_regions.png"] == []


def test_the_checker_sees_cut_and_touching_text():
    """The measure itself: a title wider than its figure and two tick labels on each other."""
    fig, ax = plt.subplots(figsize=(3, 2))
    fig.suptitle("a title much wider than the three inches of this small figure, cut off")
    ax.set_xticks([0, 0.02], ["momentum", "nesterov"])
    found = text_problems(fig)
    plt.close(fig)
    assert any("cut off by the figure's edge" in problem for problem in found)
    assert "'momentum' overlaps or touches 'nesterov'" in found


@pytest.mark.slow
def test_halving_marks_the_epochs_and_its_heatmap_spans_its_cells(examples):
    from nnrun.views.plots import _heatmaps, _parameter_effects

    sweep = load_sweep(examples["halving"])
    effects = _parameter_effects.gather(sweep, lambda message: None)
    assert effects.colour_by == "epochs"
    assert effects.group_names == ["1 epochs", "3 epochs", "9 epochs"]
    assert all(panel.medians is None for panel in effects.panels)  # no mixed average
    heatmap = _heatmaps.gather(sweep, lambda message: None)
    cells = np.concatenate([panel.cell.ravel() for panel in heatmap.panels])
    assert heatmap.vmax == pytest.approx(np.nanmax(cells))
    assert heatmap.vmin >= min(np.nanmin(cells), heatmap.vmax - 0.1) - 1e-12
    texts = [text for panel in heatmap.panels for row in panel.text for text in row]
    assert all(" epochs" in text for text in texts if text[0].isdigit())
    epochs = sweep.summary.groupby("config")["epochs_run"].max()
    assert set(epochs) == {1, 3, 9}


@pytest.mark.slow
def test_parameter_effects_keep_unlike_trials_apart(examples):
    """vanishing-gradient: each depth has a median for sigmoid and one for relu, never their
    average; optimizers: the median of each optimizer, not a mean one outlier drags."""
    from nnrun.views.plots import _parameter_effects

    sweep = load_sweep(examples["vanishing-gradient"])
    info = _parameter_effects.gather(sweep, lambda message: None)
    assert info.colour_by == "model.activation"
    hidden = next(p for p in info.panels if p.parameter == "model.hidden")
    summary = sweep.summary
    for g, activation in enumerate(["sigmoid", "relu"]):
        for level, median in zip(hidden.levels, hidden.medians[g], strict=True):
            mine = summary[(summary["model.activation"] == activation)
                           & (summary["model.hidden"] == level)]["val_accuracy"]
            assert median == pytest.approx(float(np.median(mine)))

    sweep = load_sweep(examples["optimizers"])
    info = _parameter_effects.gather(sweep, lambda message: None)
    names = next(p for p in info.panels if p.parameter == "optimizer.name")
    (medians,) = names.medians  # its own panel: one median a level
    for level, median in zip(names.levels, medians, strict=True):
        scores = sweep.summary.loc[sweep.summary["optimizer.name"] == level, "val_loss"]
        assert median == pytest.approx(float(np.median(scores)))


def test_the_colour_scale_is_set_by_the_bulk_not_the_worst_trial():
    scores = np.array([0.1, *np.linspace(0.9, 0.97, 19)])
    norm, extend = colour_norm(scores, maximize=True)
    assert norm.vmax == pytest.approx(0.97) and norm.vmin > 0.85 and extend == "min"
    losses = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 1e6])
    norm, extend = colour_norm(losses, maximize=False)
    assert norm.vmin == pytest.approx(0.01) and norm.vmax < 1e6 and extend == "max"
    assert type(norm).__name__ == "LogNorm"  # losses over decades

"""What each picture of `nnrun plot` shows, read from the data it gathers before drawing.

Each picture module's ``gather`` returns the numbers and labels its ``draw`` puts on the page;
they are checked here against the results folder's own files, read independently.
"""

from __future__ import annotations

import math
from pathlib import Path

import helpers.results as fx
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nnrun.views.plots import (
    _decision_regions,
    _gradient_norms,
    _heatmaps,
    _learning_curves,
    _parallel_coordinates,
    _parameter_effects,
    load_sweep,
)
from nnrun.views.plots._pictures import PICTURES


def quiet(message: str) -> None:
    raise AssertionError(f"unexpected message: {message}")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return fx.grid_classification(tmp_path_factory.mktemp("grid") / "activations")


@pytest.fixture(scope="module")
def random_search(tmp_path_factory):
    return fx.random_regression(tmp_path_factory.mktemp("random") / "lr-search")


def config_means(folder: Path, metric: str, ascending: bool) -> pd.Series:
    """The mean metric of each (activation, loss) configuration, from summary.csv."""
    summary = pd.read_csv(folder / "summary.csv")
    means = summary.groupby(["model.activation", "loss"])[metric].mean()
    return means.sort_values(ascending=ascending)


def test_gathering_draws_nothing(grid, random_search):
    plt.close("all")
    for folder in (grid, random_search, fx.partial(grid.parent / "partial")):
        sweep = load_sweep(folder)
        for picture in PICTURES:
            picture.gather(sweep, lambda message: None)
    assert plt.get_fignums() == []


def test_learning_curves_highlight_the_five_best_configurations(grid):
    info = _learning_curves.gather(load_sweep(grid), quiet)
    best = config_means(grid, "val_accuracy", ascending=False)
    labels = [f"activation={a}, loss={b}" for a, b in best.index]
    assert info.top == labels[:5] and info.rest == labels[5:]
    assert [info.means[label] for label in info.top] == pytest.approx(list(best.iloc[:5]))
    assert info.kinds == ["loss", "accuracy"] and info.repeats == 2
    assert info.ylabels[0] == "loss (each trial's own loss)"  # the loss is swept
    # the curve is the mean of the two repeats epoch by epoch, the band their range
    repeats = [pd.read_csv(grid / "trials" / f"relcro{r}abcdef" / "metrics.csv")
               for r in range(2)]
    val = np.array([frame["val_accuracy"].to_numpy() for frame in repeats])
    curve = info.curves[labels[0]]
    assert curve["val_accuracy"].to_numpy() == pytest.approx(val.mean(axis=0))
    assert info.lowest[labels[0]]["val_accuracy"].to_numpy() == pytest.approx(val.min(axis=0))
    assert info.highest[labels[0]]["val_accuracy"].to_numpy() == pytest.approx(val.max(axis=0))


def test_learning_curves_of_a_sweep_without_metrics_say_so(tmp_path):
    folder = fx.write_sweep(tmp_path / "fresh", parameters={"optimizer.lr": [0.1, 1.0]},
                            trials=[], finished=False, unfinished=("a1", "a2"))
    messages: list[str] = []
    assert _learning_curves.gather(load_sweep(folder), messages.append) is None
    assert messages == ["no learning curves: no finished trial has what it needs yet"]


def test_parameter_effects_median_per_value(grid, random_search):
    info = _parameter_effects.gather(load_sweep(grid), quiet)
    summary = pd.read_csv(grid / "summary.csv")
    activation = info.panels[0]
    assert activation.parameter == "model.activation" and not activation.numeric
    assert activation.levels == ["sigmoid", "tanh", "relu"]  # the config's order
    expected = [summary.loc[summary["model.activation"] == a, "val_accuracy"].median()
                for a in activation.levels]
    assert info.colour_by == "model.activation"
    (medians,) = activation.medians  # the colouring parameter's own panel: one median a level
    assert medians == pytest.approx(expected)
    loss = info.panels[1]  # one median a loss for each activation, never across them
    for g, name in enumerate(activation.levels):
        mine = summary[summary["model.activation"] == name]
        assert loss.medians[g] == pytest.approx(
            [mine.loc[mine["loss"] == value, "val_accuracy"].median() for value in loss.levels])
    # each dot sits within its jitter of its category
    position = summary["model.activation"].map({"sigmoid": 0, "tanh": 1, "relu": 2})
    assert np.abs(activation.shown - position.to_numpy()).max() <= 0.18

    info = _parameter_effects.gather(load_sweep(random_search), quiet)
    lr, hidden, batch = info.panels
    assert lr.numeric and lr.log and not lr.few  # log-uniform draws: a log axis, no means
    assert hidden.levels == ["[16]", "[32, 32]"] and not hidden.log
    assert batch.numeric and not batch.log
    assert int(info.no_score.sum()) == 1  # the diverged trial, a cross on the bottom edge


def test_heatmap_cells_are_the_mean_and_sd_of_the_repeats(grid, random_search):
    info = _heatmaps.gather(load_sweep(grid), quiet)
    (panel,) = info.panels
    assert (panel.rows, panel.columns) == ("model.activation", "loss")
    assert panel.row_names == ["sigmoid", "tanh", "relu"]
    assert panel.column_names == ["mse", "cross_entropy"]
    summary = pd.read_csv(grid / "summary.csv")
    for i, activation in enumerate(panel.row_names):
        for j, loss in enumerate(panel.column_names):
            scores = summary.loc[(summary["model.activation"] == activation)
                                 & (summary["loss"] == loss), "val_accuracy"]
            assert panel.cell[i, j] == pytest.approx(scores.mean())
            assert panel.text[i][j] == f"{scores.mean():.3f}\n±{scores.std(ddof=1):.3f}"
    assert info.how == "mean ± s.d. over 2 repeats" and not info.log_colours
    assert (info.vmin, info.vmax) == pytest.approx((panel.cell.min(), panel.cell.max()))
    assert _heatmaps.gather(load_sweep(random_search), quiet) is None  # no categorical pair


def test_parallel_coordinates_one_line_a_scored_trial_best_on_top(grid, random_search):
    info = _parallel_coordinates.gather(load_sweep(random_search), quiet)
    summary = pd.read_csv(random_search / "summary.csv")
    scored = summary["val_loss"].dropna()
    assert info.missing == len(summary) - len(scored) == 1
    assert list(info.scores) == sorted(scored, reverse=True)  # worst first, the best on top
    assert info.axis_names == ["lr (log)", "hidden", "batch_size", "val_loss"]
    assert info.positions.shape == (len(scored), 4)
    assert info.positions.min() == 0.0 and info.positions.max() == 1.0
    assert info.positions[-1, 3] == 0.0 and info.positions[0, 3] == 1.0  # the metric's axis
    assert info.ticks[1] == ([0.0, 1.0], ["[16]", "[32, 32]"])
    assert _parallel_coordinates.gather(load_sweep(grid), quiet) is None  # a grid of two


def test_gradient_norms_per_activation_and_the_first_epoch_ratio(grid):
    info = _gradient_norms.gather(load_sweep(grid), quiet)
    assert [p.label for p in info.profiles] == ["activation=sigmoid", "activation=tanh",
                                                "activation=relu"]
    assert info.by == " by activation"
    for profile in info.profiles:
        assert profile.columns == ["grad_norm_1", "grad_norm_2", "grad_norm_3"]
        # the best configuration of the group, the median of its two repeats (of 4 trials)
        assert profile.count == 2 and profile.total == 4
        assert profile.chosen == f"{profile.label}, loss=cross_entropy"
    # The fixture's sigmoid loses a factor 0.2 a layer towards the input, the others 0.9.
    ratios = dict(info.ratios)
    assert ratios["activation=sigmoid"] == pytest.approx(0.2 ** 2)
    assert ratios["activation=tanh"] == pytest.approx(0.9 ** 2)
    metrics = pd.read_csv(grid / "trials" / "sigmse0abcdef" / "metrics.csv")
    assert info.profiles[0].first == pytest.approx(
        metrics.loc[0, ["grad_norm_1", "grad_norm_2", "grad_norm_3"]].to_numpy(float))
    # every panel spans the smallest norm (sigmoid, layer 1, epoch 20) to the largest (the
    # last layer, epoch 1), with a margin of 1.5 either way
    assert info.limits == pytest.approx((0.2 ** 2 * 0.5 / math.sqrt(20) / 1.5, 0.5 * 1.5))


def test_decision_regions_classify_the_training_points_as_the_trial_did(tmp_path):
    folder = fx.two_dimensional(tmp_path / "moons")
    info = _decision_regions.gather(load_sweep(folder), quiet)
    assert info.best == "the best trial of each activation"
    summary = pd.read_csv(folder / "summary.csv").set_index("trial")
    assert len(info.panels) == 2
    for panel, trial in zip(info.panels, ["sigmoidzzzzzzzz", "reluzzzzzzzz"], strict=True):
        assert f"trial {trial[:10]}" in panel.title
        assert panel.predicted.shape == (len(panel.ys), len(panel.xs))
        assert set(np.unique(panel.predicted)) <= {0, 1} and panel.n_classes == 2
        assert panel.standardized
        # the share of training points inside the region of their own class is the accuracy
        # the trial recorded on them
        column = np.abs(panel.xs[None, :] - panel.points[:, [0]]).argmin(axis=1)
        row = np.abs(panel.ys[None, :] - panel.points[:, [1]]).argmin(axis=1)
        inside = (panel.predicted[row, column] == panel.labels).mean()
        assert inside == pytest.approx(summary.loc[trial, "train_accuracy"], abs=0.02)


def test_no_decision_regions_for_regression_or_more_than_two_features(grid, random_search):
    for folder in (grid, random_search):
        assert _decision_regions.gather(load_sweep(folder), quiet) is None

"""`nnrun refit`: the best configuration retrained on training + validation data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from helpers.cli import invoke
from helpers.flowers import flowers_frame, held_out_rows, write_flowers

import nnrun
from nnrun.data import load_dataset
from nnrun.results import ResultsReader


def test_refit_reports_the_test_score_and_saves_a_model(flowers: Path, tmp_path: Path,
                                                        cli) -> None:
    shutil.copytree(flowers.parent.parent, tmp_path / "copy")  # the data and the results
    results = tmp_path / "copy" / "results" / "flowers"
    best = nnrun.open_results(results).best_trial
    record = ResultsReader(results).record(best)
    result = invoke(cli, "refit", results)
    assert result.exit_code == 0, result.stderr
    folder = results / "refit" / best
    assert f"refit trial {best} on 240 training + validation samples for " \
           f"{record.best_epoch} epochs: test_accuracy " in result.stdout
    assert str(folder) in result.stdout
    refit_result = json.loads((folder / "result.json").read_text())
    reported = refit_result["final"]["test_accuracy"]
    assert f"test_accuracy {reported:.4f}" in result.stdout
    assert refit_result["final"]["val_accuracy"] is None  # no validation split is left
    # the test rows are the sweep's: the refit model scores them as it reported
    rows = held_out_rows(results, best)
    model = nnrun.load_model(folder)
    assert model.score(rows, rows["species"]) == reported
    description = json.loads((folder / "model.json").read_text())
    assert description["refit"] == {"trial": best, "epochs": record.best_epoch,
                                    "train_samples": 240}
    # scaled by the training + validation rows' mean, not the sweep's training rows'
    assert not np.allclose(model.mean, nnrun.load_model(results, best).mean)
    config = ResultsReader(results).config(best)
    merged = load_dataset(config["data"], seed=config["data"]["seed"],
                          base_dir=results.parent.parent, merge_validation=True)
    np.testing.assert_array_equal(model.mean, merged.mean)
    # predict and export take the refit's folder
    flowers_frame().head(3).to_csv(tmp_path / "new.csv", index=False)
    predicted = invoke(cli, "predict", folder, tmp_path / "new.csv")
    assert predicted.exit_code == 0 and len(predicted.stdout.splitlines()) == 4
    exported = invoke(cli, "export", folder, "--format", "onnx", "--out",
                      tmp_path / "refit.onnx")
    assert exported.exit_code == 0, exported.stderr
    # the sweep's own results are untouched
    assert nnrun.open_results(results).best_trial == best
    assert sorted(p.name for p in (results / "trials").iterdir()) == sorted(
        p.name for p in (flowers / "trials").iterdir())


def test_a_k_fold_trial_refits_on_every_non_test_row(tmp_path: Path, cli) -> None:
    config = write_flowers(tmp_path, {"data.folds": 3})
    results = nnrun.sweep(config, jobs=1, out=tmp_path / "results", progress=False)
    assert len(results.summary) == 6  # 2 configurations x 3 folds
    best = results.best_trial
    assert best in results.leaderboard()["trials"][0]
    result = invoke(cli, "refit", results.path)
    assert result.exit_code == 0, result.stderr
    assert "on 240 training + validation samples" in result.stdout
    folder = results.path / "refit" / best
    reported = json.loads((folder / "result.json").read_text())["final"]["test_accuracy"]
    rows = held_out_rows(results.path, best)
    assert nnrun.load_model(folder).score(rows, rows["species"]) == reported

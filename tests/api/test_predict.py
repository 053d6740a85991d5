"""Each trial saves what prediction needs; `nnrun predict` and `nnrun.load_model` use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers.cli import invoke, run_nnrun
from helpers.flowers import flowers_frame, held_out_rows, write_flowers

import nnrun
from nnrun.errors import NnrunError
from nnrun.results import ResultsReader


def test_predict_on_the_test_rows_gives_the_recorded_test_accuracy(flowers: Path,
                                                                   tmp_path: Path) -> None:
    rows = held_out_rows(flowers, nnrun.open_results(flowers).best_trial)
    # columns matched by name: shuffled, an extra one, the target present or not
    data = rows.assign(note="ignored")[["note", "width", "species", "petal", "sepal"]]
    data.to_csv(tmp_path / "test.csv", index=False)
    done = run_nnrun("predict", flowers, tmp_path / "test.csv", "--trial", "best",
                     "--out", tmp_path / "predicted.csv")
    assert done.returncode == 0, done.stderr
    predicted = pd.read_csv(tmp_path / "predicted.csv")
    assert list(predicted.columns) == ["species"]
    assert set(predicted["species"]) <= {"setosa", "versicolor", "virginica"}
    results = nnrun.open_results(flowers)
    best = results.best_trial
    recorded = ResultsReader(flowers).record(best).final["test_accuracy"]
    right = predicted["species"].to_numpy() == rows["species"].to_numpy()
    accuracy = int(right.sum()) / len(rows)
    assert accuracy == recorded
    model = nnrun.load_model(flowers, trial="best")
    assert model.trial == best
    assert model.score(data, data["species"]) == recorded
    assert model.score(rows[model.feature_names].to_numpy(), rows["species"]) == recorded


def test_stdout_proba_and_the_users_labels(flowers: Path, tmp_path: Path, cli) -> None:
    flowers_frame().head(7).to_csv(tmp_path / "new.csv", index=False)
    labels = invoke(cli, "predict", flowers, tmp_path / "new.csv")
    proba = invoke(cli, "predict", flowers, tmp_path / "new.csv", "--proba")
    assert labels.exit_code == proba.exit_code == 0, labels.stderr + proba.stderr
    lines = labels.stdout.splitlines()
    assert lines[0] == "species" and len(lines) == 8
    table = pd.read_csv(tmp_path / "new.csv")
    model = nnrun.load_model(flowers)
    assert lines[1:] == list(model.predict(table))
    probabilities = pd.read_csv(__import__("io").StringIO(proba.stdout))
    assert list(probabilities.columns) == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    assert list(probabilities.columns[probabilities.to_numpy().argmax(axis=1)]) == lines[1:]
    assert model.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert model.network.dtype == np.float32


def test_features_that_do_not_match_are_exit_2_naming_the_columns(flowers: Path,
                                                                   tmp_path: Path, cli) -> None:
    flowers_frame()[["sepal", "species"]].to_csv(tmp_path / "short.csv", index=False)
    result = invoke(cli, "predict", flowers, tmp_path / "short.csv")
    assert result.exit_code == 2
    assert "no column 'petal', 'width'" in result.stderr and "short.csv" in result.stderr
    assert "Traceback" not in result.stderr
    np.savez(tmp_path / "wide.npz", X=np.zeros((4, 5)))
    result = invoke(cli, "predict", flowers, tmp_path / "wide.npz")
    assert result.exit_code == 2 and "shape (4, 5)" in result.stderr
    assert "sepal, petal, width" in result.stderr
    np.savez(tmp_path / "right.npz", X=flowers_frame()[["sepal", "petal", "width"]].to_numpy())
    result = invoke(cli, "predict", flowers, tmp_path / "right.npz")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 301


def test_model_files_are_json_and_arrays_never_pickle(flowers: Path, tmp_path: Path) -> None:
    trial = nnrun.open_results(flowers).best_trial
    folder = flowers / "trials" / trial
    description = json.loads((folder / "model.json").read_text())
    assert description["format"] == "nnrun-model" and description["dtype"] == "float32"
    assert description["feature_names"] == ["sepal", "petal", "width"]
    assert description["classes"] == ["setosa", "versicolor", "virginica"]
    with np.load(folder / "weights.npz", allow_pickle=False) as arrays:
        assert sorted(arrays.files) == ["W1", "W2", "b1", "b2", "mean", "std"]
        train = flowers_frame()  # the scaling is the training split's, not all rows'
        assert not np.allclose(arrays["mean"], train[["sepal", "petal", "width"]].mean())
    # a weights.npz holding a pickled object is refused, never unpickled
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    with np.load(copy / "weights.npz") as arrays:
        kept = {name: arrays[name] for name in arrays.files}
    kept["W1"] = np.array([{"evil": 1}], dtype=object)
    np.savez(copy / "weights.npz", **kept)
    with pytest.raises(NnrunError, match="cannot read the model's arrays"):
        nnrun.load_model(copy)


def test_an_old_results_folder_says_what_to_run_again(flowers: Path, tmp_path: Path,
                                                      cli) -> None:
    old = tmp_path / "old"
    shutil.copytree(flowers, old)
    for path in old.glob("trials/*/model.json"):
        path.unlink()
    flowers_frame().to_csv(tmp_path / "new.csv", index=False)
    result = invoke(cli, "predict", old, tmp_path / "new.csv")
    assert result.exit_code == 2
    assert "no model file (model.json)" in result.stderr
    assert "flowers.yaml --no-resume" in result.stderr


def test_trial_ids_and_their_starts(flowers: Path, cli, tmp_path: Path) -> None:
    results = nnrun.open_results(flowers)
    other = next(t for t in results.trials if t != results.best_trial)
    assert nnrun.load_model(flowers, trial=other[:6]).trial == other
    assert nnrun.load_model(flowers / "trials" / other).trial == other
    with pytest.raises(NnrunError, match="no trial 'zzzzzz'"):
        nnrun.load_model(flowers, trial="zzzzzz")


def test_labels_keep_their_type_and_regression_its_units(tmp_path: Path) -> None:
    frame = flowers_frame()
    frame["species"] = frame["species"].map({"setosa": 10, "versicolor": 20, "virginica": 30})
    config = write_flowers(tmp_path / "ints")
    frame.to_csv(tmp_path / "ints" / "flowers.csv", index=False)
    results = nnrun.sweep(config, jobs=1, out=tmp_path / "ints" / "results", progress=False)
    model = results.load_model()
    assert model.classes_.tolist() == [10, 20, 30]
    assert set(model.predict(frame).tolist()) <= {10, 20, 30}

    frame["size"] = 5.0 + 2.0 * frame["width"] - frame["petal"]
    frame.drop(columns="species").to_csv(tmp_path / "ints" / "flowers.csv", index=False)
    results = nnrun.sweep(config, jobs=1, out=tmp_path / "reg", progress=False,
                          overrides=["data.target=size", "loss=mse", "train.epochs=80",
                                     "sweep.parameters.model.activation=[relu]"])
    model = results.load_model()
    assert model.task == "regression" and model.outputs == ["size"]
    predicted = model.predict(frame)
    assert predicted.shape == (len(frame),)
    # in the target's units (about 5 ± 3), not standardised
    assert abs(np.mean(predicted) - frame["size"].mean()) < 0.2 * frame["size"].std()
    assert model.score(frame, frame["size"]) > 0.5
    with pytest.raises(NnrunError, match="regression model"):
        model.predict_proba(frame)


def test_new_data_is_read_as_the_sweep_read_its_own(tmp_path: Path, cli) -> None:
    config = write_flowers(tmp_path, {"train.epochs": 2,
                                      "sweep.parameters.model.activation": ["tanh"]})
    flowers_frame().to_csv(tmp_path / "flowers.csv", index=False, sep=";")  # found by sniffing
    results = nnrun.sweep(config, jobs=1, out=tmp_path / "results", progress=False)
    flowers_frame().head(5).to_csv(tmp_path / "new.csv", index=False, sep=";")
    result = invoke(cli, "predict", results.path, tmp_path / "new.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == list(results.load_model().predict(
        flowers_frame().head(5)))

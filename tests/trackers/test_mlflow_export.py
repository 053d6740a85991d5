"""`nnrun export --to mlflow`, read back with mlflow.search_runs from a temporary SQLite
store."""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from conftest import HALVING, failing_relu, run
from helpers.cli import invoke
from mlflow import MlflowClient

from nnrun.results.reader import ResultsReader


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):
    """An SQLite tracking store for the module (making its tables takes MLflow a while); the
    artifacts go to MLflow's default, ./mlruns, so the test runs in the store's folder."""
    folder = tmp_path_factory.mktemp("mlflow")
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield f"sqlite:///{folder / 'mlflow.db'}"
    finally:
        os.chdir(before)


def runs(uri: str, experiment: str) -> pd.DataFrame:
    mlflow.set_tracking_uri(uri)
    return mlflow.search_runs(experiment_names=[experiment])


def export(cli, results: Path, uri: str, *more: str):
    result = invoke(cli, "export", results, "--to", "mlflow", "--uri", uri, *more)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_parent_run_per_sweep_and_a_nested_run_per_trial(cli, grid_results: Path,
                                                          store: str) -> None:
    said = export(cli, grid_results, store, "--experiment", "grid")
    assert "4 trial runs added, 0 updated, 0 already there" in said
    found = runs(store, "grid")
    parent = found[found["tags.nnrun.sweep"] == "small"]
    assert len(parent) == 1 and len(found) == 5
    parent_id = parent["run_id"].item()
    trials = found[found["tags.mlflow.parentRunId"] == parent_id].set_index("tags.nnrun.trial")
    reader = ResultsReader(grid_results)
    records = reader.records()
    assert set(trials.index) == set(records)
    client = MlflowClient(tracking_uri=store)
    for trial_id, record in records.items():
        row = trials.loc[trial_id]
        assert row["status"] == "FINISHED"
        assert row["params.optimizer.lr"] == str(record.params["optimizer.lr"])
        assert row["params.model.activation"] == record.params["model.activation"]
        assert row["params.model.hidden"] == "[8]" and row["params.train.epochs"] == "5"
        assert row["metrics.final/val_accuracy"] == record.final["val_accuracy"]
        assert row["metrics.final/test_loss"] == record.final["test_loss"]
        epochs = reader.metrics(trial_id)
        history = client.get_metric_history(row["run_id"], "val_loss")
        assert [(m.step, m.value) for m in history] == list(zip(epochs["epoch"],
                                                                epochs["val_loss"],
                                                                strict=True))
        artifacts = {a.path for a in client.list_artifacts(row["run_id"])}
        assert {"weights.npz", "config.yaml", "metrics.csv", "result.json"} <= artifacts
    assert parent["metrics.best/val_accuracy"].item() == max(
        r.final["val_accuracy"] for r in records.values())
    assert parent["params.method"].item() == "grid"
    assert parent["status"].item() == "FINISHED"


def test_exporting_again_adds_nothing_twice(cli, grid_results: Path, store: str) -> None:
    export(cli, grid_results, store, "--experiment", "again")
    before = runs(store, "again")
    said = export(cli, grid_results, store, "--experiment", "again")
    assert "0 trial runs added, 0 updated, 4 already there" in said
    after = runs(store, "again")
    assert sorted(after["run_id"]) == sorted(before["run_id"])
    client = MlflowClient(tracking_uri=store)
    for run_id in after["run_id"]:
        assert len(client.get_metric_history(run_id, "train_loss")) in (0, 5)


def test_a_trial_run_again_since_updates_its_run(cli, tmp_path: Path, store: str) -> None:
    results = run(tmp_path, worker=failing_relu)
    export(cli, results, store, "--experiment", "rerun")
    failed = runs(store, "rerun").dropna(subset=["tags.nnrun.trial"])
    assert sorted(failed["status"]) == ["FAILED", "FAILED", "FINISHED", "FINISHED"]
    assert set(failed.loc[failed["status"] == "FAILED", "tags.nnrun.error"]) == {
        "ValueError: on purpose"}
    run(tmp_path)  # resume: the failed trials are run again
    said = export(cli, results, store, "--experiment", "rerun")
    assert "0 trial runs added, 2 updated, 2 already there" in said
    found = runs(store, "rerun").dropna(subset=["tags.nnrun.trial"])
    assert len(found) == 4 and set(found["status"]) == {"FINISHED"}
    client = MlflowClient(tracking_uri=store)
    for run_id in found["run_id"]:
        assert [m.step for m in client.get_metric_history(run_id, "val_loss")] == [1, 2, 3, 4, 5]


def test_halving_trials_stopped_at_a_rung_are_killed_runs(cli, tmp_path: Path,
                                                          store: str) -> None:
    results = run(tmp_path, HALVING)
    export(cli, results, store, "--experiment", "halving")
    found = runs(store, "halving").dropna(subset=["tags.nnrun.trial"])
    records = ResultsReader(results).records()
    assert len(found) == len(records)
    for _, row in found.iterrows():
        record = records[row["tags.nnrun.trial"]]
        assert row["status"] == ("KILLED" if record.status == "stopped" else "FINISHED")
        assert row["metrics.epochs_run"] == record.epochs_run
        assert row["params.model.hidden"] in ("[4]", "[8, 8]")


def test_mistakes_are_clean_messages(cli, grid_results: Path, tmp_path: Path) -> None:
    result = invoke(cli, "export", tmp_path / "nowhere", "--to", "mlflow", "--uri",
                    f"sqlite:///{tmp_path / 'x.db'}")
    assert result.exit_code == 2 and "no such results folder" in result.stderr
    result = invoke(cli, "export", grid_results, "--to", "mlflow", "--logdir", tmp_path)
    assert result.exit_code == 2 and "--logdir is for --to tensorboard" in result.stderr
    result = invoke(cli, "export", grid_results, "--to", "wandb")
    assert result.exit_code == 2 and "wandb" in result.stderr

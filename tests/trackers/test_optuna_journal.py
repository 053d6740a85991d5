"""The live Optuna journal: read back with Optuna, for every search method, on resume, and
through optuna-dashboard's HTTP API."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import optuna
import pandas as pd
import pytest
from conftest import BAYES, HALVING, failing_relu, run
from helpers.cli import invoke
from helpers.configs import write_config
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

from nnrun.results.reader import ResultsReader
from nnrun.results.record import TrialRecord
from nnrun.trackers import OptunaJournal
from nnrun.trackers.optuna_journal import journal_storage


def load(folder: Path) -> optuna.Study:
    """The sweep's study, read from its journal with Optuna's own storage."""
    path = folder / "optuna.journal"
    assert path.is_file()
    return optuna.load_study(study_name=folder.name, storage=journal_storage(path))


def by_trial(study: optuna.Study) -> dict[str, optuna.trial.FrozenTrial]:
    trials = {t.user_attrs["nnrun_trial"]: t for t in study.get_trials()}
    assert len(trials) == len(study.trials), "a trial is in the journal twice"
    return trials


def test_grid_journal_holds_each_trial_as_the_results_folder_does(tmp_path: Path) -> None:
    folder = run(tmp_path, optuna_journal=True)
    study = load(folder)
    reader = ResultsReader(folder)
    records = reader.records()
    assert [d.name for d in study.directions] == ["MAXIMIZE"]
    assert study.metric_names == ["val_accuracy"]
    trials = by_trial(study)
    assert set(trials) == set(records) and len(trials) == 4
    for trial_id, trial in trials.items():
        record = records[trial_id]
        assert trial.state == TrialState.COMPLETE
        assert trial.values == [record.final["val_accuracy"]]
        assert trial.params == record.params
        assert trial.distributions["model.activation"] == CategoricalDistribution(
            ("tanh", "relu"))
        assert trial.distributions["optimizer.lr"] == CategoricalDistribution((0.05, 0.1))
        epochs = reader.metrics(trial_id)
        assert trial.intermediate_values == dict(zip(epochs["epoch"], epochs["val_accuracy"],
                                                     strict=True))
        assert trial.user_attrs["val_loss"] == record.final["val_loss"]
        assert trial.user_attrs["seed"] == record.seed
        assert trial.user_attrs["status"] == "ok"
        assert "val_accuracy" not in trial.user_attrs  # it is the value
        assert trial.datetime_complete >= trial.datetime_start


def test_a_resumed_sweep_adds_nothing_twice_and_no_resume_starts_over(tmp_path: Path) -> None:
    folder = run(tmp_path, optuna_journal=True)
    before = (folder / "optuna.journal").read_bytes()
    run(tmp_path, optuna_journal=True)
    assert (folder / "optuna.journal").read_bytes() == before
    run(tmp_path, {"sweep.parameters.optimizer.lr": [0.05, 0.1, 0.2]}, optuna_journal=True)
    assert len(load(folder).trials) == 6  # the two new trials, after the four of before
    assert (folder / "optuna.journal").read_bytes().startswith(before)
    run(tmp_path, optuna_journal=True, resume=False)
    assert len(by_trial(load(folder))) == 4


def test_a_failed_trial_run_again_is_a_new_attempt_naming_the_failure(tmp_path: Path) -> None:
    folder = run(tmp_path, worker=failing_relu, optuna_journal=True)
    study = load(folder)
    assert sorted(t.state.name for t in study.trials) == ["COMPLETE", "COMPLETE", "FAIL",
                                                          "FAIL"]
    assert {t.user_attrs["error"] for t in study.trials if t.state == TrialState.FAIL} == {
        "ValueError: on purpose"}
    run(tmp_path, optuna_journal=True)  # resume: the failed trials are run again
    run(tmp_path, optuna_journal=True)  # and nothing more happens
    study = load(folder)
    assert len(study.trials) == 6
    failures = {t.number: t for t in study.trials if t.state == TrialState.FAIL}
    retries = [t for t in study.trials if "failed_trial" in t.system_attrs]
    assert len(retries) == 2
    for retry in retries:
        failure = failures[retry.system_attrs["failed_trial"]]
        assert retry.state == TrialState.COMPLETE and retry.params == failure.params
        assert retry.user_attrs["nnrun_trial"] == failure.user_attrs["nnrun_trial"]


def test_turned_on_later_the_journal_gets_the_trials_an_earlier_run_finished(
        tmp_path: Path, grid_results: Path) -> None:
    assert not (grid_results / "optuna.journal").exists()
    run_in = tmp_path / "again"
    shutil.copytree(grid_results, run_in / "results" / "small")
    folder = run(run_in, optuna_journal=True)
    trials = by_trial(load(folder))
    assert len(trials) == 4
    reader = ResultsReader(folder)
    for trial_id, trial in trials.items():  # read back from each trial's metrics.csv
        assert len(trial.intermediate_values) == len(reader.metrics(trial_id)) == 5


def test_halving_trials_stopped_at_a_rung_are_pruned_with_their_epochs_so_far(
        tmp_path: Path) -> None:
    folder = run(tmp_path, HALVING, optuna_journal=True)
    records = ResultsReader(folder).records()
    trials = by_trial(load(folder))
    assert set(trials) == set(records)
    states = {trial_id: trial.state for trial_id, trial in trials.items()}
    assert TrialState.PRUNED in states.values() and TrialState.COMPLETE in states.values()
    for trial_id, trial in trials.items():
        record = records[trial_id]
        assert trial.state == (TrialState.PRUNED if record.status == "stopped"
                               else TrialState.COMPLETE)
        # a trial that went on past a rung has every epoch, the later ones added as it went on
        assert sorted(trial.intermediate_values) == list(range(1, record.epochs_run + 1))
        assert trial.distributions["optimizer.lr"] == FloatDistribution(0.01, 0.3, log=True)
        assert trial.distributions["model.hidden"] == CategoricalDistribution(("[4]", "[8, 8]"))
        assert trial.params["model.hidden"] == json.dumps(record.params["model.hidden"])
    assert max(len(t.intermediate_values) for t in trials.values()) == 4


def test_bayes_trials_with_continuous_parameters(tmp_path: Path) -> None:
    folder = run(tmp_path, BAYES, optuna_journal=True)
    trials = by_trial(load(folder))
    assert len(trials) == 4
    for trial in trials.values():
        assert trial.distributions["train.batch_size"] == IntDistribution(8, 64)
        assert trial.distributions["optimizer.lr"] == FloatDistribution(0.01, 0.3)
        assert 8 <= trial.params["train.batch_size"] <= 64


def test_the_yaml_key_turns_it_on_and_the_option_overrides_it(tmp_path: Path, cli) -> None:
    config = write_config(tmp_path / "exp.yaml", changes={"sweep.optuna_journal": True,
                                                          "train.epochs": 2})
    result = invoke(cli, "sweep", config, "--jobs", 1, "--out", tmp_path / "on")
    assert result.exit_code == 0, result.output
    assert "optuna-dashboard" in result.stderr
    assert len(load(tmp_path / "on" / "small").trials) == 4
    result = invoke(cli, "sweep", config, "--jobs", 1, "--out", tmp_path / "off",
                    "--no-optuna-journal")
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "off" / "small" / "optuna.journal").exists()
    plain = write_config(tmp_path / "plain.yaml", changes={"train.epochs": 2})
    result = invoke(cli, "sweep", plain, "--jobs", 1, "--out", tmp_path / "cli",
                    "--optuna-journal")
    assert result.exit_code == 0, result.output
    assert len(load(tmp_path / "cli" / "small").trials) == 4
    invoke(cli, "sweep", plain, "--jobs", 1, "--out", tmp_path / "none")
    assert not (tmp_path / "none" / "small" / "optuna.journal").exists()


def test_several_objectives_are_several_values(tmp_path: Path) -> None:
    path = tmp_path / "optuna.journal"
    objectives = [("val_accuracy", "maximize"), ("val_loss", "minimize")]
    journal = OptunaJournal(path, study_name="two", objectives=objectives,
                            parameters={"optimizer.lr": [0.1, 0.2]}, log=print)
    final = {"val_accuracy": 0.9, "val_loss": 0.3, "train_loss": 0.2}
    journal.add(TrialRecord(trial="a1", status="ok", params={"optimizer.lr": 0.2}, final=final,
                            finished_at="2026-01-01T00:00:10+00:00", wall_s=4.0),
                [{"epoch": 1, "val_accuracy": 0.8}, {"epoch": 2, "val_accuracy": 0.9}])
    journal.add(TrialRecord(trial="b2", status="diverged", params={"optimizer.lr": 0.1},
                            final={"val_accuracy": None, "val_loss": None}), [])
    study = optuna.load_study(study_name="two", storage=journal_storage(path))
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    first, second = study.trials
    assert first.values == [0.9, 0.3] and first.intermediate_values == {1: 0.8, 2: 0.9}
    assert first.user_attrs["train_loss"] == 0.2 and "val_loss" not in first.user_attrs
    assert (first.datetime_complete - first.datetime_start).total_seconds() == 4.0
    assert second.state == TrialState.FAIL and second.user_attrs["status"] == "diverged"
    assert study.best_trials == [first]
    # the same file for one objective: written for other objectives, so it starts over
    said: list[str] = []
    OptunaJournal(path, study_name="two", objectives=objectives[:1], parameters={},
                  log=said.append)
    assert "starting it over" in said[0]
    assert optuna.load_study(study_name="two", storage=journal_storage(path)).trials == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_optuna_dashboard_serves_the_sweep_from_its_journal(tmp_path: Path) -> None:
    folder = run(tmp_path, HALVING, optuna_journal=True)
    port = free_port()
    dashboard = shutil.which("optuna-dashboard", path=str(Path(sys.executable).parent))
    assert dashboard, "optuna-dashboard is in the dev extras"
    server = subprocess.Popen([dashboard, str(folder / "optuna.journal"), "--host",
                               "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        studies = None
        for _ in range(300):  # a wait for the server to listen, not a timed assertion
            if server.poll() is not None:
                pytest.fail(f"optuna-dashboard exited: {server.stderr.read().decode()}")
            try:
                studies = get_json(f"http://127.0.0.1:{port}/api/studies")
                break
            except OSError:
                time.sleep(0.2)
        assert studies is not None, "optuna-dashboard never answered"
        (study,) = studies["study_summaries"]
        assert study["study_name"] == "small"
        detail = get_json(f"http://127.0.0.1:{port}/api/studies/{study['study_id']}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    records = ResultsReader(folder).records()
    summary = pd.read_csv(folder / "summary.csv", dtype={"trial": str})
    assert len(detail["trials"]) == len(records) == len(summary)
    assert detail["has_intermediate_values"] is True
    assert {p["name"] for p in detail["union_search_space"]} == {"optimizer.lr",
                                                                 "model.hidden"}
    shown = {}
    for trial in detail["trials"]:
        attrs = {a["key"]: a["value"] for a in trial["user_attrs"]}
        shown[attrs["nnrun_trial"]] = trial
    for trial_id, record in records.items():
        trial = shown[trial_id]
        assert trial["state"] == ("Pruned" if record.status == "stopped" else "Complete")
        assert len(trial["intermediate_values"]) == record.epochs_run
        if record.status == "ok":
            assert trial["values"] == [record.final["val_accuracy"]]
        lr = next(p for p in trial["params"] if p["name"] == "optimizer.lr")
        assert float(lr["param_external_value"]) == record.params["optimizer.lr"]
    (best,) = detail["best_trials"]
    assert best["values"] == [max(r.final["val_accuracy"] for r in records.values()
                                  if r.status == "ok")]



def test_sub_spaces_that_sweep_one_key_differently_all_reach_the_journal(tmp_path: Path) -> None:
    lists = [{"optimizer.lr": [0.1, 0.2]},
             {"optimizer.lr": [0.05], "model.activation": ["relu"]}]
    folder = run(tmp_path / "lists", {"sweep.parameters": lists}, optuna_journal=True)
    trials = by_trial(load(folder))
    assert set(trials) == set(ResultsReader(folder).records()) and len(trials) == 3
    assert {t.distributions["optimizer.lr"].choices for t in trials.values()} == {
        (0.1, 0.2, 0.05)}  # the values of both sub-spaces
    # a list in one sub-space, a range in another: no one distribution, so a user attribute
    mixed = [*lists, {"optimizer.lr": {"uniform": [0.01, 0.3]}, "model.hidden": [[4]]}]
    folder = run(tmp_path / "mixed", {"sweep.method": "random", "sweep.samples": 5,
                                      "sweep.parameters": mixed}, optuna_journal=True)
    trials = by_trial(load(folder))
    records = ResultsReader(folder).records()
    assert set(trials) == set(records) and len(trials) >= 4
    for trial_id, trial in trials.items():
        assert "optimizer.lr" not in trial.distributions
        assert trial.user_attrs["optimizer.lr"] == records[trial_id].params["optimizer.lr"]

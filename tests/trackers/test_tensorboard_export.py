"""`nnrun export --to tensorboard`, read back with TensorBoard's EventAccumulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import HALVING, run
from helpers.cli import invoke
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

from nnrun.results.reader import ResultsReader


def read_run(folder: Path) -> EventAccumulator:
    (events,) = folder.glob("events.out.tfevents.*")  # one file: a re-export replaced it
    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return accumulator


def hparams_of(accumulator: EventAccumulator) -> dict[str, plugin_data_pb2.HParamsPluginData]:
    return {tag: plugin_data_pb2.HParamsPluginData.FromString(content)
            for tag, content in accumulator.PluginTagToContent("hparams").items()}


def export(cli, results: Path, logdir: Path) -> str:
    result = invoke(cli, "export", results, "--to", "tensorboard", "--logdir", logdir)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_each_trial_is_a_run_with_its_epochs_and_its_hparams(cli, grid_results: Path,
                                                             tmp_path: Path) -> None:
    said = export(cli, grid_results, tmp_path / "tb")
    assert "4 trial runs" in said and "tensorboard --logdir" in said
    export(cli, grid_results, tmp_path / "tb")  # again: each run rewritten, not doubled
    reader = ResultsReader(grid_results)
    records = reader.records()
    assert {p.name for p in (tmp_path / "tb" / "small").iterdir()} == set(records)
    for trial_id, record in records.items():
        accumulator = read_run(tmp_path / "tb" / "small" / trial_id)
        epochs = reader.metrics(trial_id)
        for column, tag in (("train_loss", "loss/train"), ("val_accuracy", "accuracy/val"),
                            ("grad_norm_2", "grad_norm/layer_2"), ("lr", "lr")):
            scalars = accumulator.Scalars(tag)
            assert [s.step for s in scalars] == list(epochs["epoch"])
            assert [s.value for s in scalars] == pytest.approx(list(epochs[column]), rel=1e-6)
        (final,) = accumulator.Scalars("final/val_accuracy")
        assert final.value == pytest.approx(record.final["val_accuracy"], rel=1e-6)
        plugin = hparams_of(accumulator)
        start = plugin["_hparams_/session_start_info"].session_start_info.hparams
        assert start["model.activation"].string_value == record.params["model.activation"]
        assert start["optimizer.lr"].number_value == record.params["optimizer.lr"]
        assert start["seed"].number_value == record.seed
        experiment = plugin["_hparams_/experiment"].experiment
        assert "final/val_accuracy" in {m.name.tag for m in experiment.metric_infos}
        end = plugin["_hparams_/session_end_info"].session_end_info
        assert end.status == api_pb2.STATUS_SUCCESS


def test_halving_runs_hold_the_epochs_each_trial_trained(cli, tmp_path: Path) -> None:
    results = run(tmp_path, HALVING)
    export(cli, results, tmp_path / "tb")
    for trial_id, record in ResultsReader(results).records().items():
        accumulator = read_run(tmp_path / "tb" / "small" / trial_id)
        assert len(accumulator.Scalars("loss/val")) == record.epochs_run
        start = hparams_of(accumulator)["_hparams_/session_start_info"].session_start_info
        assert json.loads(start.hparams["model.hidden"].string_value) == record.params[
            "model.hidden"]


def test_tensorboard_needs_a_logdir(cli, grid_results: Path) -> None:
    result = invoke(cli, "export", grid_results, "--to", "tensorboard")
    assert result.exit_code == 2 and "needs --logdir" in result.stderr
    result = invoke(cli, "export", grid_results, "--to", "tensorboard", "--uri", "x")
    assert result.exit_code == 2 and "--uri and --experiment are for --to mlflow" in result.stderr

"""k-fold cross-validation in the search: a trial per fold (and repeat), the file's keys checked,
ids of sweeps without folds unchanged, the leaderboard's fold mean, halving ranked by the fold
mean and TPE told the fold mean."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest
from helpers.cli import invoke, run_nnrun

from nnrun.config import load_config_text
from nnrun.errors import ConfigError
from nnrun.results.record import TrialRecord
from nnrun.search import BayesSource, describe_search, expand
from nnrun.search.halving import n_kept

BASE = """\
name: folds
seed: 0
data: {dataset: moons, n_samples: 200, folds: 3}
model: {hidden: [8]}
optimizer: {name: momentum, lr: 0.1}
train: {epochs: 4, dtype: float64}
"""
GRID = BASE + "sweep:\n  parameters:\n    optimizer.lr: [0.03, 0.1, 0.3, 1.0]\n"


def spec_of(text: str):
    return load_config_text(text, "s.yaml")


def errors(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        spec_of(text)
    return caught.value.errors


def summary_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_each_configuration_and_repeat_trains_once_a_fold() -> None:
    trials = expand(spec_of(GRID.replace("seed: 0\n", "seed: 0\nrepeats: 2\n")))
    assert len(trials) == 4 * 2 * 3
    first = trials[:6]
    assert [(t.repeat, t.fold) for t in first] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert {t.params["optimizer.lr"] for t in first} == {0.03}
    assert [t.config["data"]["fold"] for t in first] == [0, 1, 2, 0, 1, 2]
    assert len({t.id for t in trials}) == len({t.seed for t in trials}) == 24


def test_without_folds_the_config_has_no_fold_keys() -> None:
    trial = expand(spec_of(GRID.replace(", folds: 3", "")))[0]
    assert "folds" not in trial.config["data"] and "fold" not in trial.config["data"]
    assert trial.fold is None
    assert "folds" not in spec_of(GRID.replace(", folds: 3", "")).raw["data"]


def test_the_files_fold_keys_are_checked() -> None:
    assert errors(BASE.replace("folds: 3", "folds: 1")) == [
        "s.yaml:3:47: data.folds: found 1; it must be >= 2"]
    assert errors(BASE.replace("folds: 3", "folds: 3, fold: 1")) == [
        "s.yaml:3:56: data.fold: set by nnrun for each fold of data.folds; a file gives "
        "data.folds: k only"]
    swept = BASE + "sweep:\n  parameters:\n    data.folds: [3, 5]\n"
    assert errors(swept) == [
        "s.yaml:9:5: sweep.parameters.data.folds: the folds of cross-validation are how every "
        "configuration is scored, not a setting to compare; give data.folds: k in the data "
        "block"]
    # the folds are the validation sets: val_fraction 0 is fine with them
    assert spec_of(BASE.replace("folds: 3", "folds: 3, val_fraction: 0.0"))


def test_halving_and_bayes_plans_count_the_folds() -> None:
    halving = spec_of(GRID + "  method: halving\n  min_epochs: 1\n")
    assert describe_search(halving, expand(halving)) == (
        "12 trials, successive halving: configurations x epochs per rung 4 x 1, 1 x 3, 1 x 4; "
        "21 epochs in all instead of 48")
    bayes = spec_of(BASE + "sweep:\n  method: bayes\n  samples: 4\n  parameters:\n"
                    "    optimizer.lr: {log_uniform: [0.01, 1.0]}\n")
    assert "4 configurations proposed by TPE in batches of --jobs, 3 folds each" in \
        describe_search(bayes, [])


def test_tpe_is_told_the_mean_over_the_folds() -> None:
    spec = spec_of(BASE + "sweep:\n  method: bayes\n  samples: 3\n  parameters:\n"
                   "    optimizer.lr: {log_uniform: [0.01, 1.0]}\n")
    source = BayesSource(spec, {}, batch_size=1, metric="val_loss", goal="minimize")
    assert source.n_trials == 9
    seen: dict[float, list[int]] = {}
    while (task := source.pop()) is not None:
        fold = task.config["data"]["fold"]
        seen.setdefault(task.params["optimizer.lr"], []).append(fold)
        value = task.params["optimizer.lr"] + fold  # the fold mean is lr + 1
        source.tell(task, TrialRecord(task.trial_id, "ok", final={"val_loss": value}))
    assert source.complete and all(folds == [0, 1, 2] for folds in seen.values())
    told = [(trial.params, trial.value) for trial in source.study.trials]
    assert len(told) == 3
    for _, value in told:
        assert any(value == pytest.approx(lr + 1) for lr in seen)


def test_a_k_fold_sweep_shows_the_mean_and_spread_over_folds(cli, tmp_path: Path) -> None:
    config = tmp_path / "folds.yaml"
    config.write_text(GRID)
    dry = invoke(cli, "sweep", config, "--dry-run")
    assert dry.exit_code == 0 and "12 trials" in dry.stdout
    assert dry.stdout.splitlines()[1].split() == ["trial", "repeat", "fold", "seed",
                                                  "optimizer.lr"]
    result = run_nnrun("sweep", config, "--out", tmp_path / "out", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "folds"
    rows = summary_rows(folder)
    assert len(rows) == 12
    shown = invoke(cli, "show", folder, "--format", "csv")
    assert shown.exit_code == 0, shown.output
    board = list(csv.DictReader(shown.stdout.splitlines()))
    for line in board:
        mine = [float(r["val_accuracy"]) for r in rows if r["optimizer.lr"] == line["optimizer.lr"]]
        assert line["n"] == "3"
        assert float(line["val_accuracy"]) == pytest.approx(statistics.mean(mine))
        assert float(line["val_accuracy_std"]) == pytest.approx(statistics.stdev(mine))
    table = invoke(cli, "show", folder)
    assert "3-fold cross-validation (mean ± std over folds)" in table.stdout


def test_halving_promotes_by_the_mean_over_the_folds(tmp_path: Path) -> None:
    config = tmp_path / "halving.yaml"
    config.write_text(GRID.replace("name: folds", "name: halving") + "  method: halving\n"
                      "  min_epochs: 1\n  reduction_factor: 2\n")
    result = run_nnrun("sweep", config, "--out", tmp_path / "out", "--jobs", "2")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "out" / "halving"
    records = [json.loads(p.read_text()) for p in folder.glob("trials/*/result.json")]
    assert len(records) == 12
    at_rung_0: dict[float, list[float]] = {}
    for record in records:
        value = (record.get("rung_values") or {}).get("0") if record["rung"] > 0 \
            else record["final"]["val_accuracy"]
        at_rung_0.setdefault(record["params"]["optimizer.lr"], []).append(value)
    means = {lr: statistics.mean(values) for lr, values in at_rung_0.items()}
    promoted = {r["params"]["optimizer.lr"] for r in records if r["rung"] > 0}
    ranked = sorted(means, key=lambda lr: -means[lr])
    assert promoted == set(ranked[:n_kept(4, 2)])
    assert all(len(values) == 3 for values in at_rung_0.values())

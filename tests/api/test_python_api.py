"""nnrun.sweep, nnrun.open_results and `best`, from Python."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import helpers.results as fx
import pytest
from helpers.cli import ROOT, invoke
from helpers.configs import SMALL, config_text

import nnrun
from nnrun.errors import NnrunError
from nnrun.views.leaderboard import leaderboard


def test_a_sweep_from_python_and_its_leaderboard(tmp_path: Path, capsys) -> None:
    import yaml

    config = yaml.safe_load(config_text(SMALL, {"train.epochs": 3}))
    results = nnrun.sweep(config, jobs=1, out=tmp_path / "out")
    assert results.path == tmp_path / "out" / "small"
    assert "[4/4]" in capsys.readouterr().err  # a plain line a trial outside a terminal
    opened = nnrun.open_results(tmp_path / "out" / "small")
    board = opened.leaderboard()
    assert len(board) == 4 and list(board.columns[:2]) == ["model.activation", "optimizer.lr"]
    assert sorted(t for ids in board["trials"] for t in ids) == sorted(opened.trials)
    assert board["val_accuracy"].is_monotonic_decreasing
    assert opened.best_trial == board["trials"][0][0]
    assert len(opened.summary) == 4 and set(opened.summary["status"]) == {"ok"}
    assert list(opened.metrics(opened.best_trial)["epoch"]) == [1, 2, 3]
    assert opened.config("best")["model"]["activation"] in ("tanh", "relu")
    model = opened.load_model()
    assert model.trial == opened.best_trial and model.config["train"]["epochs"] == 3


def test_best_is_the_best_repeat_of_the_best_configuration(tmp_path: Path) -> None:
    folder = fx.grid_classification(tmp_path / "grid")  # 6 configurations, 2 repeats each
    results = nnrun.open_results(folder)
    first = leaderboard(folder).table.iloc[0]
    summary = results.summary.set_index("trial")
    repeats = summary.loc[first["trials"], "val_accuracy"]
    assert results.best_trial == repeats.idxmax()


def test_no_best_without_a_scored_trial(tmp_path: Path) -> None:
    folder = fx.write_sweep(tmp_path / "failed", parameters={"optimizer.lr": [0.1]},
                            trials=[{"id": "a" * 10, "params": {"optimizer.lr": 0.1},
                                     "status": "failed", "seed": 0, "history": [],
                                     "final": {}}])
    with pytest.raises(NnrunError, match="no finished trial has a value"):
        nnrun.load_model(folder)


def test_show_lists_trial_ids_and_one_trial(tmp_path: Path, cli) -> None:
    folder = fx.grid_classification(tmp_path / "grid")
    table = invoke(cli, "show", folder, "--format", "csv")
    assert table.exit_code == 0
    import io

    import pandas as pd

    ids = pd.read_csv(io.StringIO(table.stdout))["trials"][0].split()
    assert len(ids) == 2 and set(ids) <= set(nnrun.open_results(folder).trials)
    one = invoke(cli, "show", folder, "--trial", ids[0])
    assert one.exit_code == 0, one.stderr
    text = one.stdout
    assert text.startswith(f"trial {ids[0]}: {folder / 'trials' / ids[0]}")
    for expected in ("status: ok", "swept parameters:", "  model.activation: ",
                     "final metrics:", "  val_accuracy: ", "configuration:", "files:",
                     "  result.json  "):
        assert expected in text
    best = invoke(cli, "show", folder, "--trial", "best")
    assert best.stdout.startswith(f"trial {nnrun.open_results(folder).best_trial} (best)")
    missing = invoke(cli, "show", folder, "--trial", "nope")
    assert missing.exit_code == 2 and "no trial 'nope'" in missing.stderr


def test_import_nnrun_stays_light() -> None:
    code = ("import sys, nnrun; heavy = [m for m in ('numpy', 'pandas', 'nnrun.api', "
            "'nnrun.driver') if m in sys.modules]; print(heavy); "
            "print(callable(nnrun.load_model), 'nnrun.api' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    assert done.stdout.splitlines() == ["[]", "True True"]


def test_a_failed_or_diverged_trial_has_no_model_to_use(tmp_path: Path, cli) -> None:
    folder = fx.random_regression(tmp_path / "reg")
    records = nnrun.open_results(folder).summary
    diverged = records.loc[records["status"] == "diverged", "trial"]
    assert len(diverged)
    result = invoke(cli, "predict", folder, tmp_path / "x.csv", "--trial", diverged.iloc[0])
    assert result.exit_code == 2 and "diverged: its weights are not finite" in result.stderr
    folder = fx.partial(tmp_path / "partial")
    result = invoke(cli, "export", folder, "--trial", "pfailedyyyyy", "--format", "onnx")
    assert result.exit_code == 2 and "failed" in result.stderr and "no trained model" in \
        result.stderr


def test_a_live_bar_in_jupyter_only_where_it_can_be_drawn(monkeypatch) -> None:
    import importlib.util
    import types

    from nnrun.api import run

    assert run._live_in_jupyter() is False  # plain Python
    ZMQInteractiveShell = type("ZMQInteractiveShell", (), {})  # noqa: N806 (a class)
    monkeypatch.setitem(sys.modules, "IPython",
                        types.SimpleNamespace(get_ipython=ZMQInteractiveShell))
    real_find_spec = importlib.util.find_spec
    widgets = {"ipywidgets": True}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: (
        object() if widgets.get(name) else None) if name == "ipywidgets" else real_find_spec(name))
    assert run._live_in_jupyter() is True
    widgets["ipywidgets"] = False
    assert run._live_in_jupyter() is False


def test_a_full_disk_during_a_sweep_from_python_raises(tmp_path: Path, monkeypatch) -> None:
    import errno

    import yaml

    from nnrun.results.store import ResultsStore

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.folder / "summary.csv"))

    monkeypatch.setattr(ResultsStore, "write_summary", full)
    config = yaml.safe_load(config_text(SMALL, {"train.epochs": 2}))
    with pytest.raises(NnrunError, match="No space left on device.*run again to resume"):
        nnrun.sweep(config, jobs=1, out=tmp_path / "out")
    # the sweep stopped at the failed write; the trial trained before it is on disk
    assert list((tmp_path / "out" / "small").glob("trials/*/result.json"))

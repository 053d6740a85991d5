"""The one reader: show, plot, the report and check count a killed sweep the same."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import helpers.results as fx
import numpy as np
import pytest
from typer.testing import CliRunner

from nnrun.check import load_run
from nnrun.cli import app
from nnrun.results.reader import ResultsReader
from nnrun.views.report import render_report
from nnrun.views.sweep import load_sweep

# trial id -> (learning rate, status, in summary.csv): one trial a configuration, so that the
# leaderboard's rows are the trials
TRIALS = {
    "aok000000000": (0.01, "ok", True),
    "bdiverged000": (0.02, "diverged", True),
    "clate0000000": (0.03, "ok", False),     # finished after summary.csv was last written
    "dstopped0000": (0.04, "stopped", False),
    "efailed00000": (0.05, "failed", False),
}
UNFINISHED = ("frunning0000", "gwaiting0000")
LEFT_BEHIND = "zolder000000"  # a trial of an earlier, wider sweep in the same folder


@pytest.fixture
def killed(tmp_path: Path) -> Path:
    """A sweep killed while it ran: two trials in summary.csv, three more with only their
    result.json, one running (a folder without result.json), one not started, and the trial of
    an earlier, wider sweep, with its result.json and its row still in summary.csv."""
    rng = np.random.default_rng(0)
    trials = []
    for trial_id, (lr, status, _) in {**TRIALS, LEFT_BEHIND: (0.5, "ok", True)}.items():
        rows = fx.history(0.5 + lr, 6, 2, task="classification", rng=rng)
        scored = status in ("ok", "stopped")
        trials.append({"id": trial_id, "params": {"optimizer.lr": lr}, "status": status,
                       "seed": 1, "history": rows if status != "failed" else None,
                       "final": fx.finals(rows, "classification") if scored else {},
                       "error": "ValueError: boom" if status == "failed" else None})
    in_summary = {t for t, (_, _, written) in TRIALS.items() if written} | {LEFT_BEHIND}
    folder = fx.write_sweep(tmp_path / "killed", parameters={"optimizer.lr": [0.01, 0.05]},
                            trials=trials, finished=False, unfinished=UNFINISHED,
                            in_summary=in_summary)
    meta = json.loads((folder / "sweep.json").read_text())
    meta["trials"].remove(LEFT_BEHIND)  # the narrower sweep's sweep.json does not list it
    (folder / "sweep.json").write_text(json.dumps(meta))
    (folder / "trials" / UNFINISHED[0]).mkdir()
    (folder / "trials" / UNFINISHED[0] / "config.yaml").write_text("seed: 1\n")
    return folder


def value_of(frame_value: object) -> float | None:
    number = float(frame_value) if frame_value not in (None, "") else math.nan
    return None if math.isnan(number) else round(number, 6)


def from_show(folder: Path) -> dict[float, tuple[str, float | None]]:
    result = CliRunner().invoke(app, ["show", str(folder), "--format", "csv"])
    assert result.exit_code == 0, result.output
    seen = {}
    for row in csv.DictReader(io.StringIO(result.stdout)):
        assert row["n"] == "1"
        status = next((s for s in ("failed", "diverged", "stopped") if row[s] != "0"), "ok")
        seen[float(row["optimizer.lr"])] = (status, value_of(row["val_accuracy"]))
    return seen


def from_plot(folder: Path) -> dict[float, tuple[str, float | None]]:
    summary = load_sweep(folder).summary
    return {lr: (status, value_of(value) if status in ("ok", "stopped") else None)
            for lr, status, value in zip(summary["optimizer.lr"], summary["status"],
                                         summary["val_accuracy"], strict=True)}


def from_check(folder: Path) -> dict[float, tuple[str, float | None]]:
    run = load_run(folder)
    seen = {}
    for configuration in run.configurations.values():
        [status] = configuration.statuses
        seen[configuration.params["optimizer.lr"]] = (status,
                                                      configuration.mean("val_accuracy"))
    return seen


def test_show_plot_report_and_check_count_a_killed_sweep_the_same(killed: Path) -> None:
    lr = {trial: rate for trial, (rate, _, _) in TRIALS.items()}
    sweep = load_sweep(killed)
    values = {trial: value_of(v) if s in ("ok", "stopped") else None
              for trial, s, v in zip(sweep.summary["trial"], sweep.summary["status"],
                                     sweep.summary["val_accuracy"], strict=True)}
    truth = {lr[trial]: (status, values[trial]) for trial, (_, status, _) in TRIALS.items()}
    assert sorted(sweep.summary["trial"]) == sorted(TRIALS)
    assert values["clate0000000"] is not None and values["dstopped0000"] is not None
    assert from_show(killed) == truth
    assert from_plot(killed) == truth
    assert from_check(killed) == truth
    assert sweep.unfinished == list(UNFINISHED)

    report = render_report(sweep, [], killed / "plots")
    assert "| ok | diverged | failed | stopped | not finished | total |" in report
    assert "| 2 | 1 | 1 | 1 | 2 | 7 |" in report
    ranked = re.findall(r"^\| \d+ \| `([^`]+)` \|", report, flags=re.MULTILINE)
    assert sorted(ranked) == ["aok000000000", "clate0000000", "dstopped0000"]
    assert "- `efailed00000`: `ValueError: boom`" in report
    assert LEFT_BEHIND not in report


def test_a_late_trial_reads_exactly_as_its_summary_row(killed: Path) -> None:
    """The trials that finished after summary.csv go through the writer's row: once the
    writer catches up, the reader gives the very same frame."""
    from nnrun.results.store import ResultsStore

    reader = ResultsReader(killed)
    before = reader.summary()
    records = reader.records()
    store = ResultsStore(killed)
    store.write_summary([records[t] for t in before["trial"]], ["optimizer.lr"],
                        "classification")
    after = reader.summary()
    assert after.equals(before), (before, after)
    assert list(after.columns) == next(csv.reader((killed / "summary.csv").open()))


@pytest.mark.parametrize(("recorded", "spaces", "filled"), [
    # a sub-space --set emptied: its trial records no key and is missing none
    ({}, [set(), {"optimizer.lr", "optimizer.betas"}], {}),
    # nested sub-spaces: the one that sweeps exactly the recorded keys is the trial's
    ({"optimizer.lr": 0.1}, [{"optimizer.lr"}, {"optimizer.lr", "optimizer.betas"}], {}),
    # no exact one (a key added to the sweep since): the smallest that holds them all
    ({}, [{"optimizer.lr"}, {"optimizer.lr", "optimizer.betas"}], {"optimizer.lr": 0.1}),
    # fits no sub-space (another sweep's trial): every key its config has
    ({"model.hidden": [4]}, [{"optimizer.lr"}],
     {"optimizer.lr": 0.1, "optimizer.betas": [0.9, 0.99]}),
])
def test_a_trial_gets_only_the_unrecorded_keys_of_its_own_sub_space(
        tmp_path: Path, recorded: dict, spaces: list[set[str]], filled: dict) -> None:
    import yaml

    from nnrun.results.layout import CONFIG_YAML

    reader = ResultsReader(tmp_path)
    path = reader.layout.trial_file("t1", CONFIG_YAML)
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump({"trial": "t1", "params": recorded,
                                    "optimizer": {"lr": 0.1, "betas": [0.9, 0.99]}}))
    assert reader.unrecorded_params("t1", ["optimizer.lr", "optimizer.betas"], spaces) == filled

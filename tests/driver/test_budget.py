"""Budgets (--max-trials, --timeout, sweep.max_trials, sweep.timeout): no new trial after the
budget, the running ones finish (halving: at their rung), the summary is written, a re-run
resumes, and the command exits 0 saying the budget ended the sweep."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers.cli import invoke, run_nnrun
from helpers.configs import SMALL, write_config
from helpers.workers import result_for

from nnrun.config import load_config_text
from nnrun.driver.budget import Budget, BudgetedSource, sweep_budget
from nnrun.errors import ConfigError, NnrunError
from nnrun.execution import Continuation, ListSource, Task
from nnrun.search import HalvingSource, expand
from nnrun.search.halving import rung_epochs
from nnrun.vocabulary import STOPPED, format_duration, parse_duration


def summary_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


# --- durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("1.5h", 5400), ("2d", 172800),
    ("45", 45), (45, 45), (0.5, 0.5), (" 2M ", 120), ("1m 30s", 90),
])
def test_durations_are_read_as_seconds(text, seconds) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10x", "m", "-5s", "0", "0s", "ten minutes", "1h junk",
                                  True, "inf"])
def test_a_bad_duration_is_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_are_written_back_readably() -> None:
    assert [format_duration(s) for s in (2.5, 90, 600, 5400, 3600)] == [
        "2.5s", "1m30s", "10m", "1h30m", "1h"]


# --- where the budget comes from ---------------------------------------------------------------


def test_the_command_line_overrides_the_file() -> None:
    sweep = {"max_trials": 5, "timeout": "1h"}
    assert sweep_budget(sweep) == Budget(5, 3600.0, "sweep.max_trials", "sweep.timeout")
    assert sweep_budget(sweep, 2, "90s") == Budget(2, 90.0)
    assert not sweep_budget({}).limited


def test_a_bad_timeout_on_the_command_line_is_a_usage_error(cli, small_config: Path,
                                                            tmp_path: Path) -> None:
    result = invoke(cli, "sweep", small_config, "--out", tmp_path, "--timeout", "10x")
    assert result.exit_code == 2
    assert "--timeout: '10x' is not a duration; e.g. 90s, 10m" in result.stderr
    assert "Traceback" not in result.stderr
    with pytest.raises(NnrunError, match="at least 1"):
        sweep_budget({}, 0)


@pytest.mark.parametrize(("line", "message"), [
    ("timeout: 10 minutes", "s.yaml:23:12: sweep.timeout: '10 minutes' is not a duration"),
    ("max_trials: 0", "s.yaml:23:15: sweep.max_trials: found 0; it must be >= 1"),
])
def test_a_bad_budget_in_the_file_names_its_line(line: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(SMALL + f"  {line}\n", "s.yaml")
    assert message in str(caught.value)


# --- the source under a budget -----------------------------------------------------------------


def tasks(n: int) -> ListSource:
    return ListSource(Task(f"t{i}", {"seed": i}, {"x": i}) for i in range(n))


def test_max_trials_hands_out_that_many_trials_then_none() -> None:
    source = BudgetedSource(tasks(5), Budget(max_trials=2), started_at=0.0)
    assert [source.pop().trial_id, source.pop().trial_id] == ["t0", "t1"]
    assert source.spent is None
    assert source.pop() is None and source.pop() is None
    assert source.spent == "the trial budget (--max-trials 2) was reached"


def test_timeout_starts_nothing_once_the_time_is_up() -> None:
    now = [0.0]
    source = BudgetedSource(tasks(5), Budget(timeout_s=10, timeout_from="sweep.timeout"),
                            started_at=0.0, clock=lambda: now[0])
    assert source.pop().trial_id == "t0"
    now[0] = 9.99
    assert source.pop().trial_id == "t1"
    now[0] = 10.0
    assert source.pop() is None
    assert source.spent == "the time budget (sweep.timeout 10s) ran out"


def test_a_trial_carried_on_from_its_checkpoint_is_not_a_new_trial() -> None:
    carried = Task("t0", {}, {}, continuation=Continuation(9, checkpoint={"epoch": 3}))
    fresh = Task("t1", {}, {}, continuation=Continuation(3))
    source = BudgetedSource(ListSource([Task("t0", {}, {}), carried, fresh]),
                            Budget(max_trials=1), started_at=0.0)
    assert source.pop().trial_id == "t0" and source.pop() is carried
    assert source.pop() is None and "trial budget" in source.spent


HALVING = """\
name: halving
seed: 1
data: {dataset: moons, n_samples: 200}
model: {hidden: [4]}
optimizer: {name: sgd, lr: 0.1}
train: {epochs: 9}
sweep:
  method: halving
  min_epochs: 1
  parameters:
    optimizer.lr: [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
"""


def test_a_halving_sweep_out_of_time_stops_its_trials_at_their_rung() -> None:
    spec = load_config_text(HALVING, "h.yaml")
    trials = expand(spec)
    rungs = rung_epochs(1, 9, 3)
    records: dict = {}
    halving = HalvingSource(trials, records, rungs=rungs, reduction_factor=3,
                            metric="val_loss", goal="minimize")
    now = [0.0]
    source = BudgetedSource(halving, Budget(timeout_s=60), started_at=0.0, clock=lambda: now[0])
    running = [source.pop(), source.pop()]
    now[0] = 61.0  # the budget runs out while two trials train their first rung
    assert source.pop() is None
    for task in running:
        assert task.continuation.until_epoch == 1 and task.continuation.keep_state
        source.tell(task, task.marked(result_for(task, STOPPED).record))
    assert source.pop() is None and not source.complete
    assert {records[t.trial_id].rung for t in running} == {0}


# --- end to end, as a user runs it --------------------------------------------------------------


def test_max_trials_ends_a_grid_sweep_cleanly_and_a_rerun_goes_on(tmp_path: Path) -> None:
    config = write_config(tmp_path / "small.yaml", SMALL)
    out = tmp_path / "out"
    first = run_nnrun("sweep", config, "--out", out, "--jobs", "1", "--max-trials", "3")
    assert first.returncode == 0, first.stderr
    assert "3 of 4 trials finished (3 ok)" in first.stdout
    assert ("budget: the trial budget (--max-trials 3) was reached, which ended the sweep "
            "before its last trial; run the same command again to go on") in first.stdout
    folder = out / "small"
    assert len(summary_rows(folder)) == 3
    meta = json.loads((folder / "sweep.json").read_text())
    assert meta["finished_at"] is None
    assert meta["budget"] == {"max_trials": 3, "timeout_s": None,
                              "ended": "the trial budget (--max-trials 3) was reached"}
    second = run_nnrun("sweep", config, "--out", out, "--jobs", "1", "--max-trials", "3")
    assert second.returncode == 0, second.stderr
    assert "4 of 4 trials finished (4 ok), 3 of them from an earlier run" in second.stdout
    assert "budget" not in second.stdout
    assert len(summary_rows(folder)) == 4
    assert json.loads((folder / "sweep.json").read_text())["finished_at"] is not None


def test_the_files_budget_applies_and_a_spent_timeout_writes_the_summary(
        tmp_path: Path) -> None:
    config = write_config(tmp_path / "small.yaml", SMALL, {"sweep.max_trials": 1})
    out = tmp_path / "out"
    result = run_nnrun("sweep", config, "--out", out, "--jobs", "2")
    assert result.returncode == 0, result.stderr
    assert "1 of 4 trials finished" in result.stdout
    assert "the trial budget (sweep.max_trials 1) was reached" in result.stdout
    # A timeout far shorter than the checks before training: no trial starts at all.
    late = run_nnrun("sweep", config, "--out", out, "--jobs", "2", "--timeout", "0.001s")
    assert late.returncode == 0, late.stderr
    assert "the time budget (--timeout 0.001s) ran out" in late.stdout
    assert "1 of 4 trials finished (1 ok), 1 of them from an earlier run" in late.stdout
    assert len(summary_rows(out / "small")) == 1


def test_a_bayes_sweep_under_max_trials_resumes_to_the_same_trials(tmp_path: Path) -> None:
    bayes = {"sweep.method": "bayes", "sweep.samples": 4,
             "sweep.parameters": {"optimizer.lr": {"log_uniform": [0.001, 1.0]}}}
    config = write_config(tmp_path / "b.yaml", SMALL, bayes)
    out = tmp_path / "out"
    for _ in range(2):
        step = run_nnrun("sweep", config, "--out", out, "--jobs", "1", "--max-trials", "2")
        assert step.returncode == 0, step.stderr
    assert "4 of 4 trials finished" in step.stdout
    whole = run_nnrun("sweep", config, "--out", tmp_path / "whole", "--jobs", "1")
    assert whole.returncode == 0, whole.stderr

    def table(folder: Path) -> dict[str, str]:
        return {row["trial"]: row["val_loss"] for row in summary_rows(folder)}

    assert table(out / "small") == table(tmp_path / "whole" / "small")

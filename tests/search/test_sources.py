"""The source of a sweep's tasks: what a grid or random sweep keeps from an earlier run, and
what every source tells the driver (order, totals, resumed records, completion)."""

from __future__ import annotations

from helpers.configs import SMALL, spec_of

from nnrun.execution import Task
from nnrun.results.record import TrialRecord
from nnrun.search import FixedSource, HalvingSource, expand, make_source


def test_a_grid_source_keeps_finished_records_and_runs_the_rest_again() -> None:
    spec = spec_of(SMALL)
    trials = expand(spec)
    ok, stopped, failed, other = (TrialRecord(trials[0].id, "ok"),
                                  TrialRecord(trials[1].id, "stopped"),
                                  TrialRecord(trials[2].id, "failed"),
                                  TrialRecord("not-of-this-sweep", "ok"))
    records = {record.trial: record for record in (ok, stopped, failed, other)}
    source = make_source(spec, trials, records, jobs=2, metric="val_accuracy",
                         goal="maximize", base_dir="/data", read_checkpoint=lambda i: None)
    assert isinstance(source, FixedSource)
    assert source.order == [trial.id for trial in trials] and source.n_trials == 4
    assert source.resumed == {trials[0].id: ok, trials[1].id: stopped}
    assert source.total == 2 and not source.complete
    tasks = [source.pop(), source.pop()]
    assert source.pop() is None
    assert [task.trial_id for task in tasks] == [trials[2].id, trials[3].id]
    assert all(task.base_dir == "/data" and task.continuation is None and task.mark is None
               for task in tasks)
    for task in tasks:
        source.tell(task, TrialRecord(task.trial_id, "failed"))
    assert source.complete  # every trial has its record, failed ones included


def test_a_task_marks_the_records_of_its_search_only() -> None:
    spec = spec_of(SMALL, "sweep.method=halving")
    source = make_source(spec, expand(spec), {}, jobs=1, metric="val_accuracy",
                         goal="maximize", base_dir=None, read_checkpoint=lambda i: None)
    assert isinstance(source, HalvingSource)
    task = source.pop()
    record = TrialRecord(task.trial_id, "stopped", epochs_run=task.continuation.until_epoch)
    marked = task.marked(record)
    assert (marked.rung, marked.rung_epochs, marked.rung_values) == (
        0, task.continuation.until_epoch, {})
    assert marked.batch is None and "batch" not in marked.to_json()
    plain = Task("t", {"seed": 0})
    assert plain.marked(record) is record

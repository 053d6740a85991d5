"""The sweep driver: the only writer of the results folder.

:func:`run_sweep` is four steps: the checks before training (:mod:`nnrun.driver.preflight`),
opening the results folder and reading what an earlier run left in it, the source of the tasks
still to run (:mod:`nnrun.search`), and the loop that runs them (:mod:`nnrun.execution`) and
writes each result as it arrives.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnrun import __version__
from nnrun.config import SweepSpec
from nnrun.driver.interrupts import ctrl_c_noted
from nnrun.driver.preflight import Preflight, preflight
from nnrun.driver.progress import SweepProgress
from nnrun.errors import NnrunError
from nnrun.execution import Task, TrialResult, Worker, iter_results, run_task
from nnrun.results.record import TrialRecord
from nnrun.results.store import ResultsStore, utc_now
from nnrun.search import ADAPTIVE, SweepSource, Trial, make_source
from nnrun.vocabulary import FAILED

SUMMARY_EVERY_S = 1.0

Log = Callable[[str], None]


@dataclass
class SweepOutcome:
    """What a sweep run did: where it wrote, and how its trials ended."""

    folder: Path
    n_trials: int
    resumed: int
    counts: Counter = field(default_factory=Counter)
    interrupted: bool = False
    stopped_on_failure: bool = False

    @property
    def failed(self) -> int:
        return self.counts.get(FAILED, 0)


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(spec: SweepSpec, *, out: Path, jobs: int | None = None, backend: str = "loky",
              scheduler: str | None = None, resume: bool = True, fail_fast: bool = False,
              max_failures: int | None = None, live: bool | None = None,
              log: Log | None = None, worker: Worker = run_task) -> SweepOutcome:
    """Run every trial of ``spec`` that has not finished yet and store the results.

    A trial counts as finished when its result.json says ok, diverged or stopped; failed trials
    are run again. Ctrl-C stops the sweep with everything finished on disk (the outcome says
    ``interrupted``); a re-run resumes. ``worker`` trains one task (tests put their own in).
    """
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    jobs = default_jobs() if jobs is None else jobs  # not `or`: --jobs 0 is a mistake
    if jobs < 1:
        raise NnrunError(f"--jobs must be at least 1, not {jobs}")
    # trials on a cluster of your own have its machines' memory, not this one's
    plan = preflight(spec, on_this_machine=scheduler is None)
    store = ResultsStore(Path(out) / spec.name)
    with store.locked():
        if not resume:
            store.clear()
        # What an earlier (or killed) run left: grid and random skip the trials it finished,
        # halving and bayes replay their decisions from its records and checkpoints.
        source = make_source(spec, plan.trials, store.read_results(), jobs=jobs,
                             metric=[metric for metric, _ in plan.objectives],
                             goal=[goal for _, goal in plan.objectives], base_dir=plan.base_dir,
                             read_checkpoint=store.read_checkpoint)
        sweep = _SweepRun(store, spec, plan, source, fail_fast=fail_fast,
                          max_failures=max_failures)
        sweep.begin(resume)
        _say_resuming(log, spec, sweep)
        progress = SweepProgress(source.total, plan.metric, plan.goal, live=live)
        try:
            with progress, ctrl_c_noted() as ctrl_c:
                sweep.run(iter_results(source, jobs=jobs, backend=backend, scheduler=scheduler,
                                       worker=worker, log=log), progress, ctrl_c)
        except KeyboardInterrupt:
            sweep.outcome.interrupted = True
        finally:
            sweep.finish()
    return sweep.outcome


def sweep_meta(spec: SweepSpec, trials: list[Trial], objectives: list[tuple[str, str]],
               task: str) -> dict[str, Any]:
    """sweep.json as a sweep starts: ``metric`` and ``goal`` are the first objective's,
    ``objectives`` lists every one ({metric, goal}, in the file's order)."""
    (metric, goal), = objectives[:1]
    return {"name": spec.name, "nnrun_version": __version__,
            "config_path": str(Path(spec.path).resolve()), "config": spec.raw,
            "method": spec.method, "parameters": list(spec.parameters), "metric": metric,
            "goal": goal, "objectives": [{"metric": m, "goal": g} for m, g in objectives],
            "task": task, "started_at": utc_now(), "finished_at": None,
            "trials": [trial.id for trial in trials]}


def _say_resuming(log: Log, spec: SweepSpec, sweep: _SweepRun) -> None:
    resumed, source = len(sweep.records), sweep.source
    if not resumed:
        return
    if spec.method in ADAPTIVE:
        log(f"resuming {sweep.store.folder}: {resumed} trials have results from an earlier "
            f"run; {source.total} trainings to go")
    else:
        log(f"resuming {sweep.store.folder}: {resumed} of {source.n_trials} trials already "
            f"finished, running {source.n_trials - resumed}")


class _SweepRun:
    """One run of a sweep in its results folder: the records so far (those an earlier run left
    and those written since), sweep.json, and summary.csv rewritten now and then."""

    def __init__(self, store: ResultsStore, spec: SweepSpec, plan: Preflight,
                 source: SweepSource, *, fail_fast: bool, max_failures: int | None) -> None:
        self.store, self.source = store, source
        self.fail_fast, self.max_failures = fail_fast, max_failures
        self.parameters = list(spec.parameters)
        self.task = plan.dataset.task
        self.records: dict[str, TrialRecord] = dict(source.resumed)
        self.meta = sweep_meta(spec, plan.trials, plan.objectives, self.task)
        self.outcome = SweepOutcome(folder=store.folder, n_trials=source.n_trials,
                                    resumed=len(self.records))
        self.last_summary = 0.0

    def begin(self, resume: bool) -> None:
        """sweep.json as the run starts (a resumed sweep keeps its first start time)."""
        previous = self.store.read_sweep()
        if previous and resume and previous.get("started_at"):
            self.meta["started_at"] = previous["started_at"]
        self.store.write_sweep(self.meta)

    def run(self, results: Iterator[tuple[Task, TrialResult]], progress: SweepProgress,
            ctrl_c: threading.Event) -> None:
        """Write each result as it arrives, until the source has no task left, a failure stops
        the sweep (--fail-fast, --max-failures) or Ctrl-C does (KeyboardInterrupt)."""
        try:
            for task, result in results:
                record = self.write(task, result)
                progress.update(record)
                if ctrl_c.is_set():  # its KeyboardInterrupt was swallowed (see interrupts)
                    raise KeyboardInterrupt
                if time.monotonic() - self.last_summary > SUMMARY_EVERY_S:
                    self.write_summary()
                    self.last_summary = time.monotonic()
                if self._stops(record, progress.failed):
                    self.outcome.stopped_on_failure = True
                    break
        finally:
            close = getattr(results, "close", None)
            if close is not None:
                close()
        if ctrl_c.is_set():
            raise KeyboardInterrupt

    def write(self, task: Task, result: TrialResult) -> TrialRecord:
        """Store a trial's result (with what the search noted of its task) and tell the
        source; returns the record as stored."""
        record = self.store.write_trial(task.config, task.marked(result.record),
                                        history=result.history, weights=result.weights,
                                        biases=result.biases, state=result.state)
        self.records[task.trial_id] = record
        self.source.tell(task, record)
        return record

    def _stops(self, record: TrialRecord, failed: int) -> bool:
        return record.status == FAILED and (
            self.fail_fast or (self.max_failures is not None and failed >= self.max_failures))

    def write_summary(self) -> None:
        ordered = [self.records[trial_id] for trial_id in self.source.order
                   if trial_id in self.records]
        self.store.write_summary(ordered, self.parameters, self.task)

    def finish(self) -> None:
        """The last summary.csv and sweep.json: the trial ids, and the end time once every
        trial has its record and the sweep was not interrupted."""
        self.write_summary()
        order = self.source.order
        self.outcome.counts = Counter(self.records[i].status for i in order if i in self.records)
        self.meta["trials"] = list(order)
        if self.source.complete and not self.outcome.interrupted:
            self.meta["finished_at"] = utc_now()
        self.store.write_sweep(self.meta)

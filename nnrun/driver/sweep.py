"""The sweep driver: the only writer of the results folder.

:func:`run_sweep` is four steps: the checks before training (:mod:`nnrun.driver.preflight`),
opening the results folder and reading what an earlier run left in it, the source of the tasks
still to run (:mod:`nnrun.search`), and the loop that runs them (:mod:`nnrun.execution`) and
writes each result as it arrives.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnrun import __version__
from nnrun.config import SweepSpec
from nnrun.driver.budget import Budget, BudgetedSource, sweep_budget
from nnrun.driver.interrupts import Interrupt, ctrl_c_noted
from nnrun.driver.preflight import Preflight, preflight
from nnrun.driver.progress import SweepProgress
from nnrun.errors import NnrunError
from nnrun.execution import Task, TrialResult, Worker, iter_results, run_task, start_workers
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
    write_error: str | None = None  # a write into the folder failed: the sweep stopped there
    signal: int | None = None  # the signal that interrupted it (None: Ctrl-C or none)
    budget_spent: str | None = None  # what ended the sweep early (see nnrun.driver.budget)
    complete: bool = False  # every trial of the sweep has its record (a signal came after)

    @property
    def failed(self) -> int:
        return self.counts.get(FAILED, 0)


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_options(jobs: int | None, backend: str = "loky", scheduler: str | None = None
                  ) -> None:
    """The sweep's options, checked before anything else (``--dry-run`` included): NnrunError
    (exit 2) for a number of jobs below 1, or a scheduler without the dask backend."""
    if jobs is not None and jobs < 1:  # not `or`: --jobs 0 is a mistake
        raise NnrunError(f"--jobs must be at least 1, not {jobs}")
    if scheduler is not None and backend != "dask":
        raise NnrunError("--scheduler is the address of a dask scheduler: it needs "
                         "--backend dask")


class SweepInterrupted(Exception):
    """Ctrl-C, SIGTERM or SIGHUP before the first trial started (in the checks, say): there is
    nothing to save. ``signum`` is the signal (SIGINT for Ctrl-C)."""

    def __init__(self, signum: int | None) -> None:
        self.signum = signum or signal.SIGINT
        super().__init__(f"interrupted by {signal.Signals(self.signum).name}")


def run_sweep(spec: SweepSpec, *, out: Path, jobs: int | None = None, backend: str = "loky",
              scheduler: str | None = None, resume: bool = True, fail_fast: bool = False,
              max_failures: int | None = None, live: bool | None = None,
              log: Log | None = None, worker: Worker = run_task,
              budget: Budget | None = None,
              optuna_journal: bool | None = None) -> SweepOutcome:
    """Run every trial of ``spec`` that has not finished yet and store the results.

    A trial counts as finished when its result.json says ok, diverged or stopped; failed trials
    are run again. Ctrl-C, SIGTERM and SIGHUP stop the sweep with everything finished on disk
    (the outcome says ``interrupted``, and by which signal); a re-run resumes. Interrupted
    before its first trial, it raises :class:`SweepInterrupted`. ``worker`` trains one task
    (tests put their own in).
    ``budget`` (--max-trials, --timeout; by default the file's sweep.max_trials and
    sweep.timeout) ends the run early, with the outcome's ``budget_spent`` saying so; its clock
    starts here. ``optuna_journal`` keeps results/<name>/optuna.journal for optuna-dashboard
    (None: as the file's ``sweep.optuna_journal`` says).
    """
    started_at = time.monotonic()
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    check_options(jobs, backend, scheduler)
    jobs = default_jobs() if jobs is None else jobs
    with ctrl_c_noted() as interrupt:
        try:
            outcome = _run(spec, Path(out), jobs, backend, scheduler, resume, interrupt, log,
                           _SweepOptions(fail_fast, max_failures, live, worker, budget,
                                         optuna_journal, started_at))
        except KeyboardInterrupt:  # before the loop, which catches its own
            raise SweepInterrupted(interrupt.signum) from None
    if interrupt.is_set() and not outcome.interrupted:  # held off in the last bookkeeping
        outcome.interrupted = True
        outcome.signal = None if interrupt.signum == signal.SIGINT else interrupt.signum
    return outcome


@dataclass
class _SweepOptions:
    fail_fast: bool
    max_failures: int | None
    live: bool | None
    worker: Worker
    budget: Budget | None = None
    optuna_journal: bool | None = None
    started_at: float = 0.0  # time.monotonic() when run_sweep began: the budget's clock


def _run(spec: SweepSpec, out: Path, jobs: int, backend: str, scheduler: str | None,
         resume: bool, interrupt: Interrupt, log: Log, options: _SweepOptions) -> SweepOutcome:
    """run_sweep with its signals noted in ``interrupt``: the checks, the folder, the loop."""
    # trials on a cluster of your own have its machines' memory, not this one's
    plan = preflight(spec, on_this_machine=scheduler is None)
    store = ResultsStore(out / spec.name)
    with store.locked():
        store.check_writable()
        if not resume:
            _start_over(store, spec, plan.trials, log)
        # What an earlier (or killed) run left: grid and random skip the trials it finished,
        # halving and bayes replay their decisions from its records and checkpoints.
        earlier = store.read_results() if resume else {}
        budget = options.budget or sweep_budget(spec.raw.get("sweep") or {})
        # On several workers, grid and random start their longest trials first, unless a
        # budget is set: it takes the trials in the order of --dry-run.
        longest_first = plan.costs if jobs > 1 and not budget.limited else None
        source = make_source(spec, plan.trials, earlier, jobs=jobs,
                             metric=[metric for metric, _ in plan.objectives],
                             goal=[goal for _, goal in plan.objectives], base_dir=plan.base_dir,
                             read_checkpoint=store.read_checkpoint, longest_first=longest_first)
        if backend == "loky" and jobs > 1 and source.total:  # not for nothing to train
            start_workers(jobs)  # they start Python and import numpy while the sweep begins
        if budget.limited:
            source = BudgetedSource(source, budget, options.started_at)
        sweep = _SweepRun(store, spec, plan, source, fail_fast=options.fail_fast,
                          max_failures=options.max_failures)
        journal = spec.raw["sweep"].get("optuna_journal") if options.optuna_journal is None \
            else options.optuna_journal
        if journal:
            sweep.journal = _LiveJournal(store, spec, sweep.meta, log)
        _say_takeover(log, spec, store.read_sweep(), sweep)
        try:
            sweep.begin(resume)
        except OSError as error:  # nothing trained yet: a plain error
            raise NnrunError(f"{_write_failure(error)}; fix that or give another --out") from None
        _say_resuming(log, spec, sweep)
        progress = SweepProgress(_expected(source, spec, budget), plan.metric, plan.goal,
                                 live=options.live)
        try:
            with progress:
                sweep.run(iter_results(source, jobs=jobs, backend=backend, scheduler=scheduler,
                                       worker=options.worker, log=log), progress, interrupt)
        except KeyboardInterrupt:
            sweep.outcome.interrupted = True
        finally:
            # whatever finished goes on disk whole: a signal from here on is only noted, and
            # run_sweep reports it (not as one before the first trial)
            interrupt.hold()
            sweep.finish()
    return sweep.outcome


def _expected(source: SweepSource, spec: SweepSpec, budget: Budget | None) -> int:
    """The trainings the progress bar counts to: a grid or random sweep runs at most
    --max-trials of them."""
    if budget is None or budget.max_trials is None or spec.method in ADAPTIVE:
        return source.total
    return min(source.total, budget.max_trials)


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


def _start_over(store: ResultsStore, spec: SweepSpec, trials: list[Trial], log: Log) -> None:
    """``--no-resume``: delete this sweep's trials, so that they are trained again, and keep
    the others in the folder (the trials of other configurations, which a later sweep reuses).

    This sweep's trials are those of its expansion; for bayes, whose trials are proposed as it
    runs, those an earlier run of the same config recorded in sweep.json.
    """
    ids = [trial.id for trial in trials]
    previous = store.read_sweep() or {}
    if spec.method == "bayes" and _same_config(previous.get("config"), spec.raw):
        ids = [str(trial_id) for trial_id in previous.get("trials") or ()]
    try:
        replaced = len(store.forget(ids))
    except OSError as error:
        raise NnrunError(f"--no-resume: cannot delete the earlier trials in {store.folder}: "
                         f"{error.strerror or error}") from None
    # the Optuna journal is derived from this sweep's trials: it starts over with them
    store.layout.optuna_journal.unlink(missing_ok=True)
    kept = len(store.layout.trial_ids())
    said = []
    if replaced:
        said.append(f"deleted the {_n(replaced, 'earlier trial')} of this sweep, to train "
                    f"{'it' if replaced == 1 else 'them'} again")
    if kept:
        said.append(f"kept the {_n(kept, 'trial')} of other configurations (a later sweep "
                    f"with those settings reuses them)")
    if said:
        log(f"--no-resume: {store.folder}: {'; '.join(said)}")


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _same_config(recorded: Any, raw: dict[str, Any]) -> bool:
    """Whether sweep.json's config (read back from JSON) is this spec's."""
    return json.dumps(recorded, sort_keys=True) == json.dumps(raw, sort_keys=True, default=str)


def _say_takeover(log: Log, spec: SweepSpec, previous: dict[str, Any] | None,
                  sweep: _SweepRun) -> None:
    """Say so when the folder held a different sweep (another config file of the same name,
    or this file changed): its summary.csv and sweep.json are replaced, its trials kept."""
    if not previous or not _config_changed(previous, spec.raw):
        return
    before, now = previous.get("config_path"), str(Path(spec.path).resolve())
    what = (f"the sweep of {before}" if before and before != now
            else "an earlier version of this sweep")
    swept = ", ".join(map(str, previous.get("parameters") or [])) or "nothing"
    started = previous.get("started_at") or "at an unknown time"
    log(f"note: {sweep.store.folder} held {what} ({previous.get('method') or 'grid'} over "
        f"{swept}, {len(previous.get('trials') or [])} trials, started {started}); this sweep "
        f"replaces its summary.csv and sweep.json. Its trial folders are kept, and reused "
        f"where a configuration coincides: {len(sweep.records)} of this sweep's "
        f"{sweep.source.n_trials} trials")


def _config_changed(previous: dict[str, Any], raw: dict[str, Any]) -> bool:
    """Whether sweep.json's config (read back from JSON) differs from this spec's."""
    return not _same_config(previous.get("config"), raw)


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


def _with_current_params(records: dict[str, TrialRecord], trials: list[Trial]
                         ) -> dict[str, TrialRecord]:
    """The records an earlier run left, each with the current sweep's params of its trial: a
    trial reused from a sweep that varied other keys recorded other params (summary.csv's row
    must show this sweep's)."""
    params = {trial.id: trial.params for trial in trials}
    return {trial_id: dataclasses.replace(record, params={**record.params, **params[trial_id]})
            if trial_id in params else record for trial_id, record in records.items()}


class _SweepRun:
    """One run of a sweep in its results folder: the records so far (those an earlier run left
    and those written since), sweep.json, and summary.csv rewritten now and then."""

    def __init__(self, store: ResultsStore, spec: SweepSpec, plan: Preflight,
                 source: SweepSource, *, fail_fast: bool, max_failures: int | None) -> None:
        self.store, self.source = store, source
        self.fail_fast, self.max_failures = fail_fast, max_failures
        self.parameters = list(spec.parameters)
        self.task = plan.dataset.task
        self.records: dict[str, TrialRecord] = _with_current_params(source.resumed,
                                                                    plan.trials)
        self.meta = sweep_meta(spec, plan.trials, plan.objectives, self.task)
        self.outcome = SweepOutcome(folder=store.folder, n_trials=source.n_trials,
                                    resumed=len(self.records))
        self.last_summary = 0.0
        self.journal: _LiveJournal | None = None

    def begin(self, resume: bool) -> None:
        """sweep.json as the run starts (a resumed sweep keeps its first start time)."""
        previous = self.store.read_sweep()
        same = previous and not _config_changed(previous, self.meta["config"])
        if same and resume and previous.get("started_at"):
            self.meta["started_at"] = previous["started_at"]
        self.store.write_sweep(self.meta)
        if self.journal is not None:  # what an earlier run left, and the journal lacks
            for trial_id in self.source.order:
                if trial_id in self.records:
                    self.journal.add(self.records[trial_id])

    def run(self, results: Iterator[tuple[Task, TrialResult]], progress: SweepProgress,
            ctrl_c: Interrupt) -> None:
        """Write each result as it arrives, until the source has no task left, a failure stops
        the sweep (--fail-fast, --max-failures) or Ctrl-C, SIGTERM or SIGHUP does
        (KeyboardInterrupt)."""
        try:
            for task, result in results:
                try:
                    with ctrl_c.held_off():  # on disk means in the records, and the summary
                        record = self.write(task, result)
                        if time.monotonic() - self.last_summary > SUMMARY_EVERY_S:
                            self.write_summary()
                            self.last_summary = time.monotonic()
                except OSError as error:  # no permission, a full disk: stop, as Ctrl-C does
                    self.outcome.write_error = _write_failure(error)
                    break
                progress.update(record)
                ctrl_c.raise_if_set()  # held off above, or swallowed (see interrupts)
                if self._stops(record, progress.failed):
                    self.outcome.stopped_on_failure = True
                    break
        finally:
            if ctrl_c.signum not in (None, signal.SIGINT):
                self.outcome.signal = ctrl_c.signum
            close = getattr(results, "close", None)
            if close is not None:
                close()  # the workers are stopped before the last files are written
        ctrl_c.raise_if_set()

    def write(self, task: Task, result: TrialResult) -> TrialRecord:
        """Store a trial's result (with what the search noted of its task) and tell the
        source; returns the record as stored."""
        record = self.store.write_trial(task.config, task.marked(result.record),
                                        history=result.history, weights=result.weights,
                                        biases=result.biases, state=result.state,
                                        model=result.model, scaler=result.scaler)
        self.records[task.trial_id] = record
        if self.journal is not None:
            self.journal.add(record, result.history)
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
        trial has its record (also when a signal came after the last one). A write that fails
        leaves the file as it was (the records are what counts) and is noted in the outcome."""
        order = self.source.order
        self.outcome.counts = Counter(self.records[i].status for i in order if i in self.records)
        self.outcome.complete = self.source.complete
        self.outcome.n_trials = self.source.n_trials  # bayes: known once it has proposed them
        self.meta["trials"] = list(order)
        if self.source.complete and self.outcome.write_error is None:
            self.meta["finished_at"] = utc_now()
        spent = getattr(self.source, "spent", None)
        if spent is not None and not self.source.complete and not self.outcome.interrupted:
            self.outcome.budget_spent = spent
            self.meta["budget"] = {**self.source.budget.to_json(), "ended": spent}
        for write in (self.write_summary, lambda: self.store.write_sweep(self.meta)):
            try:
                write()
            except OSError as error:
                self.outcome.write_error = self.outcome.write_error or _write_failure(error)
        if self.journal is not None:
            self.journal.close(self.source.complete)


def _write_failure(error: OSError) -> str:
    """What the user reads when a write into the results folder fails."""
    where = f"{error.filename}: " if error.filename else ""
    if isinstance(error, FileExistsError | NotADirectoryError):
        return f"cannot write {where}a file is in the way, where nnrun makes a folder"
    return f"cannot write {where}{error.strerror or error}"


class _LiveJournal:
    """The Optuna journal of a sweep (:mod:`nnrun.trackers.optuna_journal`), written as results
    arrive. It is derived from the results: when it cannot be written (a full disk), the sweep
    says so once and goes on without it."""

    def __init__(self, store: ResultsStore, spec: SweepSpec, meta: dict[str, Any],
                 log: Log) -> None:
        from nnrun.trackers import OptunaJournal, sweep_objectives
        from nnrun.trackers.optuna_journal import merged_space

        self.store, self.log = store, log
        path = store.layout.optuna_journal
        try:
            self.journal: OptunaJournal | None = OptunaJournal(
                path, study_name=spec.name, objectives=sweep_objectives(meta),
                parameters=merged_space(spec.spaces), log=log)
        except OSError as error:
            self._give_up(error)
        else:
            log(f"optuna journal: {path} (watch it: optuna-dashboard {path})")

    def _give_up(self, error: Exception) -> None:
        self.journal = None
        self.log(f"warning: cannot write the optuna journal ({error}); the sweep goes on "
                 f"without it")

    def add(self, record: TrialRecord, history: Sequence[dict[str, Any]] | None = None) -> None:
        """Add a trial; ``history`` None: read its metrics.csv when the journal needs it."""
        if self.journal is None or not self.journal.needs(record):
            return
        try:
            self.journal.add(record, self.store.read_history(record.trial)
                             if history is None else history)
        except (OSError, ValueError) as error:  # ValueError: a value Optuna cannot store
            self._give_up(error)

    def close(self, complete: bool) -> None:
        if self.journal is not None:
            try:
                self.journal.close(complete)
            except (OSError, ValueError) as error:
                self._give_up(error)

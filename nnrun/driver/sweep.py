"""The sweep driver: expand, skip what finished, run the rest, write each result as it arrives.

load -> validate -> expand happen before (config.py, sweep.py); this module runs the trials
(runner.py) and is the only writer of the results folder (store.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from nnrun import __version__
from nnrun.data.cache import get_dataset
from nnrun.errors import ConfigError, DataError, NnrunError
from nnrun.execution.backends import iter_results
from nnrun.execution.base import ListSource, Task, TaskSource, Worker
from nnrun.execution.worker import run_task
from nnrun.model import memory_estimate
from nnrun.results.record import TrialRecord
from nnrun.results.store import ResultsStore, utc_now
from nnrun.vocabulary import DONE

SUMMARY_EVERY_S = 1.0


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
        return self.counts.get("failed", 0)


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def inspect_data(trials: list, base_dir: str | None, spec: Any = None) -> dict[str, Any]:
    """Build every distinct data set of the sweep once in the driver: a missing file or bad data
    is reported (exit 2) before any worker starts. Returns them by ``data_key``, in the order
    of the trials.

    A problem caused by one setting names the line of ``spec``'s file that set it.
    """
    seen: dict[str, Any] = {}
    for trial in trials:
        key = data_key(trial.config)
        if key not in seen:
            try:
                seen[key] = get_dataset(trial.config["data"], base_dir)
            except DataError as error:
                if error.key is None or spec is None:
                    raise
                where = _where_set(spec, error.key, trial.params)
                raise DataError(f"{where}: {error}", error.key) from None
    return seen


def data_key(config: dict[str, Any]) -> str:
    return json.dumps(config["data"], sort_keys=True, default=str)


def machine_memory() -> int | None:
    """Bytes of memory this process may use: the machine's, or its container's limit if lower
    (cgroup v2); None where neither can be read."""
    try:
        limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        limit = None
    with contextlib.suppress(OSError, ValueError):
        cgroup = int(Path("/sys/fs/cgroup/memory.max").read_text().strip())  # "max": no limit
        limit = cgroup if limit is None else min(limit, cgroup)
    return limit


def check_memory(spec: Any, trials: list, datasets: dict[str, Any], limit: int | None) -> None:
    """Refuse, naming model.hidden's line, a network too big for ``limit`` bytes: its trials
    could only die out of memory (and take the machine into swap on the way)."""
    if limit is None:
        return
    for trial in trials:
        needed, parameter_bytes, work_bytes = memory_estimate(
            trial.config, datasets[data_key(trial.config)])
        if needed > limit:
            where = _where_set(spec, "model.hidden", trial.params)
            raise ConfigError([
                f"{where}: model.hidden: a trial with hidden layers "
                f"{trial.config['model']['hidden']} needs at least {needed / 2**30:,.1f} GiB, "
                f"more than the {limit / 2**30:,.1f} GiB of this machine: "
                f"{parameter_bytes / 2**30:,.1f} GiB for the weights, their gradient and the "
                f"optimizer's state, {work_bytes / 2**30:,.1f} GiB for every layer's values "
                f"over a batch and over the largest data split; use narrower layers (or, if "
                f"the second part is the large one, less data)"])


def _where_set(spec: Any, key: str, params: dict[str, Any]) -> str:
    """Where the value of ``key`` that a trial used was written: the item of its list under
    sweep.parameters when it is swept over a list, else the key itself ("file" if defaulted)."""
    if key not in spec.parameters:
        return spec.where(key)
    swept = f"sweep.parameters.{key}"
    choices = spec.parameters[key]
    if isinstance(choices, list) and key in params:
        for index, choice in enumerate(choices):
            if choice == params[key] and f"{swept}[{index}]" in spec.locations:
                return spec.where(f"{swept}[{index}]")
    return spec.where(swept)


class Preflight(NamedTuple):
    """What a sweep knows before its first trial: see ``preflight``."""

    trials: list
    base_dir: str
    dataset: Any
    metric: str
    goal: str


def preflight(spec: Any, memory: int | None = None) -> Preflight:
    """Expand the sweep and check everything that can be checked before training: every data
    set loads, the metric fits the task, the loss fits the targets, and, given the ``memory``
    the trials will have (bytes), each network fits in it. Raises NnrunError (exit 2).
    ``nnrun validate`` runs exactly this, so a config it passes does not fail at the start of
    ``nnrun sweep``."""
    from nnrun.search.trials import check_loss, expand, make_trial, resolve_metric

    trials = expand(spec)
    if not trials and spec.method != "bayes":
        raise NnrunError(f"{spec.path}: the sweep has no trials")
    base_dir = str(Path(spec.path).resolve().parent)
    # bayes proposes its trials while it runs: the base config shows the data set
    known = trials or [make_trial(spec, {})]
    datasets = inspect_data(known, base_dir, spec)
    dataset = next(iter(datasets.values()))
    metric, goal = resolve_metric(spec, dataset.task)
    check_loss(spec, trials, dataset.task)
    check_memory(spec, known, datasets, memory)
    return Preflight(trials, base_dir, dataset, metric, goal)


def sweep_meta(spec: Any, trials: list, metric: str, goal: str, task: str) -> dict[str, Any]:
    return {"name": spec.name, "nnrun_version": __version__,
            "config_path": str(Path(spec.path).resolve()), "config": spec.raw,
            "method": spec.method, "parameters": list(spec.parameters), "metric": metric,
            "goal": goal, "task": task, "started_at": utc_now(), "finished_at": None,
            "trials": [trial.id for trial in trials]}


@contextlib.contextmanager
def _ctrl_c_noted() -> Iterator[threading.Event]:
    """Note every Ctrl-C in an Event, and raise KeyboardInterrupt as usual, except inside a
    ``__del__`` (dask's futures have one), where Python would print it and swallow it.

    The driver checks the Event after each result, so that Ctrl-C always stops the sweep. A
    SIGINT that was ignored (a background job) stays ignored.
    """
    noted = threading.Event()
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler or \
            threading.current_thread() is not threading.main_thread():
        yield noted
        return

    def on_sigint(signum: int, frame: Any) -> None:
        noted.set()
        while frame is not None:
            if frame.f_code.co_name == "__del__":
                return
            frame = frame.f_back
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def run_sweep(spec: Any, *, out: Path, jobs: int | None = None, backend: str = "loky",
              scheduler: str | None = None, resume: bool = True, fail_fast: bool = False,
              max_failures: int | None = None, live: bool | None = None,
              log: Callable[[str], None] | None = None, worker: Worker = run_task
              ) -> SweepOutcome:
    """Run every trial of ``spec`` that has not finished yet and store the results.

    A trial counts as finished when its result.json says ok, diverged or stopped; failed trials
    are run again. Ctrl-C stops the sweep with everything finished on disk (the outcome says
    ``interrupted``); a re-run resumes.
    """
    from nnrun.driver.progress import SweepProgress

    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    jobs = default_jobs() if jobs is None else jobs  # not `or`: --jobs 0 is a mistake
    if jobs < 1:
        raise NnrunError(f"--jobs must be at least 1, not {jobs}")
    # trials on a cluster of your own have its machines' memory, not this one's
    memory = machine_memory() if scheduler is None else None
    trials, base_dir, dataset, metric, goal = preflight(spec, memory)

    store = ResultsStore(Path(out) / spec.name)
    with store.locked():
        if not resume:
            store.clear()
        records: dict[str, TrialRecord] = {}
        search = spec.method in ("halving", "bayes")
        if search:
            # Halving and bayes decide what runs next from every result so far, also those of
            # a killed earlier run (rungs reached, checkpoints): see nnrun.search.
            from nnrun.search.adaptive import make_source

            on_disk = store.read_results()
            source: TaskSource = make_source(
                spec, trials, dict(on_disk), jobs=jobs, metric=metric, goal=goal,
                base_dir=base_dir, read_checkpoint=store.read_checkpoint)
            order: list[str] = source.order  # grows as bayes proposes trials
            records.update((i, on_disk[i]) for i in order if i in on_disk)
            n_trials = len(trials) or spec.samples * spec.repeats
            n_tasks = source.total
            if worker is run_task:
                worker = source.worker
        else:
            order = [trial.id for trial in trials]
            for trial in trials:
                record = store.read_result(trial.id)
                if record is not None and record.status in DONE:
                    records[trial.id] = record
            n_trials = len(trials)
            source = ListSource([Task(trial.id, trial.config, trial.params, base_dir)
                                 for trial in trials if trial.id not in records])
            n_tasks = len(source)
        meta = sweep_meta(spec, trials, metric, goal, dataset.task)
        previous = store.read_sweep()
        if previous and resume and previous.get("started_at"):
            meta["started_at"] = previous["started_at"]
        store.write_sweep(meta)
        outcome = SweepOutcome(folder=store.folder, n_trials=n_trials, resumed=len(records))
        if records and search:
            log(f"resuming {store.folder}: {len(records)} trials have results from an earlier "
                f"run; {n_tasks} trainings to go")
        elif records:
            log(f"resuming {store.folder}: {len(records)} of {len(trials)} trials already "
                f"finished, running {len(trials) - len(records)}")
        params = list(spec.parameters)

        def write_summary() -> None:
            ordered = [records[trial_id] for trial_id in order if trial_id in records]
            store.write_summary(ordered, params, dataset.task)

        last_summary = 0.0
        progress = SweepProgress(n_tasks, metric, goal, live=live)
        try:
            with progress, _ctrl_c_noted() as ctrl_c:
                results = iter_results(source, jobs=jobs, backend=backend, scheduler=scheduler,
                                       worker=worker, log=log)
                try:
                    for task, result in results:
                        # what a search source records in result.json (rung reached, ...)
                        result = {**task.extra.get("record", {}), **result}
                        record = store.write_trial(
                            task.config, TrialRecord.from_json(result),
                            history=result.get("history") or [], weights=result.get("weights"),
                            biases=result.get("biases"), state=result.get("state"))
                        records[task.trial_id] = record
                        source.tell(task, result)
                        progress.update(record)
                        if ctrl_c.is_set():  # its KeyboardInterrupt was swallowed (see below)
                            raise KeyboardInterrupt
                        if time.monotonic() - last_summary > SUMMARY_EVERY_S:
                            write_summary()
                            last_summary = time.monotonic()
                        if record.status == "failed" and (
                                fail_fast or (max_failures is not None
                                              and progress.failed >= max_failures)):
                            outcome.stopped_on_failure = True
                            break
                finally:
                    close = getattr(results, "close", None)
                    if close is not None:
                        close()
                if ctrl_c.is_set():
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            outcome.interrupted = True
        finally:
            write_summary()
            outcome.counts = Counter(records[i].status for i in order if i in records)
            complete = (source.complete if search  # type: ignore[attr-defined]
                        else all(t.id in records for t in trials))
            meta["trials"] = list(order)
            if complete and not outcome.interrupted:
                meta["finished_at"] = utc_now()
            store.write_sweep(meta)
    return outcome

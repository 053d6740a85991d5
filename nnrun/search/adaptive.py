"""Search methods that choose what to train next from the results so far.

Both are :class:`nnrun.execution.base.TaskSource` objects: the executors ``pop()`` tasks from
them and the driver ``tell()``s them each result (after writing it). Neither touches the results
folder: the driver hands them the records already on disk and a function that reads a checkpoint.

Successive halving (``method: halving``)
    Rung k trains the surviving configurations to ``min_epochs * reduction_factor**k`` epochs
    (capped at ``max_epochs``) and keeps the best ``1/reduction_factor`` of them (at least one)
    by the sweep's metric and goal; the last rung trains to ``max_epochs``. A promoted trial
    carries on from its checkpoint, so it ends bit-identical to training straight through. The
    halving is synchronous: a rung is decided once all its trials are in, so the outcome does
    not depend on which worker was faster. A trial waits between rungs with status ``stopped``
    and ``epochs_run`` the epoch it reached; if it is not promoted, that is where it ends.

TPE (``method: bayes``)
    Optuna's TPESampler, through ask-and-tell. Proposals come in fixed batches of ``--jobs``:
    a batch is asked only once every trial of the batch before has been told. Fixed batches make
    the proposals reproducible whatever the timing (the same config and ``--jobs`` give the same
    trials), but not across different ``--jobs``: batch b is proposed knowing the results of
    batches 0..b-1 only. With ``early_stop: halving`` each batch is trained rung by rung as above,
    a trial going on past rung k while it is in the best 1/reduction_factor of every trial that
    reached rung k so far; stopped trials are told to the sampler as pruned.

Resume: both sources rebuild their state from the records (result.json) of the results folder.
Each record says which rung it reached (``rung``, ``rung_epochs``) and what the metric was at the
rungs before (``rung_values``); halving replays its promotions from them, TPE replays its
proposals batch by batch (the sampler is seeded and is told the same results in the same order,
so it proposes the same trials again) and runs only what is missing.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from typing import Any

from nnrun.errors import NnrunError
from nnrun.execution.base import Task
from nnrun.results.record import TrialRecord
from nnrun.search.trials import SIGNIFICANT_DIGITS, Trial, canonical_json, make_trial

Record = TrialRecord
ReadCheckpoint = Callable[[str], "dict[str, Any] | None"]


# ---------------------------------------------------------------------------------------------
# Rung arithmetic.


def rung_epochs(min_epochs: int, max_epochs: int, reduction_factor: int) -> list[int]:
    """The epochs each rung trains to: min_epochs * reduction_factor**k below max_epochs, then
    max_epochs. ``rung_epochs(1, 27, 3) == [1, 3, 9, 27]``; ``rung_epochs(2, 20, 3) == [2, 6, 18,
    20]``."""
    if not 1 <= min_epochs <= max_epochs or reduction_factor < 2:
        raise ValueError(f"need 1 <= min_epochs <= max_epochs and reduction_factor >= 2, got "
                         f"{min_epochs}, {max_epochs}, {reduction_factor}")
    epochs = []
    current = min_epochs
    while current < max_epochs:
        epochs.append(current)
        current *= reduction_factor
    return [*epochs, max_epochs]


def n_kept(n_configs: int, reduction_factor: int) -> int:
    """How many of ``n_configs`` go on to the next rung: the best 1/reduction_factor, at least 1."""
    return max(1, n_configs // reduction_factor)


def rung_sizes(n_configs: int, n_rungs: int, reduction_factor: int) -> list[int]:
    """Configurations trained at each rung, when none finishes early."""
    sizes = [n_configs]
    for _ in range(n_rungs - 1):
        sizes.append(n_kept(sizes[-1], reduction_factor))
    return sizes


def default_min_epochs(n_configs: int, max_epochs: int, reduction_factor: int) -> int:
    """The first rung's epochs when ``min_epochs`` is not given: as many rungs as it takes to
    bring ``n_configs`` down to one, the first at max_epochs / reduction_factor**(rungs - 1)."""
    halvings = 0
    while reduction_factor ** (halvings + 1) <= n_configs:
        halvings += 1
    return max(1, max_epochs // reduction_factor**halvings)


def halving_rungs(spec: Any, n_configs: int) -> list[int]:
    """The rung epochs of a sweep: from sweep.min_epochs, max_epochs (default train.epochs) and
    reduction_factor."""
    sweep = spec.raw["sweep"]
    max_epochs = sweep.get("max_epochs") or spec.raw["train"]["epochs"]
    factor = sweep.get("reduction_factor") or 3
    min_epochs = sweep.get("min_epochs") or default_min_epochs(n_configs, max_epochs, factor)
    return rung_epochs(min(min_epochs, max_epochs), max_epochs, factor)


def best_first(values: Sequence[float | None], goal: str) -> list[int]:
    """Indexes of ``values`` from best to worst for ``goal``; a missing or non-finite value is
    worst, and ties keep their order, so the ranking is the same on every run."""
    def key(index: int) -> tuple[int, float, int]:
        value = values[index]
        if value is None or not math.isfinite(value):
            return (1, 0.0, index)
        return (0, -value if goal == "maximize" else value, index)

    return sorted(range(len(values)), key=key)


def mean_value(values: Sequence[float | None]) -> float | None:
    """The mean over a configuration's repeats; None if any of them has no value."""
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return None
    return sum(values) / len(values)  # type: ignore[arg-type]


def rung_value(record: Record | None, rung: int, metric: str) -> tuple[bool, float | None]:
    """Whether a trial's record settles rung ``rung``, and its metric there.

    Settled: the record reached the rung or beyond, or the trial finished (ok, diverged) at an
    earlier rung. A failed record settles its own rung (the caller decides whether to retry it).
    A diverged or failed trial has no value: it ranks last.
    """
    if record is None or record.rung is None:
        return False, None
    reached = record.rung
    status = record.status
    if reached > rung:
        value = (record.rung_values or {}).get(str(rung))
        return True, value
    if reached == rung or status in ("ok", "diverged"):
        if status in ("failed", "diverged"):
            return True, None
        return True, record.final.get(metric)
    return False, None


def config_key(trial: Trial) -> str:
    """Trials of one configuration (its repeats) share this key."""
    return canonical_json(trial.params)


def group_trials(trials: Sequence[Trial]) -> list[list[Trial]]:
    """Trials grouped by configuration, in order of first appearance."""
    groups: dict[str, list[Trial]] = {}
    for trial in trials:
        groups.setdefault(config_key(trial), []).append(trial)
    return list(groups.values())


def record_of(task: Task, result: dict[str, Any]) -> Record:
    """What a source keeps of a result: the part of result.json it decides on."""
    return TrialRecord.from_json({**task.extra.get("record", {}), "trial": task.trial_id,
                                  "status": result.get("status"),
                                  "final": result.get("final") or {},
                                  "wall_s": result.get("wall_s") or 0.0})


# ---------------------------------------------------------------------------------------------
# A bracket: configurations trained rung by rung, the worse ones stopped after each rung.


Keep = Callable[[int, list[float | None]], list[bool]]


class Bracket:
    """Configurations (groups of repeats) trained through ``rungs``; after rung k, ``keep(k,
    values)`` says which go on. Tasks are made from ``records`` (shared with the owner, who keeps
    them up to date): a trial already settled at a rung is not trained again."""

    def __init__(self, groups: list[list[Trial]], rungs: list[int], records: dict[str, Record],
                 *, metric: str, keep: Keep, keep_count: Callable[[int], int],
                 base_dir: str | None, read_checkpoint: ReadCheckpoint,
                 record: dict[str, Any] | None = None) -> None:
        self.groups, self.rungs, self.records = groups, rungs, records
        self.metric, self.keep, self.keep_count = metric, keep, keep_count
        self.base_dir, self.read_checkpoint = base_dir, read_checkpoint
        self.extra_record = record or {}
        self.alive = list(range(len(groups)))
        self.rung = 0
        self.pending: collections.deque[Task] = collections.deque()
        self.outstanding: set[str] = set()
        self.finished = False
        # Failed trials are retried on a re-run, except in a rung that was already decided.
        reached = [self.records[t.id].rung or 0 for group in groups for t in group
                   if t.id in self.records]
        self.decided_below = max(reached, default=0)
        self.retry: set[str] = {t.id for group in groups for t in group
                                if t.id in self.records
                                and self.records[t.id].status == "failed"}
        self._fill()

    def _settled(self, trial: Trial, rung: int) -> bool:
        record = self.records.get(trial.id)
        done, _ = rung_value(record, rung, self.metric)
        if done and record is not None and record.status == "failed" \
                and record.rung == rung and trial.id in self.retry \
                and rung >= self.decided_below:
            return False
        return done

    def group_value(self, index: int, rung: int) -> float | None:
        return mean_value([rung_value(self.records.get(t.id), rung, self.metric)[1]
                           for t in self.groups[index]])

    def _fill(self) -> None:
        """Queue the tasks of the current rung; move on while a rung has nothing left to run."""
        while True:
            tasks = [self._task(trial) for index in self.alive for trial in self.groups[index]
                     if not self._settled(trial, self.rung)]
            if tasks:
                self.pending.extend(tasks)
                self.outstanding = {task.trial_id for task in tasks}
                return
            if self.rung == len(self.rungs) - 1:
                self.finished = True
                return
            values = [self.group_value(index, self.rung) for index in self.alive]
            kept = self.keep(self.rung, values)
            self.alive = [index for index, go_on in zip(self.alive, kept, strict=True) if go_on]
            self.rung += 1

    def _task(self, trial: Trial) -> Task:
        rung = self.rung
        record = self.records.get(trial.id)
        rung_values = {key: value for key, value in ((record and record.rung_values) or {}).items()
                       if int(key) < rung}
        state = None
        if rung > 0 and record is not None and record.rung is not None:
            settled, value = rung_value(record, rung - 1, self.metric)
            if settled:
                rung_values[str(rung - 1)] = value
            state = self.read_checkpoint(trial.id)
            if state is not None and not self.rungs[rung - 1] <= state["epoch"] <= self.rungs[rung]:
                state = None  # not the checkpoint of this rung: train from the start instead
        last = rung == len(self.rungs) - 1
        epochs = int(trial.config["train"]["epochs"])
        until_epoch = epochs if last else min(self.rungs[rung], epochs)
        return Task(trial.id, trial.config, trial.params, self.base_dir, extra={
            "until_epoch": until_epoch, "checkpoint": state, "keep_state": not last,
            "wall_s_before": float(record.wall_s) if state is not None else 0.0,
            "record": {**self.extra_record, "rung": rung, "rung_epochs": until_epoch,
                       "rung_values": rung_values}})

    def pop(self) -> Task | None:
        return self.pending.popleft() if self.pending else None

    def tell(self, task: Task, result: dict[str, Any]) -> None:
        self.records[task.trial_id] = record_of(task, result)
        self.retry.discard(task.trial_id)
        self.outstanding.discard(task.trial_id)
        if not self.outstanding and not self.pending:
            self._fill()

    def remaining(self) -> int:
        """Tasks still to run if nothing finishes early: the current rung's, then later rungs'."""
        alive = len(self.alive)
        total = len(self.outstanding)
        repeats = max((len(group) for group in self.groups), default=1)
        for _ in range(self.rung + 1, len(self.rungs)):
            alive = self.keep_count(alive)
            total += alive * repeats
        return total


# ---------------------------------------------------------------------------------------------
# The sources.


class HalvingSource:
    """Successive halving over a fixed list of trials (a grid or random samples)."""

    def __init__(self, trials: Sequence[Trial], records: dict[str, Record], *, rungs: list[int],
                 reduction_factor: int, metric: str, goal: str, base_dir: str | None = None,
                 read_checkpoint: ReadCheckpoint = lambda trial_id: None) -> None:
        from nnrun.execution.worker import continue_trial

        self.worker = continue_trial
        self.order = [trial.id for trial in trials]
        self.records = records
        self.rungs, self.reduction_factor, self.goal = rungs, reduction_factor, goal

        def keep(rung: int, values: list[float | None]) -> list[bool]:
            best = set(best_first(values, goal)[:n_kept(len(values), reduction_factor)])
            return [index in best for index in range(len(values))]

        self.bracket = Bracket(group_trials(trials), rungs, records, metric=metric, keep=keep,
                               keep_count=lambda n: n_kept(n, reduction_factor),
                               base_dir=base_dir, read_checkpoint=read_checkpoint)
        self.total = self.bracket.remaining()

    @property
    def complete(self) -> bool:
        return self.bracket.finished

    def pop(self) -> Task | None:
        return self.bracket.pop()

    def tell(self, task: Task, result: dict[str, Any]) -> None:
        self.bracket.tell(task, result)


def optuna_distributions(parameters: dict[str, Any]) -> dict[str, Any]:
    """The search space of ``sweep.parameters`` in Optuna's terms. A list or {choice: [...]}
    becomes a categorical over the indexes of its values (values such as [32, 32] are not valid
    Optuna choices); uniform, log_uniform and int_uniform become Float / Int distributions."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    space: dict[str, Any] = {}
    for key, values in parameters.items():
        choices = values if isinstance(values, list) else values.get("choice")
        if choices is not None:
            space[key] = CategoricalDistribution(tuple(range(len(choices))))
            continue
        (name, (low, high)), = values.items()
        if name == "int_uniform":
            space[key] = IntDistribution(int(low), int(high))
        else:
            space[key] = FloatDistribution(float(low), float(high), log=name == "log_uniform")
    return space


def decode_params(parameters: dict[str, Any], proposed: dict[str, Any]) -> dict[str, Any]:
    """A proposal of Optuna as nnrun params: indexes back to the values, floats rounded to
    SIGNIFICANT_DIGITS like random search (a readable table; the sampler keeps its own)."""
    params = {}
    for key, values in parameters.items():
        value = proposed[key]
        choices = values if isinstance(values, list) else values.get("choice")
        if choices is not None:
            value = choices[int(value)]
        elif isinstance(value, float):
            (_, (low, high)), = values.items()
            value = min(max(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), low), high)
        params[key] = value
    return params


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise NnrunError("method bayes needs Optuna: pip install 'nnrun[bayes]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class BayesSource:
    """TPE proposals in fixed batches of ``batch_size``, ``spec.samples`` in all."""

    def __init__(self, spec: Any, records: dict[str, Record], *, batch_size: int, metric: str,
                 goal: str, base_dir: str | None = None,
                 read_checkpoint: ReadCheckpoint = lambda trial_id: None) -> None:
        from nnrun.execution.worker import continue_trial

        optuna = import_optuna()
        self.worker = continue_trial
        self.spec, self.records, self.metric, self.goal = spec, records, metric, goal
        self.batch_size, self.base_dir = batch_size, base_dir
        self.read_checkpoint = read_checkpoint
        self.samples = int(spec.samples)
        sweep = spec.raw["sweep"]
        self.reduction_factor = int(sweep.get("reduction_factor") or 3)
        if sweep.get("early_stop") == "halving":
            self.rungs = halving_rungs(spec, self.samples)
        else:
            self.rungs = [sweep.get("max_epochs") or spec.raw["train"]["epochs"]]
        self.rung_history: dict[int, list[float | None]] = collections.defaultdict(list)
        self.space = optuna_distributions(spec.parameters)
        self.study = optuna.create_study(
            direction=goal, sampler=optuna.samplers.TPESampler(seed=int(spec.seed)))
        self.TrialState = optuna.trial.TrialState
        self.order: list[str] = []
        self.proposed = 0
        self.bracket: Bracket | None = None
        self.asked: list[tuple[Any, list[Trial]]] = []
        self.complete = False
        self._next_batch()
        self.total = (self.bracket.remaining() if self.bracket else 0) + \
            (self.samples - self.proposed) * len(self.rungs) * int(spec.repeats)

    def _keep(self, rung: int, values: list[float | None]) -> list[bool]:
        """Go on past a rung while in the best 1/reduction_factor of all trials that reached it
        (those of earlier batches and this batch)."""
        history = self.rung_history[rung]
        pool = [*history, *values]
        best = set(best_first(pool, self.goal)[:n_kept(len(pool), self.reduction_factor)])
        history.extend(values)
        return [len(history) - len(values) + index in best for index in range(len(values))]

    def _next_batch(self) -> None:
        """Tell the finished batch to the sampler and ask the next; batches already on disk (a
        re-run) are told at once, until one has work left."""
        while True:
            if self.bracket is not None:
                if not self.bracket.finished:
                    return
                self._tell_batch()
                self.bracket = None
            if self.proposed >= self.samples:
                self.complete = True
                return
            size = min(self.batch_size, self.samples - self.proposed)
            self.asked = []
            groups: dict[str, list[Trial]] = {}
            for _ in range(size):
                proposal = self.study.ask(self.space)
                params = decode_params(self.spec.parameters, proposal.params)
                trials = [make_trial(self.spec, params, repeat)
                          for repeat in range(int(self.spec.repeats))]
                # The same configuration proposed twice in a batch is trained once.
                group = groups.setdefault(config_key(trials[0]), trials)
                self.asked.append((proposal, group))
                for trial in group:
                    if trial.id not in self.order:
                        self.order.append(trial.id)
            self.proposed += size
            self.bracket = Bracket(list(groups.values()), self.rungs, self.records,
                                   metric=self.metric, keep=self._keep, keep_count=lambda n: n,
                                   base_dir=self.base_dir, read_checkpoint=self.read_checkpoint,
                                   record={"batch": (self.proposed - size) // self.batch_size,
                                           "batch_size": self.batch_size})

    def _tell_batch(self) -> None:
        for proposal, group in self.asked:
            reached = max(self.records[t.id].rung or 0 for t in group)
            values = {}
            for rung in range(reached + 1):
                value = mean_value([rung_value(self.records.get(t.id), rung, self.metric)[1]
                                    for t in group])
                if value is not None:
                    values[rung] = value
                    proposal.report(value, step=self.rungs[rung])
            statuses = {self.records[t.id].status for t in group}
            if statuses == {"stopped"}:
                self.study.tell(proposal, state=self.TrialState.PRUNED)
            elif reached in values:
                self.study.tell(proposal, values[reached])
            else:
                self.study.tell(proposal, state=self.TrialState.FAIL)

    def pop(self) -> Task | None:
        return self.bracket.pop() if self.bracket is not None else None

    def tell(self, task: Task, result: dict[str, Any]) -> None:
        if self.bracket is None:
            return
        self.bracket.tell(task, result)
        self._next_batch()


def make_source(spec: Any, trials: Sequence[Trial], records: dict[str, Record], *, jobs: int,
                metric: str, goal: str, base_dir: str | None,
                read_checkpoint: ReadCheckpoint) -> HalvingSource | BayesSource:
    """The source of a halving or bayes sweep (see the module docstring).

    For bayes the batch size is the one recorded in earlier results of this folder, if any, so
    that a re-run with another --jobs replays the same proposals.
    """
    if spec.method == "halving":
        rungs = halving_rungs(spec, len(group_trials(trials)))
        return HalvingSource(trials, records, rungs=rungs,
                             reduction_factor=int(spec.raw["sweep"]["reduction_factor"]),
                             metric=metric, goal=goal, base_dir=base_dir,
                             read_checkpoint=read_checkpoint)
    recorded = [r.batch_size for r in records.values() if r.batch_size]
    batch_size = int(recorded[0]) if recorded else jobs
    return BayesSource(spec, records, batch_size=batch_size, metric=metric, goal=goal,
                       base_dir=base_dir, read_checkpoint=read_checkpoint)


def describe_search(spec: Any, trials: Sequence[Trial]) -> str:
    """One line for `nnrun validate`: what a halving or bayes sweep will train. For bayes it
    also checks that Optuna is installed, without importing it."""
    import importlib.util

    sweep = spec.raw["sweep"]
    repeats = int(spec.repeats)
    if spec.method == "bayes":
        if importlib.util.find_spec("optuna") is None:
            raise NnrunError("method bayes needs Optuna: pip install 'nnrun[bayes]'")
        text = (f"{spec.samples} configurations proposed by TPE in batches of --jobs"
                + (f", {repeats} repeats each" if repeats > 1 else ""))
        if sweep.get("early_stop") == "halving":
            rungs = halving_rungs(spec, int(spec.samples))
            text += f", pruned by successive halving at {', '.join(map(str, rungs[:-1]))} epochs"
        return text
    n_configs = len(group_trials(trials))
    rungs = halving_rungs(spec, n_configs)
    factor = int(sweep.get("reduction_factor") or 3)
    sizes = rung_sizes(n_configs, len(rungs), factor)
    plan = ", ".join(f"{n} x {epochs}" for n, epochs in zip(sizes, rungs, strict=True))
    spent = sum(n * (epochs - before) for n, epochs, before
                in zip(sizes, rungs, [0, *rungs[:-1]], strict=True)) * repeats
    return (f"{len(trials)} trials, successive halving: configurations x epochs per rung "
            f"{plan}; {spent} epochs in all instead of {n_configs * repeats * rungs[-1]}")

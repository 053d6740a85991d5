"""Successive halving (``method: halving``): configurations trained rung by rung, the worse ones
stopped after each rung.

Rung k trains the surviving configurations to ``min_epochs * reduction_factor**k`` epochs (capped
at ``max_epochs``) and keeps the best ``1/reduction_factor`` of them (at least one) by the
sweep's metric and goal; the last rung trains to ``max_epochs``. With several objectives
(``metric: [val_accuracy, n_parameters]``) "best" is :func:`nnrun.results.pareto.promotion_order`:
by non-dominated rank, then by crowding distance within the rank (larger first, so the kept
ones stay spread along the front), then by the configuration's place in the sweep; the same
values always promote the same configurations. A promoted trial carries on from
its checkpoint, so it ends bit-identical to training straight through. The halving is
synchronous: a rung is decided once all its trials are in, so the outcome does not depend on
which worker was faster. A trial waits between rungs with status ``stopped`` and ``epochs_run``
the epoch it reached; if it is not promoted, that is where it ends.

Resume: each record says which rung it reached (``rung``, ``rung_epochs``) and what the metric
was at the rungs before (``rung_values``: a number a rung, or with several objectives a
list in the order of ``metric:``); the source replays its promotions from the records of
the results folder and runs only what is missing. It never touches the folder itself: the driver
hands it the records and a function that reads a checkpoint.
"""

from __future__ import annotations

import collections
import math
from collections.abc import Callable, Sequence
from typing import Any

from nnrun.config import SweepSpec
from nnrun.execution.base import Continuation, SearchMark, Task
from nnrun.results.pareto import promotion_order
from nnrun.results.record import TrialRecord
from nnrun.search.trials import Trial, canonical_json
from nnrun.vocabulary import DIVERGED, ENDED, FAILED

ReadCheckpoint = Callable[[str], "dict[str, Any] | None"]
# A configuration's values of the sweep's objectives at a rung (None: it has none, it ranks last).
Point = tuple[float | None, ...] | None


def objective_lists(metric: str | Sequence[str], goal: str | Sequence[str]
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The objectives' metrics and goals as tuples: one name, or a list of them, in order."""
    metrics = (metric,) if isinstance(metric, str) else tuple(metric)
    goals = (goal,) if isinstance(goal, str) else tuple(goal)
    if len(metrics) != len(goals):
        raise ValueError(f"{len(metrics)} metrics but {len(goals)} goals")
    return metrics, goals


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


def halving_rungs(spec: SweepSpec, n_configs: int) -> list[int]:
    """The rung epochs of a sweep: from sweep.min_epochs, max_epochs (default train.epochs) and
    reduction_factor."""
    sweep = spec.raw["sweep"]
    max_epochs = sweep.get("max_epochs") or spec.raw["train"]["epochs"]
    factor = sweep.get("reduction_factor") or 3
    min_epochs = sweep.get("min_epochs") or default_min_epochs(n_configs, max_epochs, factor)
    return rung_epochs(min(min_epochs, max_epochs), max_epochs, factor)


# ---------------------------------------------------------------------------------------------
# Ranking configurations at a rung.


def best_first(values: Sequence[float | None], goal: str) -> list[int]:
    """Indexes of ``values`` from best to worst for ``goal``; a missing or non-finite value is
    worst, and ties keep their order, so the ranking is the same on every run."""
    def key(index: int) -> tuple[int, float, int]:
        value = values[index]
        if value is None or not math.isfinite(value):
            return (1, 0.0, index)
        return (0, -value if goal == "maximize" else value, index)

    return sorted(range(len(values)), key=key)


def best_points_first(points: Sequence[Point], goals: Sequence[str]) -> list[int]:
    """Indexes of ``points`` from best to worst: :func:`best_first` for one objective, else
    :func:`nnrun.results.pareto.promotion_order` (rank, crowding distance, index)."""
    if len(goals) == 1:
        return best_first([None if p is None else p[0] for p in points], goals[0])
    return promotion_order(points, goals)


def mean_value(values: Sequence[float | None]) -> float | None:
    """The mean over a configuration's repeats; None if any of them has no value."""
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return None
    return sum(values) / len(values)  # type: ignore[arg-type]


def mean_point(points: Sequence[Point]) -> Point:
    """The mean over a configuration's repeats, objective by objective; None if any repeat has
    no value of some objective."""
    if not points or any(point is None for point in points):
        return None
    means = tuple(mean_value(values) for values in zip(*points, strict=True))
    return None if any(mean is None for mean in means) else means


def rung_point(record: TrialRecord | None, rung: int, metrics: Sequence[str]
               ) -> tuple[bool, Point]:
    """Whether a trial's record settles rung ``rung``, and its values of ``metrics`` there
    (None if it has none of some metric).

    Settled: the record reached the rung or beyond, or the trial finished (ok, diverged) at an
    earlier rung. A failed record settles its own rung (the caller decides whether to retry it).
    A diverged or failed trial has no value: it ranks last.
    """
    if record is None or record.rung is None:
        return False, None
    if record.rung > rung:
        stored = (record.rung_values or {}).get(str(rung))
        if stored is None:
            return True, None
        point = tuple(stored) if isinstance(stored, list | tuple) else (stored,)
        return True, point if len(point) == len(metrics) else None
    if record.rung == rung or record.status in ENDED:
        if record.status in (FAILED, DIVERGED):
            return True, None
        return True, tuple(record.final.get(metric) for metric in metrics)
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


# ---------------------------------------------------------------------------------------------
# A bracket: configurations trained rung by rung, the worse ones stopped after each rung.


Keep = Callable[[int, list[Point]], list[bool]]


class Bracket:
    """Configurations (groups of repeats) trained through ``rungs``; after rung k, ``keep(k,
    points)`` says which go on (a point: the configuration's values of ``metrics`` there).
    Tasks are made from ``records`` (shared with the owner, who keeps them up to date): a trial
    already settled at a rung is not trained again. ``batch`` and ``batch_size`` (TPE's) go
    into the mark of every task."""

    def __init__(self, groups: list[list[Trial]], rungs: list[int],
                 records: dict[str, TrialRecord], *, metrics: Sequence[str], keep: Keep,
                 keep_count: Callable[[int], int], base_dir: str | None,
                 read_checkpoint: ReadCheckpoint, batch: int | None = None,
                 batch_size: int | None = None) -> None:
        self.groups, self.rungs, self.records = groups, rungs, records
        self.metrics, self.keep, self.keep_count = tuple(metrics), keep, keep_count
        self.base_dir, self.read_checkpoint = base_dir, read_checkpoint
        self.batch, self.batch_size = batch, batch_size
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
                                and self.records[t.id].status == FAILED}
        self._fill()

    def _settled(self, trial: Trial, rung: int) -> bool:
        record = self.records.get(trial.id)
        done, _ = rung_point(record, rung, self.metrics)
        if done and record is not None and record.status == FAILED \
                and record.rung == rung and trial.id in self.retry \
                and rung >= self.decided_below:
            return False
        return done

    def group_value(self, index: int, rung: int) -> Point:
        return mean_point([rung_point(self.records.get(t.id), rung, self.metrics)[1]
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
        """The task that trains ``trial`` to the current rung, from the checkpoint of the rung
        before when there is one."""
        rung = self.rung
        record = self.records.get(trial.id)
        state = self._checkpoint(trial, record)
        last = rung == len(self.rungs) - 1
        epochs = int(trial.config["train"]["epochs"])
        until_epoch = epochs if last else min(self.rungs[rung], epochs)
        continuation = Continuation(
            until_epoch, checkpoint=state, keep_state=not last,
            wall_s_before=float(record.wall_s) if record is not None and state is not None
            else 0.0,
            train_s_before=float(record.train_s or 0.0) if record is not None
            and state is not None else 0.0)
        mark = SearchMark(rung, until_epoch, self._rung_values(record), batch=self.batch,
                          batch_size=self.batch_size)
        return Task(trial.id, trial.config, trial.params, self.base_dir,
                    continuation=continuation, mark=mark)

    def _rung_values(self, record: TrialRecord | None) -> dict[str, Any]:
        """The metric of a trial at each rung before the current one, as far as it got (a list
        of the objectives' values with several)."""
        rung = self.rung
        values = {key: value for key, value in ((record and record.rung_values) or {}).items()
                  if int(key) < rung}
        if rung > 0 and record is not None and record.rung is not None:
            settled, point = rung_point(record, rung - 1, self.metrics)
            if settled:
                values[str(rung - 1)] = (None if point is None else point[0]
                                         if len(point) == 1 else list(point))
        return values

    def _checkpoint(self, trial: Trial, record: TrialRecord | None) -> dict[str, Any] | None:
        """The state to carry on from at the current rung: the checkpoint the trial left at the
        rung before, if it is one of that rung."""
        rung = self.rung
        if rung == 0 or record is None or record.rung is None:
            return None
        state = self.read_checkpoint(trial.id)
        if state is not None and not self.rungs[rung - 1] <= state["epoch"] <= self.rungs[rung]:
            return None  # not the checkpoint of this rung: train from the start instead
        return state

    def pop(self) -> Task | None:
        return self.pending.popleft() if self.pending else None

    def tell(self, task: Task, record: TrialRecord) -> None:
        # marked again: a record told by hand, not through the driver, may lack the mark
        self.records[task.trial_id] = task.marked(record)
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


class HalvingSource:
    """Successive halving over a fixed list of trials (a grid or random samples)."""

    def __init__(self, trials: Sequence[Trial], records: dict[str, TrialRecord], *,
                 rungs: list[int], reduction_factor: int, metric: str | Sequence[str],
                 goal: str | Sequence[str],
                 base_dir: str | None = None,
                 read_checkpoint: ReadCheckpoint = lambda trial_id: None) -> None:
        self.order = [trial.id for trial in trials]
        self.n_trials = len(trials)
        self.records = records
        metrics, goals = objective_lists(metric, goal)
        self.rungs, self.reduction_factor, self.goals = rungs, reduction_factor, goals

        def keep(rung: int, points: list[Point]) -> list[bool]:
            best = set(best_points_first(points, goals)[:n_kept(len(points), reduction_factor)])
            return [index in best for index in range(len(points))]

        self.bracket = Bracket(group_trials(trials), rungs, records, metrics=metrics, keep=keep,
                               keep_count=lambda n: n_kept(n, reduction_factor),
                               base_dir=base_dir, read_checkpoint=read_checkpoint)
        self.total = self.bracket.remaining()
        self.resumed = {trial_id: records[trial_id] for trial_id in self.order
                        if trial_id in records}

    @property
    def complete(self) -> bool:
        return self.bracket.finished

    def pop(self) -> Task | None:
        return self.bracket.pop()

    def tell(self, task: Task, record: TrialRecord) -> None:
        self.bracket.tell(task, record)

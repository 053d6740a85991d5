"""Searches decided up front: the configurations of a grid or random sweep, its trials, and the
source that hands out the ones not finished yet.

- grid: the Cartesian product of the swept values, keys in the order of the file.
- random: ``samples`` distinct configurations drawn with numpy's default_rng seeded by the base
  seed: a list (or {choice: [...]}) uniformly, {uniform: [lo, hi]}, {log_uniform: [lo, hi]}
  (uniform in log space), {int_uniform: [lo, hi]} (both ends included).
- halving: the same configurations as grid when every parameter is a list and ``samples`` is
  not given, else as random; :mod:`nnrun.search.halving` decides how many epochs each rung gets.
- bayes: no configurations up front (``expand`` returns []): TPE proposes them while the sweep
  runs (:mod:`nnrun.search.tpe`).

Each configuration runs ``repeats`` times, and with ``data.folds: k`` each repeat once a fold.

Conditional spaces: ``sweep.parameters`` may be a list of sub-spaces, each a mapping as above
(``spec.spaces``). grid (and halving's grid) takes each sub-space's product in turn, in file
order; random draws a sub-space uniformly, then a configuration in it (with one sub-space, no
draw is spent on the choice, so a sweep of one mapping draws what it always did), and takes
every configuration of every sub-space when they are finite and no more than ``samples`` in all.
Trials are distinct by their resolved configuration: a configuration two sub-spaces both make
(or that model.depth 0 makes whatever model.width) is trained once, where it comes first.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from nnrun.config import SweepSpec
from nnrun.execution.base import ListSource, Task
from nnrun.results.record import TrialRecord
from nnrun.search.trials import Trial, canonical_json, choices_of, configuration_trials
from nnrun.vocabulary import DONE, SIGNIFICANT_DIGITS

Configuration = tuple[int, dict[str, Any]]  # (sub-space index, dotted key -> value)


def configurations(spec: SweepSpec) -> list[Configuration]:
    """The configurations to try, each (its sub-space, dotted key -> value); see the module
    docstring."""
    if spec.method == "bayes":
        return []
    all_lists = all(isinstance(values, list)
                    for space in spec.spaces for values in space.values())
    if spec.method == "grid" or (spec.method == "halving" and all_lists and spec.samples is None):
        return [(index, params) for index, space in enumerate(spec.spaces)
                for params in _grid(space)]
    return _random(spec.spaces, spec.samples or 1, spec.seed)


def expand(spec: SweepSpec) -> list[Trial]:
    """Every trial of a grid, random or halving sweep; [] for bayes (proposed while running).

    Trials come configuration by configuration, the repeats (and folds) of one configuration
    together; a
    configuration made again (by another sub-space, or a model.depth of 0) is left out.
    """
    trials: dict[str, Trial] = {}
    for space, params in configurations(spec):
        for trial in configuration_trials(spec, params, space):
            trials.setdefault(trial.id, trial)
    return list(trials.values())


def _grid(parameters: dict[str, Any]) -> list[dict[str, Any]]:
    keys = list(parameters)
    choices = [choices_of(parameters[key]) for key in keys]
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*choices)]


def _random(spaces: list[dict[str, Any]], samples: int, seed: int) -> list[Configuration]:
    """`samples` distinct configurations (all of them, if there are fewer)."""
    choices = [choices_of(values) for space in spaces for values in space.values()]
    if all(c is not None for c in choices) and sum(
            math.prod(len(choices_of(v)) for v in space.values()) for space in spaces) <= samples:
        return [(index, params) for index, space in enumerate(spaces) for params in _grid(space)]
    import numpy as np  # here, not at the top: `nnrun --help` must stay fast

    rng = np.random.default_rng(seed)
    drawn: dict[str, Configuration] = {}
    # Each draw is distinct with probability >= 1 - samples/space, so 100x is plenty.
    for _ in range(100 * samples):
        index = int(rng.integers(len(spaces))) if len(spaces) > 1 else 0
        params = {key: _draw(values, rng) for key, values in spaces[index].items()}
        drawn.setdefault(canonical_json([index, params] if len(spaces) > 1 else params),
                         (index, params))
        if len(drawn) == samples:
            break
    return list(drawn.values())


def _draw(values: Any, rng: Any) -> Any:
    choices = choices_of(values)
    if choices is not None:
        return copy.deepcopy(choices[int(rng.integers(len(choices)))])
    (name, (lo, hi)), = values.items()
    if name == "int_uniform":
        return int(rng.integers(lo, hi + 1))
    if name == "log_uniform":
        value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    else:
        value = float(rng.uniform(lo, hi))
    # rounded: a readable table, the same search
    value = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return min(max(value, lo), hi)


class FixedSource(ListSource):
    """The trials of a grid or random sweep, less those an earlier run finished: a trial whose
    record says ok, diverged or stopped is kept; a failed one is trained again.

    They are handed out in order, or, with ``longest_first`` (trial id -> estimated training
    work, :func:`nnrun.model.training_cost`), the longest first, ties in order: on several
    workers the last trials to start are then the short ones, and no worker waits at the end for
    one long trial started late (longest-processing-time-first scheduling). A trial's results do
    not depend on when it runs; ``order``, summary.csv's, stays the trials' order.
    """

    def __init__(self, trials: Sequence[Trial], records: dict[str, TrialRecord],
                 base_dir: str | None, longest_first: Mapping[str, float] | None = None) -> None:
        self.order = [trial.id for trial in trials]
        self.n_trials = len(trials)
        self.resumed = {trial.id: records[trial.id] for trial in trials
                        if trial.id in records and records[trial.id].status in DONE}
        to_run = [trial for trial in trials if trial.id not in self.resumed]
        if longest_first is not None:  # sorted() is stable: equal estimates keep their order
            to_run = sorted(to_run, key=lambda trial: -longest_first.get(trial.id, 0.0))
        super().__init__(Task(trial.id, trial.config, trial.params, base_dir)
                         for trial in to_run)
        self.total = len(self)
        self._settled = set(self.resumed)

    def tell(self, task: Task, record: TrialRecord) -> None:
        self._settled.add(task.trial_id)

    @property
    def complete(self) -> bool:
        """Whether every trial has a record (a failed one included)."""
        return all(trial_id in self._settled for trial_id in self.order)

"""TPE (``method: bayes``): Optuna's TPESampler proposes the configurations, through
ask-and-tell.

Proposals come in fixed batches of ``--jobs``: a batch is asked only once every trial of the
batch before has been told. Fixed batches make the proposals reproducible whatever the timing
(the same config and ``--jobs`` give the same trials), but not across different ``--jobs``:
batch b is proposed knowing the results of batches 0..b-1 only. With ``early_stop: halving``
each batch is trained rung by rung as in :mod:`nnrun.search.halving`, a trial going on past rung
k while it is in the best 1/reduction_factor of every trial that reached rung k so far; stopped
trials are told to the sampler as pruned.

Conditional spaces (a list of sub-spaces): define-by-run. Each proposal first picks its
sub-space, as the categorical parameter ``sub-space`` (the index in the list), then the
parameters of that sub-space, each named ``<index>:<dotted key>`` so that a key swept in two
sub-spaces keeps apart what TPE learns of each. A file with one mapping asks exactly as before.

Several objectives (``metric: [val_accuracy, n_parameters]``): the study has ``directions=``,
one a metric, and TPESampler is Optuna's multi-objective TPE (MOTPE); each trial is told the
vector of its configuration's means. Optuna takes no intermediate values for a multi-objective
trial, so with ``early_stop: halving`` the rungs decide alone, by non-dominated rank and crowding
distance (:func:`nnrun.results.pareto.promotion_order`), and a stopped trial is told as pruned.

Resume: the source replays its proposals batch by batch from the records of the results folder
(the sampler is seeded and is told the same results in the same order, so it proposes the same
trials again) and runs only what is missing. Each record notes its batch and the batch size.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any

from nnrun.config import SweepSpec
from nnrun.errors import NnrunError
from nnrun.execution.base import Task
from nnrun.results.record import TrialRecord
from nnrun.search.halving import (
    Bracket,
    Point,
    ReadCheckpoint,
    best_points_first,
    config_key,
    halving_rungs,
    mean_point,
    n_kept,
    objective_lists,
    rung_point,
)
from nnrun.search.trials import Trial, choices_of, configuration_trials, n_folds
from nnrun.vocabulary import SIGNIFICANT_DIGITS, STOPPED

OPTUNA_MISSING = "method bayes needs Optuna: pip install 'nnrun[bayes]'"


def _indexes(choices: list[Any]) -> tuple[Any, ...]:
    return tuple(range(len(choices)))


def optuna_distributions(parameters: dict[str, Any],
                         categories: Callable[[list[Any]], tuple[Any, ...]] = _indexes
                         ) -> dict[str, Any]:
    """The search space of ``sweep.parameters`` in Optuna's terms. A list or {choice: [...]}
    becomes a categorical over ``categories(values)``, by default the indexes of its values
    (values such as [32, 32] are not valid Optuna choices); uniform, log_uniform and int_uniform
    become Float / Int distributions."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    space: dict[str, Any] = {}
    for key, values in parameters.items():
        choices = choices_of(values)
        if choices is not None:
            space[key] = CategoricalDistribution(categories(choices))
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
        choices = choices_of(values)
        if choices is not None:
            value = choices[int(value)]
        elif isinstance(value, float):
            (_, (low, high)), = values.items()
            value = min(max(float(f"{value:.{SIGNIFICANT_DIGITS}g}"), low), high)
        params[key] = value
    return params


SUB_SPACE = "sub-space"  # the Optuna parameter that picks a sub-space


def ask_params(study: Any, spaces: list[dict[str, Any]],
               distributions: list[dict[str, Any]]) -> tuple[Any, int, dict[str, Any]]:
    """Ask ``study`` for one proposal: (Optuna's trial, its sub-space, its nnrun params).
    ``distributions`` are :func:`optuna_distributions` of each sub-space."""
    if len(spaces) == 1:
        proposal = study.ask(distributions[0])
        return proposal, 0, decode_params(spaces[0], proposal.params)
    proposal = study.ask()
    index = int(proposal.suggest_categorical(SUB_SPACE, list(range(len(spaces)))))
    proposed = {key: _suggest(proposal, f"{index}:{key}", distribution)
                for key, distribution in distributions[index].items()}
    return proposal, index, decode_params(spaces[index], proposed)


def _suggest(proposal: Any, name: str, distribution: Any) -> Any:
    """One value of an Optuna distribution, through the trial's public suggest API."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        return proposal.suggest_categorical(name, list(distribution.choices))
    if isinstance(distribution, IntDistribution):
        return proposal.suggest_int(name, distribution.low, distribution.high)
    return proposal.suggest_float(name, distribution.low, distribution.high,
                                  log=distribution.log)


def import_optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise NnrunError(OPTUNA_MISSING) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


class BayesSource:
    """TPE proposals in fixed batches of ``batch_size``, ``spec.samples`` in all."""

    def __init__(self, spec: SweepSpec, records: dict[str, TrialRecord], *, batch_size: int,
                 metric: str | list[str], goal: str | list[str], base_dir: str | None = None,
                 read_checkpoint: ReadCheckpoint = lambda trial_id: None) -> None:
        optuna = import_optuna()
        self.spec, self.records = spec, records
        self.metrics, self.goals = objective_lists(metric, goal)
        self.batch_size, self.base_dir = batch_size, base_dir
        self.read_checkpoint = read_checkpoint
        self.samples = int(spec.samples)
        self.per_configuration = int(spec.repeats) * n_folds(spec)
        sweep = spec.raw["sweep"]
        self.reduction_factor = int(sweep.get("reduction_factor") or 3)
        if sweep.get("early_stop") == "halving":
            self.rungs = halving_rungs(spec, self.samples)
        else:
            self.rungs = [sweep.get("max_epochs") or spec.raw["train"]["epochs"]]
        self.rung_history: dict[int, list[Point]] = collections.defaultdict(list)
        self.distributions = [optuna_distributions(space) for space in spec.spaces]
        self.study = optuna.create_study(
            directions=list(self.goals), sampler=optuna.samplers.TPESampler(seed=int(spec.seed)))
        self.TrialState = optuna.trial.TrialState
        self.order: list[str] = []
        self.proposed = 0
        self.bracket: Bracket | None = None
        self.asked: list[tuple[Any, list[Trial]]] = []
        self.complete = False
        self._next_batch()
        self.total = (self.bracket.remaining() if self.bracket else 0) + \
            (self.samples - self.proposed) * len(self.rungs) * self.per_configuration
        self.resumed = {trial_id: records[trial_id] for trial_id in self.order
                        if trial_id in records}

    @property
    def n_trials(self) -> int:
        """Trials in the whole sweep: those of the distinct configurations proposed so far and
        of the proposals still to come. A configuration TPE proposes again (it will, on a small
        space) is neither trained nor counted again, so once every proposal is made this is
        the number of trials the sweep has."""
        return len(self.order) + (self.samples - self.proposed) * self.per_configuration

    def _keep(self, rung: int, values: list[Point]) -> list[bool]:
        """Go on past a rung while in the best 1/reduction_factor of all trials that reached it
        (those of earlier batches and this batch)."""
        history = self.rung_history[rung]
        pool = [*history, *values]
        order = best_points_first(pool, self.goals)
        best = set(order[:n_kept(len(pool), self.reduction_factor)])
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
            self._ask_batch()

    def _ask_batch(self) -> None:
        """Ask the sampler for the next batch and make its bracket."""
        size = min(self.batch_size, self.samples - self.proposed)
        self.asked = []
        groups: dict[str, list[Trial]] = {}
        for _ in range(size):
            proposal, space, params = ask_params(self.study, self.spec.spaces,
                                                 self.distributions)
            trials = configuration_trials(self.spec, params, space)
            # The same configuration proposed twice in a batch is trained once (and one of an
            # earlier batch again is not trained: its records are there).
            group = groups.setdefault(config_key(trials[0]), trials)
            self.asked.append((proposal, group))
            for trial in group:
                if trial.id not in self.order:
                    self.order.append(trial.id)
        self.proposed += size
        self.bracket = Bracket(list(groups.values()), self.rungs, self.records,
                               metrics=self.metrics, keep=self._keep, keep_count=lambda n: n,
                               base_dir=self.base_dir, read_checkpoint=self.read_checkpoint,
                               batch=(self.proposed - size) // self.batch_size,
                               batch_size=self.batch_size)

    def _tell_batch(self) -> None:
        single = len(self.metrics) == 1
        for proposal, group in self.asked:
            reached = max(self.records[t.id].rung or 0 for t in group)
            values = {}
            for rung in range(reached + 1):
                point = mean_point([rung_point(self.records.get(t.id), rung, self.metrics)[1]
                                    for t in group])
                if point is not None:
                    values[rung] = point
                    if single:  # Optuna keeps intermediate values of one objective only
                        proposal.report(point[0], step=self.rungs[rung])
            statuses = {self.records[t.id].status for t in group}
            if statuses == {STOPPED}:
                self.study.tell(proposal, state=self.TrialState.PRUNED)
            elif reached in values:
                self.study.tell(proposal, values[reached][0] if single else list(values[reached]))
            else:
                self.study.tell(proposal, state=self.TrialState.FAIL)

    def pop(self) -> Task | None:
        return self.bracket.pop() if self.bracket is not None else None

    def tell(self, task: Task, record: TrialRecord) -> None:
        if self.bracket is None:
            return
        self.bracket.tell(task, record)
        self._next_batch()

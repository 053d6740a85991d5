"""The source of a sweep's tasks, whatever its method: what the driver runs, and what
``nnrun validate`` says a halving or bayes sweep will train."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from nnrun.config import SweepSpec
from nnrun.errors import NnrunError
from nnrun.execution.base import TaskSource
from nnrun.results.record import TrialRecord
from nnrun.search.fixed import FixedSource
from nnrun.search.halving import (
    HalvingSource,
    ReadCheckpoint,
    group_trials,
    halving_rungs,
    rung_sizes,
)
from nnrun.search.tpe import OPTUNA_MISSING, BayesSource
from nnrun.search.trials import Trial, n_folds

# The methods that decide what runs next from the results so far.
ADAPTIVE = ("halving", "bayes")


class SweepSource(TaskSource, Protocol):
    """A :class:`~nnrun.execution.base.TaskSource` for a whole sweep, as the driver sees it."""

    order: list[str]  # the sweep's trial ids in summary.csv's order (bayes: grows as it asks)
    n_trials: int  # trials in the whole sweep
    total: int  # trainings still to run if none ends early
    resumed: dict[str, TrialRecord]  # the records of an earlier run that this run keeps

    @property
    def complete(self) -> bool:
        """Whether every trial of the sweep has its record."""


def make_source(spec: SweepSpec, trials: Sequence[Trial], records: dict[str, TrialRecord], *,
                jobs: int, metric: str | Sequence[str], goal: str | Sequence[str],
                base_dir: str | None,
                read_checkpoint: ReadCheckpoint,
                longest_first: Mapping[str, float] | None = None) -> SweepSource:
    """The source of a sweep's tasks, given ``records`` (result.json, by trial id) of an earlier
    run in the same folder: grid and random run their trials not finished yet, halving and bayes
    rebuild their state from the records (see their modules). ``metric`` and ``goal``: one
    objective, or the lists of several (in the order of the file's ``metric:``).

    For bayes the batch size is the one recorded in earlier results of this folder, if any, so
    that a re-run with another --jobs replays the same proposals.

    ``longest_first`` (trial id -> estimated training work) has grid and random hand out their
    trials longest first (see :class:`FixedSource`); without it they go in the trials' order.
    """
    if spec.method not in ADAPTIVE:
        return FixedSource(trials, records, base_dir, longest_first=longest_first)
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


def describe_search(spec: SweepSpec, trials: Sequence[Trial]) -> str:
    """One line for `nnrun validate`: what a halving or bayes sweep will train. For bayes it
    also checks that Optuna is installed, without importing it."""
    import importlib.util

    sweep = spec.raw["sweep"]
    repeats = int(spec.repeats) * n_folds(spec)  # trainings of one configuration
    if spec.method == "bayes":
        if importlib.util.find_spec("optuna") is None:
            raise NnrunError(OPTUNA_MISSING)
        text = (f"{spec.samples} configurations proposed by TPE in batches of --jobs"
                + _each(spec))
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


def _each(spec: SweepSpec) -> str:
    """", 3 repeats each", ", 5 folds each", ", 3 repeats x 5 folds each" or ""."""
    parts = [f"{n} {word}" for n, word in ((int(spec.repeats), "repeats"),
                                              (n_folds(spec), "folds")) if n > 1]
    return f", {' x '.join(parts)} each" if parts else ""

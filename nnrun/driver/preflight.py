"""What a sweep checks before its first trial: it expands, every data set loads, the metric fits
the task, the loss fits the targets, and each network fits in the memory of the machine it runs
on. ``nnrun validate`` runs exactly this, so a config it passes does not fail at the start of
``nnrun sweep``; either raises NnrunError (exit 2), naming the line of the file at fault."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from nnrun.config import SweepSpec
from nnrun.data import Dataset
from nnrun.data.cache import get_dataset
from nnrun.errors import ConfigError, DataError, NnrunError
from nnrun.model import memory_estimate, training_cost
from nnrun.search import Trial, check_loss, expand, make_trial, resolve_objectives
from nnrun.vocabulary import data_key


class Preflight(NamedTuple):
    """What a sweep knows before its first trial: see ``preflight``."""

    trials: list[Trial]  # [] for bayes: its trials are proposed while it runs
    base_dir: str  # the config file's folder: relative data paths start there
    dataset: Dataset  # the first data set, which tells the task
    metric: str  # the first objective's: what progress shows
    goal: str
    objectives: list[tuple[str, str]]  # every (metric, goal), in the order of `metric:`
    costs: dict[str, float]  # trial id -> its estimated training work (model.training_cost)


def preflight(spec: SweepSpec, on_this_machine: bool = True) -> Preflight:
    """Expand the sweep and check everything that can be checked before training (see the
    module docstring). ``on_this_machine``: the trials run here, so each network must fit in
    this machine's memory; on a dask cluster of your own they have its machines' memory."""
    trials = expand(spec)
    if not trials and spec.method != "bayes":
        raise NnrunError(f"{spec.path}: the sweep has no trials")
    base_dir = str(Path(spec.path).resolve().parent)
    # bayes proposes its trials while it runs: the base config shows the data set
    known = trials or [make_trial(spec, {})]
    datasets = inspect_data(known, base_dir, spec)
    dataset = next(iter(datasets.values()))
    objectives = resolve_objectives(spec, dataset.task)
    check_loss(spec, trials, dataset.task)
    if on_this_machine:
        check_memory(spec, known, datasets, machine_memory(), base_dir)
    (metric, goal), = objectives[:1]
    costs = {trial.id: training_cost(trial.config, datasets[data_key(trial.config["data"],
                                                                     base_dir)])
             for trial in trials}
    return Preflight(trials, base_dir, dataset, metric, goal, objectives, costs)


def inspect_data(trials: Sequence[Trial], base_dir: str | None, spec: SweepSpec | None = None
                 ) -> dict[str, Dataset]:
    """Build every distinct data set of the sweep once in the driver: a missing file or bad data
    is reported (exit 2) before any worker starts. Returns them by ``data_key``, in the order
    of the trials.

    With ``spec``, every data set that cannot be used is reported, in one DataError of one
    line each, at the line of ``spec``'s file that chose it (the item of a swept list of files,
    say); without it, the first problem is raised as it is.
    """
    seen: dict[str, Dataset] = {}
    problems: dict[str, str] = {}  # data key -> the located message
    for trial in trials:
        key = data_key(trial.config["data"], base_dir)
        if key in seen or key in problems:
            continue
        try:
            seen[key] = get_dataset(trial.config["data"], base_dir, fresh=True)
        except DataError as error:
            if spec is None:
                raise
            problems[key] = _located(spec, error, trial.params, trial.space)
    if problems:
        raise DataError("\n".join(problems.values()))
    return seen


def _located(spec: SweepSpec, error: DataError, params: dict[str, Any],
             space: int = 0) -> str:
    """A data problem at the line of the setting to blame: the one the error names, or, when
    that is not swept, the swept data setting that chose this data set (data.path first)."""
    key = error.key
    swept = [k for k in params if k == "data" or k.startswith("data.")]
    values = spec.spaces[space] if space < len(spec.spaces) else {}
    if key not in values and swept:
        key = "data.path" if "data.path" in swept else swept[0]
    if key is None:
        return str(error)
    where, name = _set_at(spec, key, params, space)
    if where.endswith(name) or str(error).startswith(key):  # "--set data.path", the key said
        return f"{where}: {error}"
    return f"{where}: {name}: {error}"


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


def check_memory(spec: SweepSpec, trials: Sequence[Trial], datasets: dict[str, Dataset],
                 limit: int | None, base_dir: str | None) -> None:
    """Refuse, naming model.hidden's line, a network too big for ``limit`` bytes: its trials
    could only die out of memory (and take the machine into swap on the way). ``datasets`` are
    :func:`inspect_data`'s."""
    if limit is None:
        return
    for trial in trials:
        needed, parameter_bytes, work_bytes = memory_estimate(
            trial.config, datasets[data_key(trial.config["data"], base_dir)])
        if needed > limit:
            where = _where_set(spec, "model.hidden", trial.params, trial.space)
            raise ConfigError([
                f"{where}: model.hidden: a trial with hidden layers "
                f"{trial.config['model']['hidden']} needs at least {needed / 2**30:,.1f} GiB, "
                f"more than the {limit / 2**30:,.1f} GiB of this machine: "
                f"{parameter_bytes / 2**30:,.1f} GiB for the weights, their gradient and the "
                f"optimizer's state, {work_bytes / 2**30:,.1f} GiB for every layer's values "
                f"over a batch and over the largest data split; use narrower layers (or, if "
                f"the second part is the large one, less data)"])


def _where_set(spec: SweepSpec, key: str, params: dict[str, Any], space: int = 0) -> str:
    """Where the value of ``key`` that a trial (of sub-space ``space``) used was written: the
    item of its list under sweep.parameters when it is swept over a list, else the key itself
    ("file" if defaulted)."""
    return _set_at(spec, key, params, space)[0]


def _set_at(spec: SweepSpec, key: str, params: dict[str, Any],
            space: int = 0) -> tuple[str, str]:
    """:func:`_where_set`'s place, and the name of the setting there, as a config error names
    it (``sweep.parameters.data.path[2]``, ``sweep.parameters[1].optimizer.lr``,
    ``data.target``)."""
    values = spec.spaces[space] if space < len(spec.spaces) else {}
    if key not in values:
        return spec.where(key), key
    swept = f"{spec.space_key(space)}.{key}"
    choices = values[key]
    if isinstance(choices, list) and key in params:
        for index, choice in enumerate(choices):
            if choice == params[key] and f"{swept}[{index}]" in spec.locations:
                return spec.where(f"{swept}[{index}]"), f"{swept}[{index}]"
    return spec.where(swept), swept

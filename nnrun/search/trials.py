"""Trials: one configuration and seed each, with the id that names it, and the checks a sweep's
metric and loss must pass once its data set is known.

A trial's seed is a hash of the base seed, the configuration and the repeat index; its id is a
hash of its whole resolved config, seed included: same config, same id, on any machine and any
Python (canonical JSON, SHA-256). With halving (or bayes with ``early_stop: halving``) a trial's
train.epochs is sweep.max_epochs if given.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nnrun.config import TRIAL_SECTIONS, SweepSpec, set_dotted, validate_trial_config
from nnrun.config.shape import apply_shape
from nnrun.errors import ConfigError
from nnrun.vocabulary import format_value


@dataclass(frozen=True)
class Trial:
    """One network to train: a configuration and a seed."""

    id: str  # first 10 hex digits of the SHA-256 of the canonical JSON of `config`
    seed: int  # == config["seed"]
    repeat: int  # 0 .. repeats-1
    params: dict[str, Any]  # dotted key -> the value swept, in the order of the file
    config: dict[str, Any]  # seed, data, model, loss, optimizer, train: fully resolved
    space: int = 0  # the sub-space of sweep.parameters it comes from (0 for a single mapping)
    fold: int | None = None  # with data.folds: k, the fold it validates on (0 .. k-1)

    def __hash__(self) -> int:
        return hash(self.id)


def canonical_json(value: Any) -> str:
    """The one text of a value that hashes agree on: sorted keys, no spaces, ASCII only."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def trial_seed(base_seed: int, config: dict[str, Any], repeat: int) -> int:
    """A seed in [0, 2**31) from the base seed, the configuration (without its seed) and repeat."""
    without_seed = {key: value for key, value in config.items() if key != "seed"}
    text = f"{base_seed}|{canonical_json(without_seed)}|{repeat}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 2**31


def trial_id(config: dict[str, Any]) -> str:
    """The first 10 hex digits of the SHA-256 of the canonical JSON of a resolved trial config."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:10]


def choices_of(values: Any) -> list[Any] | None:
    """The finite list of values of a swept parameter (a list, or ``{choice: [...]}``), or None
    for a continuous distribution (``{uniform: [lo, hi]}``, ``log_uniform``, ``int_uniform``)."""
    if isinstance(values, list):
        return values
    return values.get("choice")


def make_trial(spec: SweepSpec, params: dict[str, Any], repeat: int = 0, space: int = 0,
               fold: int = 0) -> Trial:
    """The trial that runs the base config with `params` (of sub-space ``space``) substituted,
    for one repeat (and, with data.folds, one fold: ``data.fold`` in its config, so each fold
    has its own id and seed); model.depth and model.width become model.hidden
    (nnrun.config.shape).

    ``data.seed`` defaults to the base seed, so every trial of a sweep sees the same data split.
    Raises ConfigError if the combination is not a valid configuration (each value on its own
    was checked by the loader, but two swept values can still clash).
    """
    config = {key: copy.deepcopy(spec.raw[key]) for key in TRIAL_SECTIONS}
    if config["data"].get("seed") is None:
        config["data"]["seed"] = spec.seed
    if config["data"].get("folds") is not None:
        config["data"]["fold"] = fold
    where = spec.space_key(space)
    try:
        for key, value in apply_shape(config, params).items():
            set_dotted(config, key, value)
    except ValueError as error:
        raise ConfigError([f"{spec.where(where)}: {where}: {error}"]) from None
    sweep = spec.raw.get("sweep") or {}
    halving = spec.method == "halving" or sweep.get("early_stop") == "halving"
    if halving and sweep.get("max_epochs"):
        # The epochs a trial gets at most: also the learning-rate schedule's horizon, so that a
        # trial trained rung by rung ends as if trained straight through (and has that id).
        config["train"]["epochs"] = sweep["max_epochs"]
    try:
        config = validate_trial_config(config)
    except ConfigError as error:
        located = spec.where(where) if where != "sweep.parameters" else str(spec.path)
        raise ConfigError([
            f"{located}: {where}: the combination {format_value(params, 'null')} is "
            f"not a valid configuration: {message}" for message in error.errors
        ]) from None
    del config["seed"]
    seed = trial_seed(spec.seed, config, repeat)
    config = {"seed": seed, **config}
    return Trial(id=trial_id(config), seed=seed, repeat=repeat, params=copy.deepcopy(params),
                 config=config, space=space, fold=config["data"].get("fold"))


def n_folds(spec: SweepSpec) -> int:
    """The trials of one configuration and repeat: data.folds, or 1 without cross-validation."""
    return int(spec.raw["data"].get("folds") or 1)


def configuration_trials(spec: SweepSpec, params: dict[str, Any], space: int = 0
                         ) -> list[Trial]:
    """The trials of one configuration: each repeat, and with data.folds each fold of it."""
    return [make_trial(spec, params, repeat, space, fold)
            for repeat in range(int(spec.repeats)) for fold in range(n_folds(spec))]


def resolve_objectives(spec: SweepSpec, task: str) -> list[tuple[str, str]]:
    """The (metric, goal) pairs to rank trials by, once the task (classification | regression)
    is known: :meth:`SweepSpec.objectives`, checked against the task."""
    objectives = spec.objectives(task)
    for metric, _ in objectives:
        if metric.endswith("_accuracy") and task != "classification":
            raise ConfigError([
                f"{spec.where('metric')}: metric: {metric!r} needs a classification task, and "
                f"this data set is {task}; use a loss, e.g. val_loss"
            ])
    return objectives


def check_loss(spec: SweepSpec, trials: Iterable[Trial], task: str) -> None:
    """Raise ConfigError when a trial would train cross_entropy on a regression data set (a
    numeric target: its "probabilities" would be the raw targets and the cost goes negative).
    ``trials`` is [] for bayes: then the base loss and the swept losses are checked."""
    if task != "regression":
        return
    losses = {trial.config["loss"] for trial in trials}
    if spec.method == "bayes":
        for space in spec.spaces:
            swept = space.get("loss")
            losses |= set(choices_of(swept) or []) if swept is not None else {spec.raw.get("loss")}
    if "cross_entropy" in losses:
        key = _cross_entropy_key(spec)
        raise ConfigError([
            f"{spec.where(key)}: {key}: cross_entropy needs a classification task, and this "
            f"data set is regression (its target holds numbers, not classes); use loss: mse, or "
            f"set data.task: classification if the numbers are class labels"
        ])


def _cross_entropy_key(spec: SweepSpec) -> str:
    """Where the file asks for cross_entropy, as messages name it: the first sub-space that
    sweeps it (``sweep.parameters[1].loss[0]``, ``sweep.parameters.loss.choice[1]``), else the
    base ``loss``."""
    for index, space in enumerate(spec.spaces):
        swept = space.get("loss")
        choices = choices_of(swept) if swept is not None else None
        if choices and "cross_entropy" in choices:
            key = f"{spec.space_key(index)}.loss"
            item = f"{key}{'' if isinstance(swept, list) else '.choice'}" \
                   f"[{choices.index('cross_entropy')}]"
            return item if item in spec.locations else key
    return "loss"


def describe_trials(trials: Iterable[Trial], parameters: Iterable[str]) -> list[dict[str, Any]]:
    """Rows for ``nnrun sweep --dry-run``: trial, repeat, (with data.folds) fold, seed, then
    one column per swept key ("-" where the trial's sub-space does not sweep it: the base file's
    value)."""
    keys = list(parameters)
    return [
        {"trial": trial.id, "repeat": trial.repeat,
         **({"fold": trial.fold} if trial.fold is not None else {}), "seed": trial.seed,
         **{key: format_value(trial.params[key], 'null') if key in trial.params else "-"
            for key in keys}}
        for trial in trials
    ]

"""The entry points: a sweep file in, a SweepSpec out (or every problem of the file at once).

    text --safe YAML reader--> plain python + where each key was written
         --``--set KEY=VALUE`` overrides--> --pydantic models, swept values--> SweepSpec
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nnrun.config._check import Checker
from nnrun.config._messages import explain
from nnrun.config._yaml import Reader
from nnrun.config.dotted import dotted_name
from nnrun.config.schema import TOP_KEYS, ConfigFile, TrialConfig, dump
from nnrun.errors import ConfigError, NnrunError
from nnrun.vocabulary import default_goal


@dataclass
class SweepSpec:
    """A checked config file. ``raw`` is the whole file with defaults, plain JSON-able python."""

    path: Path
    name: str
    raw: dict[str, Any]
    method: str
    # every swept dotted key -> its list of values or {distribution: [...]}, in file order; for a
    # list of sub-spaces, each key as its first sub-space sweeps it (the columns of the tables)
    parameters: dict[str, Any]
    samples: int | None
    metric: str | list[str] | None  # as written: one metric, a list of them, or null
    goal: str | list[str] | None
    seed: int
    repeats: int
    locations: dict[str, str] = field(default_factory=dict)  # dotted key -> "file:line:col"
    notes: list[str] = field(default_factory=list)  # what --set did to the sweep, for stderr
    # the sub-spaces of sweep.parameters, each a mapping as ``parameters``: [parameters] for a
    # file with one mapping
    spaces: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.spaces:
            self.spaces = [self.parameters]

    def space_key(self, index: int) -> str:
        """How messages name sub-space ``index``: sweep.parameters, or sweep.parameters[i]
        when the file gives a list of them."""
        listed = isinstance(self.raw.get("sweep", {}).get("parameters"), list)
        return f"sweep.parameters[{index}]" if listed else "sweep.parameters"

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the validated file (defaults filled in), ready for json.dump."""
        return copy.deepcopy(self.raw)

    def objectives(self, task: str | None = None) -> list[tuple[str, str]]:
        """The sweep's objectives: (metric, goal) pairs in the file's order, the first the one
        a single ranking (progress, the pictures of one metric) goes by. A null metric is
        val_accuracy for classification, val_loss otherwise; a null goal is the metric's own
        (:func:`nnrun.vocabulary.default_goal`). Several pairs make a Pareto front."""
        if self.metric is None:
            metrics = ["val_accuracy" if task == "classification" else "val_loss"]
        else:
            metrics = [self.metric] if isinstance(self.metric, str) else list(self.metric)
        goals = self.goal if isinstance(self.goal, list) else [self.goal] * len(metrics)
        return [(metric, goal or default_goal(metric))
                for metric, goal in zip(metrics, goals, strict=True)]

    def where(self, key: str) -> str:
        """Where a dotted key was written ("file:line:col", or "file" if it was defaulted)."""
        return self.locations.get(key, str(self.path))


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> SweepSpec:
    """Read, override and check a sweep file.

    Raises NnrunError if the file can't be read, ConfigError listing every problem otherwise.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise NnrunError(f"{path}: cannot read the config file: {reason}") from None
    return load_config_text(text, str(path), overrides)


def load_config_text(text: str, filename: str, overrides: Sequence[str] = ()) -> SweepSpec:
    """Like load_config, for text already read; ``filename`` names it in messages and by default."""
    reader = Reader(filename)
    document = reader.read(text)
    for item in overrides:
        reader.apply_override(document, item)
    model, parameters = Checker(reader, document).check()
    locations = {dotted_name(path): loc.render(filename)
                 for path, loc in reader.value_at.items() if path}
    spec = _spec(model, parameters, Path(filename), locations)
    spec.notes = list(reader.notes)
    return spec


def _spec(model: ConfigFile, parameters: dict[str, Any] | list[dict[str, Any]], path: Path,
          locations: dict[str, str]) -> SweepSpec:
    dumped = dump(model)
    dumped["sweep"]["parameters"] = parameters
    raw = {key: dumped[key] for key in TOP_KEYS}
    spaces = copy.deepcopy(parameters) if isinstance(parameters, list) else [
        copy.deepcopy(parameters)]
    union: dict[str, Any] = {}
    for space in spaces:
        for key, values in space.items():
            union.setdefault(key, copy.deepcopy(values))
    return SweepSpec(
        path=path, name=model.name, raw=raw, method=model.sweep.method,
        parameters=union, samples=model.sweep.samples, metric=model.metric,
        goal=model.goal, seed=model.seed, repeats=model.repeats, locations=locations,
        spaces=spaces,
    )


def validate_trial_config(config: dict[str, Any]) -> dict[str, Any]:
    """Check one resolved trial configuration and return it with defaults, as plain python.

    Raises ConfigError (messages without file positions: a trial config has no file).
    """
    try:
        model = TrialConfig.model_validate(config)
    except ValidationError as error:
        raise ConfigError([
            f"{dotted_name(loc)}: {message}" if loc else message
            for problem in error.errors() for loc, message in explain(problem)
        ]) from None
    return dump(model)

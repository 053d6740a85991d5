"""The baseline file: its schema (a pydantic model, like the config's), how it is read, and
which sweep it belongs to.

```yaml
nnrun_version: 0.1.0
sweep: {name: demo, parameters: [model.activation], data: {dataset: moons, ...}}
metrics: [val_accuracy, val_loss]          # checked by default
tolerances: {default: 0.01, val_loss: 5%}  # absolute, or % of the baseline value
configurations:
  - params: {model.activation: relu}       # one entry a configuration, matched by value
    trials: 2                              # its scored trials when the baseline was written
    metrics: {val_accuracy: 0.85, val_loss: 0.4}
```
Every problem names the file and the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
)

from nnrun.check._values import NUMBER, canonical, flow, label
from nnrun.check.run import Run
from nnrun.check.tolerances import Tolerance, parse_tolerance_value
from nnrun.errors import NnrunError


def _empty_if_null(empty: type) -> BeforeValidator:
    """A key written as null (or left empty) means none: ``metrics:`` is ``[]``."""
    return BeforeValidator(lambda value: empty() if value is None else value)


def _mean(value: Any) -> float | None:
    """A metric mean: a number, null, or a number as text (YAML 1.1 reads 1e-05 as text)."""
    if isinstance(value, str) and NUMBER.fullmatch(value.strip()):
        return float(value)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ValueError("not a number")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BaselineSweep(BaseModel):
    """Which sweep the baseline is of (other keys are ignored)."""

    name: StrictStr
    parameters: list[StrictStr]
    data: dict[Any, Any]


class BaselineEntry(_Strict):
    params: dict[Any, Any]
    trials: Annotated[StrictInt, Field(ge=0)] = 1
    metrics: Annotated[dict[Any, Annotated[float | None, BeforeValidator(_mean)]],
                       _empty_if_null(dict)] = {}


class BaselineFile(_Strict):
    nnrun_version: Any = None
    sweep: BaselineSweep
    metrics: Annotated[list[StrictStr], _empty_if_null(list)] = []
    tolerances: Annotated[dict[Any, Any], _empty_if_null(dict)] = {}
    configurations: list[BaselineEntry]


KEYS = tuple(BaselineFile.model_fields)
# What each key holds, for a message (``*`` an index or a metric name).
EXPECTED = {
    "": f"a mapping with keys {', '.join(KEYS)}",
    "sweep": "a mapping with name, parameters and data",
    "sweep.name": "a string",
    "sweep.parameters": "a list of dotted keys",
    "sweep.data": "a mapping (the sweep's data block)",
    "metrics": "a list of metric names",
    "tolerances": "a mapping such as {default: 0.01, val_loss: 5%}",
    "configurations": "a list",
    "configurations.*": f"a mapping with keys {', '.join(BaselineEntry.model_fields)}",
    "configurations.*.params": "a mapping of the swept parameters",
    "configurations.*.trials": "a whole number >= 0",
    "configurations.*.metrics": "a mapping of metric means",
    "configurations.*.metrics.*": "a number or null",
}


@dataclass
class BaselineConfiguration:
    params: dict[str, Any]
    trials: int
    metrics: dict[str, float | None]


@dataclass
class Baseline:
    path: Path
    name: str
    parameters: list[str]
    data: dict[str, Any]
    metrics: list[str]
    tolerances: dict[str, Tolerance]
    tolerance_text: dict[str, Any]            # as written in the file, kept on --update
    configurations: dict[str, BaselineConfiguration]

    def recorded(self) -> set[str]:
        """The metrics the baseline holds values of: its ``metrics:`` list, or else every
        metric a configuration names."""
        return set(self.metrics) or {m for c in self.configurations.values() for m in c.metrics}


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; every problem names the file and the key."""
    path = Path(path)
    document = _read_document(path)
    try:
        model = BaselineFile.model_validate(document)
    except ValidationError as error:
        raise NnrunError(f"{path}: {_problem(error, document)}") from None
    tolerances = {str(metric): parse_tolerance_value(value, f"{path}: tolerances.{metric}")
                  for metric, value in model.tolerances.items()}
    sweep = model.sweep
    return Baseline(path, sweep.name, list(sweep.parameters), dict(sweep.data),
                    list(model.metrics), tolerances, dict(model.tolerances),
                    _configurations(model, path))


def _read_document(path: Path) -> Any:
    if not path.exists():
        raise NnrunError(f"{path}: no such baseline file (write one with `nnrun check "
                         f"RESULTS --baseline {path} --update`)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NnrunError(f"{path}: cannot be read: {error}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader) if is_yaml(path) else json.loads(text)
    except yaml.YAMLError as error:
        raise NnrunError(f"{path}: not valid YAML: {error}") from None
    except json.JSONDecodeError as error:
        raise NnrunError(f"{path}: not valid JSON: {error}") from None


def _configurations(model: BaselineFile, path: Path) -> dict[str, BaselineConfiguration]:
    """The entries by matching key: each names exactly the swept parameters, once."""
    parameters = model.sweep.parameters
    configurations: dict[str, BaselineConfiguration] = {}
    for index, entry in enumerate(model.configurations):
        where = f"{path}: configurations[{index}]"
        missing = [p for p in parameters if p not in entry.params]
        extra = [p for p in entry.params if p not in parameters]
        if missing or extra:
            raise NnrunError(f"{where}.params: " + (f"missing {missing[0]!r}" if missing
                             else f"{extra[0]!r} is not a swept parameter"))
        key = canonical({p: entry.params[p] for p in parameters})
        if key in configurations:
            raise NnrunError(f"{where}: the configuration {label(entry.params)} appears twice")
        configurations[key] = BaselineConfiguration(
            dict(entry.params), entry.trials, {str(m): v for m, v in entry.metrics.items()})
    return configurations


def _problem(error: ValidationError, document: Any) -> str:
    """The first problem pydantic found, said with the key it is at (an unknown key first)."""
    problems = error.errors()
    problem = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])
    loc = tuple(problem["loc"])
    if problem["type"] == "extra_forbidden":
        allowed = ", ".join(_fields_at(loc[:-1]))
        at = f"{_dotted(loc[:-1])}: " if loc[:-1] else ""
        return f"{at}unknown key {loc[-1]!r} (allowed: {allowed})"
    if problem["type"] == "missing":
        return f"missing key {_dotted(loc)!r}"
    while _pattern(loc) not in EXPECTED:  # an item of a list: blame the list
        loc = loc[:-1]
    expected, found = EXPECTED[_pattern(loc)], _value_at(document, loc)
    if not loc:
        return f"expected {expected}"
    if loc[0] == "configurations" and len(loc) > 1:
        return f"{_dotted(loc)}: expected {expected}, got {found!r}"
    return f"{_dotted(loc)!r} must be {expected}, got {found!r}"


def _dotted(loc: tuple) -> str:
    """``configurations[0].metrics.val_loss``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _pattern(loc: tuple) -> str:
    """A location as EXPECTED names it: an index, and a metric's name in an entry's metrics,
    are ``*``."""
    parts: list[str] = []
    for part in loc:
        parts.append("*" if isinstance(part, int) or parts[-2:] == ["*", "metrics"]
                     else str(part))
    return ".".join(parts)


def _fields_at(loc: tuple) -> list[str]:
    return list(BaselineEntry.model_fields if loc else KEYS)


def _value_at(document: Any, loc: tuple) -> Any:
    for part in loc:
        document = document[part]
    return document


def is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def check_identity(run: Run, baseline: Baseline) -> None:
    """A baseline of another sweep (name, swept parameters or data) cannot be compared."""
    where = f"{baseline.path} is the baseline of a different sweep"
    if run.name != baseline.name:
        raise NnrunError(f"{where}: its name is {baseline.name!r}, the run's is {run.name!r}")
    if sorted(run.parameters) != sorted(baseline.parameters):
        raise NnrunError(f"{where}: it sweeps {', '.join(baseline.parameters) or 'nothing'}, "
                         f"the run sweeps {', '.join(run.parameters) or 'nothing'}")
    if canonical(run.data) != canonical(baseline.data):
        keys = sorted(set(run.data) | set(baseline.data))
        changed = [k for k in keys
                   if canonical(run.data.get(k)) != canonical(baseline.data.get(k))]
        detail = "; ".join(f"data.{k}: baseline {flow(baseline.data.get(k))}, "
                           f"run {flow(run.data.get(k))}" for k in changed)
        raise NnrunError(f"{where}: its data block differs ({detail})")


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicated keys (PyYAML keeps the last one without a word)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, list | dict):
            continue
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

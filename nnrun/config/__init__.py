"""Read a sweep's YAML file, check it, and hand over a SweepSpec (keys: README, The YAML file).

The stage is a straight pipe:

    text --safe YAML loader--> node tree --walk--> plain python + where each key was written
         --``--set KEY=VALUE`` overrides--> --pydantic models--> SweepSpec

Every problem found on the way becomes one line of a ConfigError, all of them at once:
``file:line:column: dotted.key: what was found; what is allowed (did you mean ...?)``.
The schema is the set of pydantic models below: types, enumerations and ranges live in their
annotations, so that one table says what a valid file is. Values that vary in ``sweep.parameters``
are checked by substituting each of them into the base file and running the same models.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import math
import re
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from nnrun.errors import ConfigError, NnrunError
from nnrun.vocabulary import METRICS

__all__ = [
    "DATASETS",
    "METRICS",
    "SWEEP_METHODS",
    "TRIAL_SECTIONS",
    "ConfigFile",
    "SweepSpec",
    "TrialConfig",
    "get_dotted",
    "load_config",
    "load_config_text",
    "set_dotted",
    "sweepable_keys",
    "validate_trial_config",
]

# ---------------------------------------------------------------------------------------------
# The vocabulary: the very strings a user writes.

BUILTIN_DATASETS = ("xor", "moons", "circles", "spirals", "blobs", "digits", "mnist1d")
FILE_DATASETS = ("csv", "npz")
DATASETS = BUILTIN_DATASETS + FILE_DATASETS
SWEEP_METHODS = ("grid", "random", "halving", "bayes")
DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform", "choice")
# The sections of a file that make up one trial's configuration (plus its seed).
TRIAL_SECTIONS = ("data", "model", "loss", "optimizer", "train")
# The output activations each loss works with: nnrun.core.losses.LOSSES, said again here so
# that checking a config needs no numpy (tests/config/test_config.py holds the two together).
OUTPUTS_OF_LOSS = {"mse": ("sigmoid", "tanh", "relu", "identity"),
                   "cross_entropy": ("softmax", "sigmoid")}

Dataset = Literal["xor", "moons", "circles", "spirals", "blobs", "digits", "mnist1d", "csv", "npz"]
Metric = Literal[
    "train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy", "test_accuracy"
]
Monitor = Literal["train_loss", "val_loss", "train_accuracy", "val_accuracy"]

PositiveInt = Annotated[int, Field(ge=1)]
# Seeds go to numpy and scikit-learn; the latter wants 0 <= seed < 2**32.
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Fraction = Annotated[float, Field(ge=0, lt=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Section(BaseModel):
    # strict: "ten" is not an int and true is not a number; an int is still a fine float.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def _raise_if(problems: list[tuple[str, str]]) -> None:
    """Report cross-field problems of a model, each at the key it is about (see _explain)."""
    if problems:
        raise PydanticCustomError(
            "nnrun_cross_field", "{summary}",
            {"problems": problems, "summary": "; ".join(message for _, message in problems)},
        )


class DataSection(_Section):
    dataset: Dataset
    path: Annotated[str, Field(min_length=1)] | None = None
    target: Annotated[str, Field(min_length=1)] | None = None
    task: Literal["auto", "classification", "regression"] = "auto"
    n_samples: PositiveInt = 1000
    noise: NonNegative = 0.2
    classes: Annotated[int, Field(ge=2)] = 3
    val_fraction: Fraction = 0.2
    test_fraction: Fraction = 0.2
    standardize: bool = True
    seed: Seed | None = None

    @model_validator(mode="after")
    def _consistent(self) -> DataSection:
        problems = []
        if self.val_fraction + self.test_fraction >= 1:
            problems.append((
                "test_fraction",
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} "
                "leaves no training data; their sum must be below 1",
            ))
        if self.dataset in FILE_DATASETS:
            if self.path is None:
                problems.append(("path", f"required for dataset {self.dataset}: the file to read"))
            if self.dataset == "csv" and self.target is None:
                problems.append(("target", "required for dataset csv: the label column"))
            if self.dataset == "npz" and self.target is not None:
                problems.append(("target", "an npz file holds its labels in the array y; "
                                 "target is only for csv files"))
        else:
            for key in ("path", "target"):
                if getattr(self, key) is not None:
                    problems.append((
                        key, f"{self.dataset} is a built-in data set; {key} is only for csv "
                        f"{'and npz ' if key == 'path' else ''}files",
                    ))
        _raise_if(problems)
        return self


class ModelSection(_Section):
    hidden: list[PositiveInt] = Field(default_factory=lambda: [32])
    activation: Literal["sigmoid", "tanh", "relu"] = "relu"
    output: Literal["auto", "sigmoid", "softmax", "identity", "tanh", "relu"] = "auto"
    init: Literal["auto", "xavier", "he", "normal"] = "auto"


class OptimizerSection(_Section):
    name: Literal["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam"] = "sgd"
    lr: Positive = 0.1
    weight_decay: NonNegative = 0.0
    momentum: Annotated[float, Field(ge=0, lt=1)] | None = None
    betas: Annotated[list[Fraction], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [0.9, 0.999]
    )
    eps: Positive | None = None  # null: the optimizer's torch default (adagrad 1e-10, else 1e-8)
    alpha: Fraction = 0.99
    schedule: Literal["constant", "step", "exponential", "cosine"] = "constant"
    step_size: PositiveInt | None = None
    gamma: Positive | None = None
    min_lr: NonNegative = 0.0


class EarlyStopping(_Section):
    patience: PositiveInt
    monitor: Monitor = "val_loss"
    min_delta: NonNegative = 0.0


class TrainSection(_Section):
    batch_size: PositiveInt = 32
    epochs: PositiveInt = 100
    dtype: Literal["float32", "float64"] = "float32"
    early_stopping: EarlyStopping | None = None


class SweepSection(_Section):
    method: Literal["grid", "random", "halving", "bayes"] = "grid"
    # dotted key -> list of values or a distribution; checked by _check_parameters.
    parameters: dict[str, Any] = Field(default_factory=dict)
    samples: PositiveInt | None = None
    min_epochs: PositiveInt | None = None
    max_epochs: PositiveInt | None = None
    reduction_factor: Annotated[int, Field(ge=2)] = 3
    # "halving": bayes prunes its trials by successive halving (min_epochs, reduction_factor).
    early_stop: Literal["halving"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SweepSection:
        problems = []
        if self.early_stop == "halving" and self.method != "bayes":
            problems.append((
                "early_stop", "halving as a pruner is for method bayes; method halving already "
                "stops the worse configurations",
            ))
        if self.method in ("random", "bayes") and self.samples is None:
            problems.append((
                "samples", f"required for method {self.method}: how many configurations to try",
            ))
        if self.method == "grid" and self.samples is not None:
            problems.append((
                "samples", "grid search tries every combination; samples is only for random, "
                "halving and bayes",
            ))
        halving = self.method == "halving" or self.early_stop == "halving"
        for key in ("min_epochs", "max_epochs"):
            if getattr(self, key) is not None and not halving:
                problems.append((
                    key, f"only successive halving has rungs (method halving, or bayes with "
                    f"early_stop: halving); method {self.method} trains train.epochs",
                ))
        if None not in (self.min_epochs, self.max_epochs) and self.min_epochs > self.max_epochs:
            problems.append((
                "min_epochs", f"{self.min_epochs} is above max_epochs ({self.max_epochs})",
            ))
        _raise_if(problems)
        return self


class TrialConfig(_Section):
    """One trial's configuration: what a worker needs to train one network."""

    seed: Seed = 0
    data: DataSection
    model: ModelSection = Field(default_factory=ModelSection)
    loss: Literal["mse", "cross_entropy"] = "cross_entropy"
    optimizer: OptimizerSection = Field(default_factory=OptimizerSection)
    train: TrainSection = Field(default_factory=TrainSection)

    @model_validator(mode="after")
    def _consistent(self) -> TrialConfig:
        stopping = self.train.early_stopping
        if stopping and stopping.monitor.startswith("val_") and self.data.val_fraction == 0:
            _raise_if([(
                "train.early_stopping.monitor",
                f"{stopping.monitor} needs a validation set but data.val_fraction is 0",
            )])
        outputs = OUTPUTS_OF_LOSS[self.loss]
        if self.model.output != "auto" and self.model.output not in outputs:
            _raise_if([(
                "model.output",
                f"{self.model.output!r} cannot be used with loss {self.loss}, which needs "
                f"one of {', '.join(outputs)} (or auto)",
            )])
        return self


class ConfigFile(TrialConfig):
    """A whole YAML file: the trial sections plus what the sweep needs."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]
    repeats: PositiveInt = 1
    sweep: SweepSection = Field(default_factory=SweepSection)
    metric: Metric | None = None
    goal: Literal["maximize", "minimize"] | None = None

    @model_validator(mode="after")
    def _consistent_sweep(self) -> ConfigFile:
        problems = []
        top_epochs = self.sweep.max_epochs or self.train.epochs
        if self.sweep.min_epochs is not None and self.sweep.min_epochs > top_epochs:
            problems.append((
                "sweep.min_epochs",
                f"{self.sweep.min_epochs} is above the most epochs a trial gets ({top_epochs})",
            ))
        if self.metric is not None:
            split = self.metric.split("_")[0]
            fraction = {"val": self.data.val_fraction, "test": self.data.test_fraction}.get(split)
            if fraction == 0:
                problems.append((
                    "metric", f"{self.metric!r} needs a {split} set but data.{split}_fraction is 0",
                ))
        elif self.data.val_fraction == 0:
            problems.append((
                "data.val_fraction", "0 leaves no validation set, but trials are ranked by "
                "val_accuracy or val_loss unless `metric:` names another; give a val_fraction "
                "above 0, or a metric such as test_loss or train_loss",
            ))
        _raise_if(problems)
        return self


TOP_KEYS = ("name", "seed", "repeats", *TRIAL_SECTIONS, "sweep", "metric", "goal")


def validate_trial_config(config: dict[str, Any]) -> dict[str, Any]:
    """Check one resolved trial configuration and return it with defaults, as plain python.

    Raises ConfigError (messages without file positions: a trial config has no file).
    """
    try:
        model = TrialConfig.model_validate(config)
    except ValidationError as error:
        raise ConfigError([
            f"{_dotted(loc)}: {message}" if loc else message
            for e in error.errors() for loc, message in _explain(e)
        ]) from None
    return model.model_dump()


# ---------------------------------------------------------------------------------------------
# Dotted paths: "optimizer.lr" <-> config["optimizer"]["lr"].


def get_dotted(d: dict[str, Any], key: str) -> Any:
    """The value at a dotted path; KeyError if it isn't there."""
    value: Any = d
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(key)
        value = value[part]
    return value


def set_dotted(d: dict[str, Any], key: str, value: Any) -> None:
    """Set the value at a dotted path, making the mappings on the way (where missing or null).

    TypeError if something other than a mapping stands in the way.
    """
    parts = key.split(".")
    node = d
    for part in parts[:-1]:
        if node.get(part) is None:
            node[part] = {}
        node = node[part]
        if not isinstance(node, dict):
            raise TypeError(f"{key}: {part} is not a mapping")
    node[parts[-1]] = value


@functools.cache
def _sweepable() -> tuple[str, ...]:
    return tuple(sweepable_keys())


def sweepable_keys() -> list[str]:
    """Every dotted key that ``sweep.parameters`` may vary: the leaves of the trial sections.

    A list value (model.hidden, optimizer.betas) is one value; an optional mapping
    (train.early_stopping) is one value and so is each of its keys.
    """
    keys: list[str] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            inner = _unwrap(info.annotation)
            dotted = prefix + name
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                if _nullable(info.annotation):
                    keys.append(dotted)
                walk(inner, dotted + ".")
            else:
                keys.append(dotted)

    walk(TrialConfig, "")
    keys.remove("seed")
    return keys


# ---------------------------------------------------------------------------------------------
# The SweepSpec handed to nnrun.search.


@dataclass
class SweepSpec:
    """A checked config file. ``raw`` is the whole file with defaults, plain JSON-able python."""

    path: Path
    name: str
    raw: dict[str, Any]
    method: str
    parameters: dict[str, Any]  # dotted key -> list of values or {distribution: [...]}, file order
    samples: int | None
    metric: str | None
    goal: str | None
    seed: int
    repeats: int
    locations: dict[str, str] = field(default_factory=dict)  # dotted key -> "file:line:col"

    def to_dict(self) -> dict[str, Any]:
        """A deep copy of the validated file (defaults filled in), ready for json.dump."""
        return copy.deepcopy(self.raw)

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
    reader = _Reader(filename)
    document = reader.read(text)
    for item in overrides:
        reader.apply_override(document, item)
    return _Checker(reader, document).check()


# ---------------------------------------------------------------------------------------------
# YAML: safe loading, YAML 1.2 floats, and where every key and value was written.

# YAML 1.2 floats: PyYAML follows YAML 1.1, where "1e-3" (no dot) is a string.
_FLOAT_12 = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Loader(yaml.SafeLoader):
    """SafeLoader that reads YAML 1.2 floats and keeps dates as text (folder names, say).

    A subclass, so the global SafeLoader is untouched (PyYAML copies the tables on first add).
    """


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)

_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
}
_MAX_NODES = 100_000  # aliases can make a small file expand enormously ("billion laughs")


@dataclass(frozen=True, order=True)
class _Loc:
    """Where something was written: a line and column of the file, or a --set option."""

    override: str = ""  # the KEY of `--set KEY=VALUE`; "" for the file
    line: int = 0  # 1-based; 0 when unknown
    column: int = 0

    def render(self, filename: str) -> str:
        if self.override:
            return f"{filename}: --set {self.override}"
        if self.line:
            return f"{filename}:{self.line}:{self.column}"
        return filename


class _Abort(Exception):
    """The document can't be read on: report what was found so far."""


class _Reader:
    """Turns YAML text into plain python and remembers where each key and value was written."""

    def __init__(self, filename: str):
        self.filename = filename
        self.problems: list[tuple[_Loc, str, str]] = []  # (where, dotted key, message)
        self.key_at: dict[tuple, _Loc] = {}
        self.value_at: dict[tuple, _Loc] = {}
        self._override = ""
        self._nodes = 0

    def fail(self, loc: _Loc, key: str, message: str) -> None:
        self.problems.append((loc, key, message))

    def error(self) -> ConfigError:
        lines = []
        for loc, key, message in sorted(self.problems, key=lambda p: p[0]):
            lines.append(f"{loc.render(self.filename)}: {key + ': ' if key else ''}{message}")
        return ConfigError(lines)

    def _mark(self, mark: yaml.Mark | None) -> _Loc:
        if self._override:
            return _Loc(override=self._override)
        if mark is None:
            return _Loc()
        return _Loc(line=mark.line + 1, column=mark.column + 1)

    def read(self, text: str) -> dict[str, Any]:
        value = self._parse(text, ())
        if self.problems and value is None:
            raise self.error()
        if value is None:
            self.fail(_Loc(line=1, column=1), "", "the file is empty; it needs at least "
                      "`data: {dataset: ...}` (the README's section 'The YAML file' lists the "
                      "keys)")
            raise self.error()
        if not isinstance(value, dict):
            self.fail(self.value_at.get((), _Loc(line=1, column=1)), "",
                      f"the file must be a mapping of keys (name:, data:, model:, ...), "
                      f"found {_kind(value)}")
            raise self.error()
        return value

    def _parse(self, text: str, prefix: tuple) -> Any:
        loader = None
        try:
            loader = _Loader(text)  # the reader refuses control characters here already
            node = loader.get_single_node()
            if node is None:
                return None
            return self._walk(node, prefix, loader)
        except yaml.MarkedYAMLError as error:
            self.fail(self._mark(error.problem_mark), "", _syntax_message(error, text))
        except yaml.YAMLError as error:  # e.g. a control character the reader refuses
            position = getattr(error, "position", 0)
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
            loc = _Loc(override=self._override) if self._override else _Loc("", line, column)
            self.fail(loc, "", f"cannot read the YAML: {error}")
        except RecursionError:
            self.fail(self._mark(None), "", "the YAML is nested too deeply")
        except _Abort:
            pass
        finally:
            if loader is not None:
                loader.dispose()
        return None

    def _walk(self, node: yaml.Node, path: tuple, loader: _Loader) -> Any:
        self._nodes += 1
        if self._nodes > _MAX_NODES:
            self.fail(self._mark(node.start_mark), _dotted(path),
                      f"the document expands to more than {_MAX_NODES} values (aliases?)")
            raise _Abort
        loc = self._mark(node.start_mark)
        self.value_at[path] = loc
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, loc, loader)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self.fail(loc, _dotted(path), _tag_message(node.tag))
            items = []
            for index, item in enumerate(node.value):
                self.key_at[(*path, index)] = self._mark(item.start_mark)
                items.append(self._walk(item, (*path, index), loader))
            return items
        return self._scalar(node, path, loc, loader)

    def _mapping(self, node: yaml.MappingNode, path: tuple, loc: _Loc, loader: _Loader) -> dict:
        if node.tag != _MAP_TAG:
            self.fail(loc, _dotted(path), _tag_message(node.tag))
        loader.flatten_mapping(node)  # YAML merge keys: `<<: *defaults`
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_loc = self._mark(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _SCALAR_TAGS:
                self.fail(key_loc, _dotted(path), "a key must be plain text")
                continue
            key = key_node.value  # the key as written: `1:` is the key "1"
            key_path = (*path, key)
            if key in result:
                first = self.key_at[key_path]
                where = f"line {first.line}" if first.line else "the same --set value"
                self.fail(key_loc, _dotted(key_path),
                          f"duplicated key (first given at {where}); give each key once")
                continue
            self.key_at[key_path] = key_loc
            result[key] = self._walk(value_node, key_path, loader)
        return result

    def _scalar(self, node: yaml.Node, path: tuple, loc: _Loc, loader: _Loader) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.fail(loc, _dotted(path), _tag_message(node.tag))
            return None
        try:
            return loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, KeyError, TypeError, OverflowError):
            self.fail(loc, _dotted(path), f"cannot read {node.value!r} as {_short_tag(node.tag)}")
            return None

    def apply_override(self, document: dict[str, Any], item: str) -> None:
        """Apply one ``--set KEY=VALUE``: VALUE is read as YAML and replaces what the file says."""
        key, equals, text = item.partition("=")
        key = key.strip()
        if key.startswith("sweep.parameters.") and len(key) > len("sweep.parameters."):
            path: tuple = ("sweep", "parameters", key[len("sweep.parameters."):])
        else:
            path = tuple(key.split("."))
        if not equals or not all(part.strip() for part in path):
            self.fail(_Loc(override=item), "", "expected KEY=VALUE with a dotted KEY, "
                      "e.g. --set optimizer.lr=0.01")
            return
        self._override = key
        self._nodes = 0
        before = len(self.problems)
        try:
            value = self._parse(text, path) if text.strip() else None
        finally:
            self._override = ""
        if value is None and len(self.problems) > before:
            return  # VALUE is not YAML: reported, and the file's value stands
        here = _Loc(override=key)
        node = document
        for depth, part in enumerate(path[:-1]):
            if node.get(part) is None:
                node[part] = {}
                self.key_at[path[: depth + 1]] = here
            node = node[part]
            if not isinstance(node, dict):
                self.fail(here, _dotted(path[: depth + 1]),
                          f"is {_show(node)}, not a mapping, so {key} can't be set")
                return
        node[path[-1]] = value
        for table in (self.key_at, self.value_at):
            for old in [p for p in table if p[: len(path)] == path]:
                if table[old] != here:
                    del table[old]
        self.key_at[path] = here
        self.value_at.setdefault(path, here)


def _syntax_message(error: yaml.MarkedYAMLError, text: str) -> str:
    mark = error.problem_mark
    problem = error.problem or "invalid YAML"
    lines = text.splitlines()
    line_text = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
    if "'\\t'" in problem or "\t" in line_text[: (mark.column + 1) if mark else 0]:
        return "a tab character; YAML indents with spaces only"
    message = f"YAML syntax error: {problem}"
    context = error.context_mark
    if error.context and context is not None and (mark is None or context.line != mark.line):
        message += f" ({error.context} at line {context.line + 1}, column {context.column + 1})"
    elif error.context:
        message += f" ({error.context})"
    return message


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _tag_message(tag: str) -> str:
    return (f"the tag {_short_tag(tag)} is not allowed; a config holds only plain text, "
            "numbers, true/false, null, lists and mappings")


# ---------------------------------------------------------------------------------------------
# From pydantic's errors to messages a user can act on.


def _dotted(path: Sequence[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show(value: Any, limit: int = 60) -> str:
    """A value as the user would write it in YAML."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, list | dict):
        try:
            text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                                  width=math.inf).strip()
        except yaml.YAMLError:
            text = repr(value)
    else:
        text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _kind(value: Any) -> str:
    for kind, words in ((bool, "a boolean"), (str, "text"), (int, "an integer"),
                        (float, "a decimal number"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, kind):
            return words
    return "null" if value is None else type(value).__name__


_EXPECTED = {
    "int_type": "an integer", "float_type": "a number", "string_type": "text",
    "bool_type": "true or false", "list_type": "a list", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping",
}
_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}


def _unwrap(annotation: Any) -> Any:
    """The type inside Optional[...] and Annotated[...]."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _nullable(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def _annotation_at(loc: Sequence[Any], root: type[BaseModel] = ConfigFile) -> Any:
    """The type annotation of the key at a pydantic location, or None if there is none."""
    annotation: Any = root
    for part in loc:
        inner = _unwrap(annotation)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            if part not in inner.model_fields:
                return None
            annotation = inner.model_fields[part].annotation
        elif get_origin(inner) is list and isinstance(part, int):
            annotation = get_args(inner)[0]
        elif get_origin(inner) is dict:
            annotation = get_args(inner)[1]
        else:
            return None
    return annotation


def _did_you_mean(word: Any, choices: Sequence[str]) -> str:
    word = str(word)
    for choice in choices:
        if choice.lower() == word.lower():
            return f" (did you mean {choice!r}?)"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _explain(error: dict[str, Any]) -> list[tuple[tuple, str]]:
    """(location, message) pairs for one pydantic error: what was found and what is allowed."""
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "nnrun_cross_field":
        problems = error["ctx"]["problems"]
        return [((*loc, *key.split(".")), message) for key, message in problems]
    return [(loc, _message(kind, loc, error))]


def _message(kind: str, loc: tuple, error: dict[str, Any]) -> str:
    found = error.get("input")
    ctx = error.get("ctx") or {}
    annotation = _annotation_at(loc)
    literals = get_args(_unwrap(annotation)) if get_origin(_unwrap(annotation)) is Literal else ()
    or_null = " or null" if annotation is not None and _nullable(annotation) else ""
    if kind == "missing":
        allowed = f"; expected one of {', '.join(literals)}" if literals else ""
        return f"required key is missing{allowed}"
    if kind == "extra_forbidden":
        parent = _unwrap(_annotation_at(loc[:-1]))
        siblings = list(parent.model_fields) if isinstance(parent, type) else []
        if parent is ConfigFile:
            siblings = list(TOP_KEYS)
        hint = _did_you_mean(loc[-1], siblings)
        if not hint:
            elsewhere = [k for k in (*TOP_KEYS, *_sweepable()) if k.split(".")[-1] == loc[-1]]
            hint = f" (did you mean {elsewhere[0]}?)" if elsewhere else ""
        allowed = f"; allowed here: {', '.join(siblings)}" if siblings else ""
        return f"unknown key{hint}{allowed}"
    if kind == "literal_error":
        what = _show(found) if isinstance(found, str) else f"{_show(found)} ({_kind(found)})"
        return (f"{what} is not allowed; expected one of {', '.join(literals)}{or_null}"
                f"{_did_you_mean(found, literals)}")
    if kind in _EXPECTED:
        what = "null" if found is None else f"{_show(found)} ({_kind(found)})"
        return f"found {what}; expected {_EXPECTED[kind]}{or_null}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next(iter(ctx.items()))
        return f"found {_show(found)}; it must be {_BOUNDS[bound[0]]} {bound[1]}"
    if kind == "finite_number":
        return f"found {_show(found)}; expected a finite number"
    if kind == "string_pattern_mismatch":
        return (f"{_show(found)} is not allowed; a name is letters, digits, '.', '_' and '-', "
                "starting with a letter or digit (it becomes a folder under --out)")
    if kind in ("too_short", "too_long") and isinstance(found, list):
        return f"found {_show(found)}; expected {ctx.get('min_length')} values"
    return f"found {_show(found)}; {error['msg'][0].lower()}{error['msg'][1:]}"


# ---------------------------------------------------------------------------------------------
# Validation of a whole document, with sweep.parameters checked by substitution.


_POINT_AT = {"missing": "missing", "extra_forbidden": "key"}  # else: at the value


class _Checker:
    def __init__(self, reader: _Reader, document: dict[str, Any]):
        self.reader = reader
        self.document = document
        self.parameters: dict[str, Any] = {}

    def locate(self, loc: tuple, kind: str = "value") -> _Loc:
        """Where to point for a problem at `loc`: the value itself, or the nearest key written."""
        if kind == "key" and loc in self.reader.key_at:
            return self.reader.key_at[loc]
        if kind != "missing" and loc in self.reader.value_at:
            return self.reader.value_at[loc]
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.reader.key_at:
                return self.reader.key_at[loc[:end]]
        return self.reader.value_at.get((), _Loc(line=1, column=1))

    def fail(self, loc: tuple, message: str, at: _Loc | None = None, kind: str = "value") -> None:
        self.reader.fail(at or self.locate(loc, kind), _dotted(loc), message)

    def check(self) -> SweepSpec:
        document = self.document
        name_from_file = "name" not in document
        if name_from_file:
            document["name"] = Path(self.reader.filename).stem
        model = None
        try:
            model = ConfigFile.model_validate(document)
        except ValidationError as error:
            for problem in error.errors():
                kind = _POINT_AT.get(problem["type"], "value")
                for loc, message in _explain(problem):
                    if loc == ("name",) and name_from_file:
                        message = (f"the file name gives the name {document['name']!r}, which "
                                   f"can't be used ({message.split('; ', 1)[-1]}); add a `name:`")
                    self.fail(loc, message, kind=kind)
        sweep = document.get("sweep")
        if isinstance(sweep, dict) and isinstance(sweep.get("parameters"), dict):
            self._check_parameters(sweep["parameters"], sweep.get("method", "grid"),
                                   sweep.get("samples"))
        if self.reader.problems or model is None:
            raise self.reader.error()
        return self._spec(model)

    def _spec(self, model: ConfigFile) -> SweepSpec:
        dumped = model.model_dump()
        dumped["sweep"]["parameters"] = self.parameters
        raw = {key: dumped[key] for key in TOP_KEYS}
        locations = {_dotted(p): loc.render(self.reader.filename)
                     for p, loc in self.reader.value_at.items() if p}
        return SweepSpec(
            path=Path(self.reader.filename), name=model.name, raw=raw, method=model.sweep.method,
            parameters=copy.deepcopy(self.parameters), samples=model.sweep.samples,
            metric=model.metric, goal=model.goal, seed=model.seed, repeats=model.repeats,
            locations=locations,
        )

    def _check_parameters(self, parameters: dict[str, Any], method: Any, samples: Any) -> None:
        valid = list(_sweepable())
        halving_needs_samples = False
        base = {key: copy.deepcopy(self.document[key])
                for key in TRIAL_SECTIONS if key in self.document}
        base_errors = self._errors(base)
        for key, spec in parameters.items():
            path = ("sweep", "parameters", key)
            if key not in valid:
                self.fail(path, self._unknown_parameter(key, valid), kind="key")
                continue
            if isinstance(spec, list):
                values = self._check_values(key, spec, path, base, base_errors)
                if values is not None:
                    self.parameters[key] = values
            elif isinstance(spec, dict):
                if method == "grid":
                    self.fail(path, f"grid search needs a list of values; {_show(spec)} is a "
                              "distribution, for method random, halving or bayes")
                    continue
                if method == "halving" and samples is None and not halving_needs_samples:
                    halving_needs_samples = True
                    self.fail(("sweep", "samples"), f"required: {key} is drawn from a "
                              "distribution, so halving needs samples (how many configurations)",
                              kind="missing")
                distribution = self._check_distribution(key, spec, path, base, base_errors)
                if distribution is not None:
                    self.parameters[key] = distribution
            else:
                self.fail(path, f"found {_show(spec)}; expected a list of values, e.g. "
                          f"[{_show(spec)}], or a distribution such as {{uniform: [lo, hi]}}")

    def _unknown_parameter(self, key: str, valid: list[str]) -> str:
        if key == "seed":
            return "the seed is not swept; use `repeats: N` for N independent seeds"
        if key in TOP_KEYS or key.startswith("sweep."):
            return "not a training setting, so it can't be swept"
        hint = _did_you_mean(key, valid)
        if not hint:
            ends = [k for k in valid if k.split(".")[-1] == key.split(".")[-1]]
            hint = f" (did you mean {ends[0]!r}?)" if ends else ""
        return (f"{key!r} is not a key that can be swept{hint}; sweepable keys are dotted "
                "paths into the file such as model.activation or optimizer.lr")

    def _errors(self, config: dict[str, Any]) -> dict[tuple, tuple[tuple, str]]:
        """The problems of a trial config, keyed so that the base's own can be told apart."""
        try:
            TrialConfig.model_validate(config)
        except ValidationError as error:
            return {(loc, message): (loc, message)
                    for problem in error.errors() for loc, message in _explain(problem)}
        return {}

    def _substitute(self, key: str, value: Any, base: dict[str, Any],
                    base_errors: dict) -> tuple[Any, list[str]]:
        """Put one value in the base config and check it: (value as validated, new problems)."""
        config = copy.deepcopy(base)
        try:
            set_dotted(config, key, copy.deepcopy(value))
        except TypeError:
            return value, []  # the base is broken there; that is reported already
        problems = []
        for error_key, (loc, message) in self._errors(config).items():
            if error_key not in base_errors:
                problems.append(message if _dotted(loc) == key
                                else f"with this value, {_dotted(loc)}: {message}")
        if problems or base_errors:
            return value, problems
        return get_dotted(TrialConfig.model_validate(config).model_dump(), key), []

    def _check_values(self, key: str, values: list, path: tuple, base: dict,
                      base_errors: dict) -> list | None:
        if not values:
            self.fail(path, "an empty list; give at least one value")
            return None
        checked, seen, ok = [], {}, True
        for index, value in enumerate(values):
            item = (*path, index)
            valid_value, problems = self._substitute(key, value, base, base_errors)
            for message in problems:
                self.fail(item, message)
            ok = ok and not problems
            canonical = json.dumps(valid_value, sort_keys=True, default=str)
            if not problems and canonical in seen:
                self.fail(item, f"{_show(value)} is the same value as item {seen[canonical]}; "
                          "a value given twice would run the same trials twice")
                ok = False
            seen.setdefault(canonical, index)
            checked.append(valid_value)
        return checked if ok else None

    def _check_distribution(self, key: str, spec: dict, path: tuple, base: dict,
                            base_errors: dict) -> dict | None:
        if len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
            names = [k for k in spec if k not in DISTRIBUTIONS] or list(spec)
            hint = _did_you_mean(names[0], DISTRIBUTIONS) if names else ""
            self.fail(path, f"{_show(spec)} is not a distribution{hint}; expected one of "
                      "{uniform: [lo, hi]}, {log_uniform: [lo, hi]}, {int_uniform: [lo, hi]}, "
                      "{choice: [a, b, ...]}")
            return None
        name, arguments = next(iter(spec.items()))
        path = (*path, name)
        if name == "choice":
            if not isinstance(arguments, list):
                self.fail(path, f"found {_show(arguments)}; expected a list of values")
                return None
            values = self._check_values(key, arguments, path, base, base_errors)
            return None if values is None else {"choice": values}
        number = int if name == "int_uniform" else (int, float)
        if (not isinstance(arguments, list) or len(arguments) != 2
                or not all(isinstance(a, number) and not isinstance(a, bool) for a in arguments)
                or not all(math.isfinite(a) for a in arguments)):
            words = "integers" if name == "int_uniform" else "numbers"
            self.fail(path, f"found {_show(arguments)}; expected [lo, hi], two {words}")
            return None
        lo, hi = arguments
        if not (lo <= hi if name == "int_uniform" else lo < hi):
            self.fail(path, f"found {_show(arguments)}; lo must be below hi")
            return None
        if name == "log_uniform" and lo <= 0:
            self.fail(path, f"found {_show(arguments)}; log_uniform needs 0 < lo < hi")
            return None
        bounds = []
        for index, bound in enumerate(arguments):
            # The draws are floats for uniform and log_uniform: check the bounds as floats.
            value = bound if name == "int_uniform" else float(bound)
            valid_value, problems = self._substitute(key, value, base, base_errors)
            for message in problems:
                self.fail((*path, index), message)
            if problems:
                return None
            bounds.append(valid_value)
        return {name: bounds}

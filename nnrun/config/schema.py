"""The schema of a sweep file: one pydantic model a section (README, The YAML file).

Types, enumerations and ranges live in the annotations, so that this one table says what a
valid file is; a section's ``_consistent`` validator adds what ties its keys together, each
problem at the key it is about. ``TrialConfig`` is what one trial needs, ``ConfigFile`` the whole
file. The words a user writes come from :mod:`nnrun.vocabulary` where other stages share them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from nnrun.vocabulary import DATASETS, EPOCH_METRICS, FILE_DATASETS, METRICS, parse_duration

SWEEP_METHODS = ("grid", "random", "halving", "bayes")
DISTRIBUTIONS = ("uniform", "log_uniform", "int_uniform", "choice")
# The sections of a file that make up one trial's configuration (plus its seed).
TRIAL_SECTIONS = ("data", "model", "loss", "optimizer", "train")
# The keys of a whole file, in the order SweepSpec.raw keeps them.
TOP_KEYS = ("name", "seed", "repeats", *TRIAL_SECTIONS, "sweep", "metric", "goal")
# The output activations each loss works with: nnrun.core.losses.LOSSES, said again here so
# that checking a config needs no numpy (tests/config/test_config_schema.py holds the two together).
OUTPUTS_OF_LOSS = {"mse": ("sigmoid", "tanh", "relu", "identity"),
                   "cross_entropy": ("softmax", "sigmoid")}
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# Keys added after trial ids were fixed: left out of a dumped config while null, so that a
# config that does not use them resolves (and hashes to its id) as it always did.
OMITTED_WHEN_NULL = {"data": ("folds", "fold")}
# The pydantic error type of a problem found by a `_consistent` validator (see cross_field).
CROSS_FIELD = "nnrun_cross_field"

# Literal[a_tuple] is Literal[*a_tuple]: the enumerations are the vocabulary's own tuples.
Dataset = Literal[DATASETS]
Metric = Literal[METRICS]
Goal = Literal["maximize", "minimize"]
# Early stopping watches what exists while training: no test metric, no size or time.
Monitor = Literal[EPOCH_METRICS]

PositiveInt = Annotated[int, Field(ge=1)]
# Seeds go to numpy and scikit-learn; the latter wants 0 <= seed < 2**32.
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Fraction = Annotated[float, Field(ge=0, lt=1)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Section(BaseModel):
    # strict: "ten" is not an int and true is not a number; an int is still a fine float.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def cross_field(problems: list[tuple[str, str]]) -> None:
    """Report the (dotted key, message) problems of a validator, each at the key it is about
    (nnrun.config._messages.explain takes them apart again)."""
    if problems:
        raise PydanticCustomError(
            CROSS_FIELD, "{summary}",
            {"problems": problems, "summary": "; ".join(message for _, message in problems)},
        )


def _path_problems(data: DataSection) -> list[tuple[str, str]]:
    """path and target: required for the user's files, refused for the built-in sets."""
    if data.dataset not in FILE_DATASETS:
        return [(key, f"{data.dataset} is a built-in data set; {key} is only for csv "
                 f"{'and npz ' if key == 'path' else ''}files")
                for key in ("path", "target") if getattr(data, key) is not None]
    problems = []
    if data.path is None:
        problems.append(("path", f"required for dataset {data.dataset}: the file to read"))
    if data.dataset == "csv" and data.target is None:
        problems.append(("target", "required for dataset csv: the label column"))
    if data.dataset == "npz" and data.target is not None:
        problems.append(("target", "an npz file holds its labels in an array (y, or the one "
                         "data.y_array names); target is only for csv files"))
    return problems


# The keys of one file format each, left out of the resolved config while unset, so that
# configs that do not use them keep their trial ids (and baselines their data block).
FORMAT_KEYS = {"features": "csv", "delimiter": "csv", "x_array": "npz", "y_array": "npz"}


def _file_key_problems(data: DataSection) -> list[tuple[str, str]]:
    """features and delimiter for csv only, x_array and y_array for npz only; no feature
    named twice or also the target."""
    problems = [(key, f"only for {kind} files, and dataset is {data.dataset}")
                for key, kind in FORMAT_KEYS.items()
                if getattr(data, key) is not None and data.dataset != kind]
    features = data.features or []
    twice = sorted({f for f in features if features.count(f) > 1})
    if twice:
        problems.append(("features", f"names {', '.join(map(repr, twice))} more than once"))
    if data.target is not None and data.target in features:
        problems.append(("features", f"holds the target {data.target!r}; the features are "
                         "the inputs, the target is what the network predicts"))
    return problems


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
    # k-fold cross-validation (nnrun.data._folds): each configuration trains once a fold;
    # ``fold`` is set by nnrun for each trial, never in a file.
    folds: Annotated[int, Field(ge=2)] | None = None
    fold: Annotated[int, Field(ge=0)] | None = None
    features: Annotated[list[Annotated[str, Field(min_length=1)]],
                        Field(min_length=1)] | None = None
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    x_array: Annotated[str, Field(min_length=1)] | None = None
    y_array: Annotated[str, Field(min_length=1)] | None = None

    @model_serializer(mode="wrap")
    def _without_unset_format_keys(self, handler: Any) -> dict[str, Any]:
        dumped = handler(self)
        for key in FORMAT_KEYS:
            if dumped.get(key) is None:
                dumped.pop(key, None)
        return dumped

    @model_validator(mode="after")
    def _consistent(self) -> DataSection:
        problems = []
        if self.fold is not None and (self.folds is None or self.fold >= self.folds):
            problems.append(("fold", f"{self.fold} is not a fold of data.folds "
                             f"({self.folds}); nnrun sets it for each trial"))
        if self.val_fraction + self.test_fraction >= 1:
            problems.append((
                "test_fraction",
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} "
                "leaves no training data; their sum must be below 1",
            ))
        cross_field(problems + _path_problems(self) + _file_key_problems(self))
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


def _rung_problems(sweep: SweepSection) -> list[tuple[str, str]]:
    """min_epochs and max_epochs: the rungs of successive halving, and only of it."""
    halving = sweep.method == "halving" or sweep.early_stop == "halving"
    problems = [
        (key, "only successive halving has rungs (method halving, or bayes with early_stop: "
         f"halving); method {sweep.method} trains train.epochs")
        for key in ("min_epochs", "max_epochs") if getattr(sweep, key) is not None and not halving
    ]
    if None not in (sweep.min_epochs, sweep.max_epochs) and sweep.min_epochs > sweep.max_epochs:
        problems.append(("min_epochs", f"{sweep.min_epochs} is above max_epochs "
                         f"({sweep.max_epochs})"))
    return problems


class SweepSection(_Section):
    method: Literal[SWEEP_METHODS] = "grid"
    # dotted key -> list of values or a distribution, or a list of such mappings (sub-spaces);
    # checked by nnrun.config._check and _swept.
    parameters: Any = Field(default_factory=dict)
    samples: PositiveInt | None = None
    min_epochs: PositiveInt | None = None
    max_epochs: PositiveInt | None = None
    reduction_factor: Annotated[int, Field(ge=2)] = 3
    # "halving": bayes prunes its trials by successive halving (min_epochs, reduction_factor).
    early_stop: Literal["halving"] | None = None
    # Budgets of one run (nnrun.driver.budget); --max-trials and --timeout take their place.
    max_trials: PositiveInt | None = None
    timeout: Annotated[str, Field(min_length=1)] | Positive | None = None
    # keep results/<name>/optuna.journal for optuna-dashboard (nnrun sweep --optuna-journal)
    optuna_journal: bool = False

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
        cross_field(problems + _rung_problems(self) + _timeout_problems(self.timeout))
        return self


def _timeout_problems(timeout: str | float | None) -> list[tuple[str, str]]:
    """sweep.timeout: a duration such as 90s, 10m, 1h30m, or a number of seconds."""
    if timeout is None:
        return []
    try:
        parse_duration(timeout)
    except ValueError as error:
        return [("timeout", f"{error}; e.g. 90s, 10m, 1h, 1h30m, or a number of seconds")]
    return []


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
        if stopping and stopping.monitor.startswith("val_") and self.data.val_fraction == 0 \
                and self.data.folds is None:
            cross_field([(
                "train.early_stopping.monitor",
                f"{stopping.monitor} needs a validation set but data.val_fraction is 0",
            )])
        outputs = OUTPUTS_OF_LOSS[self.loss]
        if self.model.output != "auto" and self.model.output not in outputs:
            cross_field([(
                "model.output",
                f"{self.model.output!r} cannot be used with loss {self.loss}, which needs "
                f"one of {', '.join(outputs)} (or auto)",
            )])
        return self


def dump(model: BaseModel) -> dict[str, Any]:
    """``model.model_dump()`` without the OMITTED_WHEN_NULL keys that are null."""
    dumped = model.model_dump()
    for section, keys in OMITTED_WHEN_NULL.items():
        block = dumped.get(section)
        for key in keys:
            if isinstance(block, dict) and block.get(key, 0) is None:
                del block[key]
    return dumped


class ConfigFile(TrialConfig):
    """A whole YAML file: the trial sections plus what the sweep needs."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=100)]
    repeats: PositiveInt = 1
    sweep: SweepSection = Field(default_factory=SweepSection)
    # One objective, or several (a Pareto front): metric [a, b] with goal [g_a, g_b] or null.
    metric: Metric | Annotated[list[Metric], Field(min_length=1)] | None = None
    goal: Goal | Annotated[list[Goal], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _consistent_sweep(self) -> ConfigFile:
        problems = []
        top_epochs = self.sweep.max_epochs or self.train.epochs
        if self.sweep.min_epochs is not None and self.sweep.min_epochs > top_epochs:
            problems.append((
                "sweep.min_epochs",
                f"{self.sweep.min_epochs} is above the most epochs a trial gets ({top_epochs})",
            ))
        if self.data.fold is not None:
            problems.append(("data.fold", "set by nnrun for each fold of data.folds; a file "
                             "gives data.folds: k only"))
        cross_field(problems + self._metric_problems())
        return self

    def _metric_problems(self) -> list[tuple[str, str]]:
        """The metrics that rank trials need their split to hold samples; several metrics are
        each named once, with a goal each (or none)."""
        if self.metric is not None:
            metrics = [self.metric] if isinstance(self.metric, str) else self.metric
            problems = _objective_problems(metrics, self.goal)
            for metric in metrics:
                split = metric.split("_")[0]
                val = self.data.val_fraction if self.data.folds is None else 1  # folds validate
                fraction = {"val": val, "test": self.data.test_fraction}.get(split)
                if fraction == 0:
                    problems.append(("metric", f"{metric!r} needs a {split} set but "
                                     f"data.{split}_fraction is 0"))
            return problems
        if isinstance(self.goal, list):
            return [("goal", "a list of goals needs a list of metrics of the same length: "
                     "metric: [val_accuracy, n_parameters] with goal: [maximize, minimize]")]
        if self.data.val_fraction == 0 and self.data.folds is None:
            return [("data.val_fraction", "0 leaves no validation set, but trials are ranked by "
                     "val_accuracy or val_loss unless `metric:` names another; give a "
                     "val_fraction above 0, or a metric such as test_loss or train_loss")]
        return []


def _objective_problems(metrics: list[str], goal: str | list[str] | None
                        ) -> list[tuple[str, str]]:
    """Several objectives: no metric twice, and one goal a metric (a single goal for several
    metrics would be a guess: maximize n_parameters?)."""
    problems = []
    twice = sorted({metric for metric in metrics if metrics.count(metric) > 1})
    if twice:
        problems.append(("metric", f"{', '.join(twice)} named twice; each objective once"))
    if len(metrics) > 1 and isinstance(goal, str):
        problems.append(("goal", f"{len(metrics)} metrics need {len(metrics)} goals, one "
                         f"each, e.g. goal: [maximize, minimize]; or null for each metric's "
                         f"usual goal"))
    if isinstance(goal, list) and len(goal) != len(metrics):
        goals = f"{len(goal)} goal{'' if len(goal) == 1 else 's'}"
        problems.append(("goal", f"{goals} for {len(metrics)} metric"
                         f"{'' if len(metrics) == 1 else 's'}; give one goal a metric, in the "
                         f"same order"))
    return problems

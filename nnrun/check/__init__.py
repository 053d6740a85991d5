"""`nnrun check`: compare a finished sweep with a committed baseline, so that CI fails when a
model gets worse.

The pipe is: read the results folder (sweep.json + summary.csv) -> average each configuration's
finished trials -> read and validate the baseline -> compare metric by metric, direction-aware
-> print a table (and a markdown summary) -> exit code 0 or 1. `--update` replaces the last
three steps with writing the baseline.

Matching and averaging
    A configuration is identified by the values of the swept parameters (the columns of
    summary.csv named in sweep.json "parameters"), never by seed. Values are compared after
    reading the CSV text as YAML flow, so ``[32, 32]``, ``0.1`` and ``relu`` in summary.csv
    match ``[32, 32]``, ``0.1`` and ``relu`` in the baseline, and ``1.0e-3`` matches ``0.001``.
    A configuration's metric is the mean over its finished trials: status ``ok`` and
    ``stopped``. A ``stopped`` trial (cut short by successive halving) counts with the metrics it
    reached: halving is deterministic for a given seed, so the same trials stop at the same rung
    in the run and in the baseline, and leaving them out would leave most configurations of a
    halving sweep without a value. ``diverged`` and ``failed`` trials do not count.

Statuses
    ok         every checked metric within its tolerance of the baseline
    improved   no metric worse than its tolerance, at least one better by more than it
    regressed  some metric worse than the baseline by more than its tolerance, or fewer
               trials finished than in the baseline because some diverged
    missing    in the baseline, not in the run
    new        in the run, not in the baseline (reported; does not fail the check)
    failed     a trial crashed (status ``failed``), or no trial finished (all diverged) where
               the baseline had a value; a configuration that had no finished trial in the
               baseline either, and did not crash, is ``ok``
    The check fails (exit code 1) on regressed, missing or failed.

Tolerances
    Absolute (``0.01``: an accuracy may drop by 0.01) or relative to the baseline's value
    (``5%``: a loss may rise by 5 % of its baseline value). The most specific setting wins:
    a metric's own tolerance from the command line, then from the baseline's ``tolerances:``
    block, then the default from the command line, then the baseline's ``default``, then
    ``DEFAULT_TOLERANCE``. Both means are rounded to ``SIGNIFICANT_DIGITS`` before comparing,
    as in the baseline file, so an unchanged sweep compares equal at tolerance 0.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

from nnrun import __version__
from nnrun.errors import NnrunError
from nnrun.vocabulary import format_value

DEFAULT_TOLERANCE = "0.01"
SIGNIFICANT_DIGITS = 6
FINISHED_STATUSES = ("ok", "stopped")
FAILING_STATUSES = ("regressed", "missing", "failed")
STATUSES = ("ok", "improved", "regressed", "missing", "new", "failed")
# summary.csv columns that are never metrics, whatever their name.
NOT_METRICS = ("trial", "status", "seed", "best_epoch", "epochs_run", "wall_s")
BASELINE_KEYS = ("nnrun_version", "sweep", "metrics", "tolerances", "configurations")
CONFIGURATION_KEYS = ("params", "trials", "metrics")

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_TOLERANCE = re.compile(
    r"(?:(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*)?(?P<value>[^=%]+?)\s*(?P<pct>%)?")


# ---------------------------------------------------------------------------------------------
# Tolerances


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move the wrong way: ``value`` absolute, or ``value`` % of baseline."""

    value: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        return self.value / 100.0 * abs(baseline) if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.relative else f"{self.value:g}"


def parse_tolerance_value(text: str | float | int, where: str) -> Tolerance:
    """``0.01`` -> absolute, ``5%`` -> relative; ``where`` names the source in the error."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise NnrunError(f"{where}: expected a number or a percentage such as 5%, got {text!r}")
    raw = str(text).strip()
    relative = raw.endswith("%")
    number = raw[:-1].strip() if relative else raw
    if not _NUMBER.fullmatch(number):
        raise NnrunError(f"{where}: expected a number or a percentage such as 5%, got {text!r}")
    value = float(number)
    if value < 0:
        raise NnrunError(f"{where}: a tolerance cannot be negative, got {text!r}")
    return Tolerance(value, relative)


def parse_tolerances(specs: Sequence[str]) -> dict[str, Tolerance]:
    """Command-line tolerances -> {"default" or metric: Tolerance}; a later one wins.

    Syntax, one value per ``--tolerance``: ``0.01`` (the default for every metric, absolute),
    ``5%`` (the default, relative to the baseline's value), ``val_accuracy=0.02`` or
    ``val_loss=5%`` (one metric).
    """
    parsed: dict[str, Tolerance] = {}
    for spec in specs:
        match = _TOLERANCE.fullmatch(str(spec).strip())
        if not match:
            raise NnrunError(
                f"--tolerance {spec!r}: expected NUMBER, NUMBER%, METRIC=NUMBER or METRIC=NUMBER% "
                "(e.g. 0.01, 5%, val_accuracy=0.02, val_loss=5%)")
        metric = match["metric"] or "default"
        parsed[metric] = parse_tolerance_value(
            match["value"] + ("%" if match["pct"] else ""), f"--tolerance {spec!r}")
    return parsed


# ---------------------------------------------------------------------------------------------
# Parameter values: matching and display


def _native(value: Any) -> Any:
    """A summary.csv cell as plain data: the text is read as YAML flow (``[32, 32]`` -> list)."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    # PyYAML reads 1e-05 (which is how Python writes 0.00001) as a string: YAML 1.1 wants a dot.
    if isinstance(parsed, str) and _NUMBER.fullmatch(parsed.strip()):
        return float(parsed)
    return parsed


def _normalise(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        number = float(value)
        # 1 and 1.0 are the same learning rate.
        return int(number) if number.is_integer() else number
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    return str(value)


def _canonical(value: Any) -> str:
    return json.dumps(_normalise(value), sort_keys=True)


def _flow(value: Any) -> str:
    """A parameter value as a reader writes it: ``relu``, ``0.1``, ``[32, 32]``, ``null``."""
    return format_value(value, "null")


def _sort_key(values: Sequence[Any]) -> tuple:
    """Numbers in numeric order, then strings, then lists element by element ([8] < [32, 32])."""
    key: list[tuple] = []
    for value in values:
        value = _normalise(value)
        if value is None:
            key.append((0,))
        elif isinstance(value, bool):
            key.append((1, float(value)))
        elif isinstance(value, int | float):
            key.append((2, float(value)))
        elif isinstance(value, str):
            key.append((3, value))
        elif isinstance(value, list):
            key.append((4, _sort_key(value)))
        else:
            key.append((5, _canonical(value)))
    return tuple(key)


def _round(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.{SIGNIFICANT_DIGITS}g}")


# ---------------------------------------------------------------------------------------------
# The run: sweep.json + summary.csv


@dataclass
class RunConfiguration:
    """One configuration of the run: its trials' statuses and the means over finished trials."""

    params: dict[str, Any]           # native values
    labels: dict[str, str]           # as summary.csv writes them
    statuses: list[str] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=dict)

    @property
    def finished(self) -> int:
        return sum(status in FINISHED_STATUSES for status in self.statuses)

    @property
    def crashed(self) -> int:
        return self.statuses.count("failed")

    def mean(self, metric: str) -> float | None:
        values = [v for v in self.values.get(metric, []) if math.isfinite(v)]
        return _round(sum(values) / len(values)) if values else None


@dataclass
class Run:
    folder: Path
    name: str
    parameters: list[str]
    data: dict[str, Any]
    metric: str | None
    goal: str | None
    finished_at: str | None
    columns: list[str]
    configurations: dict[str, RunConfiguration]


def _float(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def load_run(folder: Path) -> Run:
    """Read a results folder; raise NnrunError when it is not one."""
    folder = Path(folder)
    if not folder.exists():
        raise NnrunError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise NnrunError(f"{folder}: not a folder (expected a results folder of nnrun sweep)")
    sweep_path, summary_path = folder / "sweep.json", folder / "summary.csv"
    for path in (sweep_path, summary_path):
        if not path.is_file():
            inside = sorted(str(p.parent) for p in folder.glob("*/sweep.json"))
            hint = f"; did you mean {' or '.join(inside[:3])}?" if inside else \
                " (run `nnrun sweep` first)"
            raise NnrunError(f"{folder}: not a results folder: {path.name} is missing{hint}")
    try:
        sweep = json.loads(sweep_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise NnrunError(f"{sweep_path}: not valid JSON: {error}") from None
    if not isinstance(sweep, dict):
        raise NnrunError(f"{sweep_path}: expected a JSON object")
    name, parameters = sweep.get("name"), sweep.get("parameters")
    if not isinstance(name, str) or not name:
        raise NnrunError(f"{sweep_path}: 'name' is missing or not a string")
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise NnrunError(f"{sweep_path}: 'parameters' must be a list of dotted keys")
    config = sweep.get("config")
    data = config.get("data") if isinstance(config, dict) else None
    if not isinstance(data, dict):
        raise NnrunError(f"{sweep_path}: 'config' has no 'data' block")

    import csv

    try:
        with summary_path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise NnrunError(f"{summary_path}: cannot be read: {error}") from None
    for column in ("trial", "status", *parameters):
        if column not in columns:
            raise NnrunError(f"{summary_path}: no column {column!r}")
    # A trial written twice (a resumed sweep) counts once: the last row wins.
    by_trial = {row["trial"]: row for row in rows}
    metrics = [c for c in columns if c not in NOT_METRICS and c not in parameters]
    configurations: dict[str, RunConfiguration] = {}
    for row in by_trial.values():
        params = {p: _native(row[p]) for p in parameters}
        key = _canonical({p: params[p] for p in parameters})
        configuration = configurations.setdefault(
            key, RunConfiguration(params, {p: row[p] or "null" for p in parameters}))
        status = (row.get("status") or "").strip()
        configuration.statuses.append(status)
        if status in FINISHED_STATUSES:
            for metric in metrics:
                configuration.values.setdefault(metric, []).append(_float(row.get(metric)))
    return Run(folder, name, list(parameters), data, sweep.get("metric"), sweep.get("goal"),
               sweep.get("finished_at"), columns, configurations)


def _direction(run: Run, metric: str) -> str:
    """``maximize`` or ``minimize``; raise NnrunError for a column that is not a metric."""
    metrics = [c for c in run.columns if c not in NOT_METRICS and c not in run.parameters]
    if metric not in metrics:
        available = ", ".join(metrics) or "no metric columns"
        raise NnrunError(f"unknown metric {metric!r}: {run.folder / 'summary.csv'} has {available}")
    if metric.endswith("accuracy"):
        return "maximize"
    if metric.endswith("loss"):
        return "minimize"
    if metric == run.metric and run.goal in ("maximize", "minimize"):
        return run.goal
    raise NnrunError(f"metric {metric!r}: cannot tell whether higher or lower is better")


# ---------------------------------------------------------------------------------------------
# The baseline file


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


class _BaselineDumper(yaml.SafeDumper):
    """Lists and parameter sets on one line each, everything else in block style: small diffs."""


class _FlowMap(dict):
    pass


_BaselineDumper.add_representer(
    list, lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data,
        flow_style=not any(isinstance(item, dict | list) for item in data)))
_BaselineDumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data,
                                                            flow_style=True))


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


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def _number(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NnrunError(f"{where}: expected a number or null, got {value!r}")
    return float(value)


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; every problem names the file and the key."""
    path = Path(path)
    if not path.exists():
        raise NnrunError(f"{path}: no such baseline file (write one with `nnrun check "
                         f"RESULTS --baseline {path} --update`)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise NnrunError(f"{path}: cannot be read: {error}") from None
    try:
        document = yaml.load(text, Loader=_StrictLoader) if _is_yaml(path) else json.loads(text)
    except yaml.YAMLError as error:
        raise NnrunError(f"{path}: not valid YAML: {error}") from None
    except json.JSONDecodeError as error:
        raise NnrunError(f"{path}: not valid JSON: {error}") from None

    def fail(message: str) -> NnrunError:
        return NnrunError(f"{path}: {message}")

    if not isinstance(document, dict):
        raise fail("expected a mapping with keys " + ", ".join(BASELINE_KEYS))
    unknown = [k for k in document if k not in BASELINE_KEYS]
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(BASELINE_KEYS)})")
    for key in ("sweep", "configurations"):
        if key not in document:
            raise fail(f"missing key {key!r}")

    sweep = document["sweep"]
    if not isinstance(sweep, dict):
        raise fail("'sweep' must be a mapping with name, parameters and data")
    for key in ("name", "parameters", "data"):
        if key not in sweep:
            raise fail(f"missing key 'sweep.{key}'")
    name, parameters, data = sweep["name"], sweep["parameters"], sweep["data"]
    if not isinstance(name, str):
        raise fail(f"'sweep.name' must be a string, got {name!r}")
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise fail(f"'sweep.parameters' must be a list of dotted keys, got {parameters!r}")
    if not isinstance(data, dict):
        raise fail(f"'sweep.data' must be a mapping (the sweep's data block), got {data!r}")

    metrics = document.get("metrics") or []
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise fail(f"'metrics' must be a list of metric names, got {metrics!r}")

    tolerance_text = document.get("tolerances") or {}
    if not isinstance(tolerance_text, dict):
        raise fail("'tolerances' must be a mapping such as {default: 0.01, val_loss: 5%}")
    tolerances = {str(metric): parse_tolerance_value(value, f"{path}: tolerances.{metric}")
                  for metric, value in tolerance_text.items()}

    entries = document["configurations"]
    if not isinstance(entries, list):
        raise fail("'configurations' must be a list")
    configurations: dict[str, BaselineConfiguration] = {}
    for index, entry in enumerate(entries):
        where = f"configurations[{index}]"
        if not isinstance(entry, dict):
            raise fail(f"{where}: expected a mapping with keys {', '.join(CONFIGURATION_KEYS)}")
        for key in entry:
            if key not in CONFIGURATION_KEYS:
                raise fail(f"{where}: unknown key {key!r} "
                           f"(allowed: {', '.join(CONFIGURATION_KEYS)})")
        params = entry.get("params")
        if not isinstance(params, dict):
            raise fail(f"{where}.params: expected a mapping of the swept parameters")
        missing = [p for p in parameters if p not in params]
        extra = [p for p in params if p not in parameters]
        if missing or extra:
            raise fail(f"{where}.params: " + (f"missing {missing[0]!r}" if missing
                       else f"{extra[0]!r} is not a swept parameter"))
        trials = entry.get("trials", 1)
        if isinstance(trials, bool) or not isinstance(trials, int) or trials < 0:
            raise fail(f"{where}.trials: expected a whole number >= 0, got {trials!r}")
        values = entry.get("metrics") or {}
        if not isinstance(values, dict):
            raise fail(f"{where}.metrics: expected a mapping of metric means")
        means = {str(m): _number(v, f"{path}: {where}.metrics.{m}") for m, v in values.items()}
        key = _canonical({p: params[p] for p in parameters})
        if key in configurations:
            raise fail(f"{where}: the configuration {_label(params)} appears twice")
        configurations[key] = BaselineConfiguration(dict(params), trials, means)
    return Baseline(path, name, parameters, data, metrics, tolerances, tolerance_text,
                    configurations)


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v if isinstance(v, str) else _flow(v)}" for k, v in params.items()) \
        or "(the only configuration)"


def _check_identity(run: Run, baseline: Baseline) -> None:
    """A baseline of another sweep (name, swept parameters or data) cannot be compared."""
    where = f"{baseline.path} is the baseline of a different sweep"
    if run.name != baseline.name:
        raise NnrunError(f"{where}: its name is {baseline.name!r}, the run's is {run.name!r}")
    if sorted(run.parameters) != sorted(baseline.parameters):
        raise NnrunError(f"{where}: it sweeps {', '.join(baseline.parameters) or 'nothing'}, "
                         f"the run sweeps {', '.join(run.parameters) or 'nothing'}")
    if _canonical(run.data) != _canonical(baseline.data):
        keys = sorted(set(run.data) | set(baseline.data))
        changed = [k for k in keys
                   if _canonical(run.data.get(k)) != _canonical(baseline.data.get(k))]
        detail = "; ".join(f"data.{k}: baseline {_flow(baseline.data.get(k))}, "
                           f"run {_flow(run.data.get(k))}" for k in changed)
        raise NnrunError(f"{where}: its data block differs ({detail})")


# ---------------------------------------------------------------------------------------------
# Comparison


@dataclass
class MetricComparison:
    metric: str
    baseline: float | None
    run: float | None
    tolerance: Tolerance
    verdict: str            # ok | improved | regressed | "" (nothing to compare)

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.run is None:
            return None
        return self.run - self.baseline


@dataclass
class Row:
    params: dict[str, str]
    status: str
    trials: str
    metrics: list[MetricComparison]
    note: str = ""


@dataclass
class Report:
    """The outcome of one check: a row a configuration, in a stable order."""

    results: Path
    baseline: Path
    metrics: list[str]
    tolerances: dict[str, Tolerance]
    rows: list[Row]
    unfinished: bool

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def passed(self) -> bool:
        return not any(row.status in FAILING_STATUSES for row in self.rows)


def _compare_metric(metric: str, direction: str, baseline: float | None, run: float | None,
                    tolerance: Tolerance) -> MetricComparison:
    if baseline is None or run is None:
        return MetricComparison(metric, baseline, run, tolerance, "")
    allowed = tolerance.allowed(baseline)
    better = run - baseline if direction == "maximize" else baseline - run

    def beyond(amount: float) -> bool:
        # Exactly at the tolerance is allowed: "may not drop by more than".
        return amount > allowed and not math.isclose(amount, allowed, rel_tol=1e-9, abs_tol=1e-12)

    verdict = "regressed" if beyond(-better) else "improved" if beyond(better) else "ok"
    return MetricComparison(metric, baseline, run, tolerance, verdict)


def _resolve_tolerances(metrics: Sequence[str], baseline: dict[str, Tolerance],
                        cli: dict[str, Tolerance]) -> dict[str, Tolerance]:
    def first(*candidates: Tolerance | None) -> Tolerance:
        return next(c for c in candidates if c is not None)

    default = first(cli.get("default"), baseline.get("default"),
                    parse_tolerance_value(DEFAULT_TOLERANCE, "DEFAULT_TOLERANCE"))
    return {m: first(cli.get(m), baseline.get(m), default) for m in metrics}


def _split_metrics(metrics: Sequence[str] | None) -> list[str]:
    names: list[str] = []
    for item in metrics or ():
        for name in str(item).split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names


def _default_metrics(run: Run) -> list[str]:
    metric = run.metric or ("val_accuracy" if "val_accuracy" in run.columns else "val_loss")
    return list(dict.fromkeys([metric, "val_loss"]))


def _status(ran: RunConfiguration | None, base: BaselineConfiguration | None,
            comparisons: list[MetricComparison]) -> tuple[str, str]:
    """A configuration's status and a note that says why, for the table."""
    if ran is None:
        return "missing", "not in the run"
    if base is None:
        return "new", "not in the baseline"
    if ran.crashed:
        return "failed", f"{ran.crashed} of {len(ran.statuses)} trials failed (crashed)"
    if ran.finished == 0:
        if base.trials == 0:
            return "ok", "no trial finished, as in the baseline"
        return "failed", f"no trial finished: {', '.join(sorted(set(ran.statuses)))}"
    if base.trials == 0:
        return "improved", "no trial finished in the baseline"
    for comparison in comparisons:
        if comparison.run is None and comparison.baseline is not None:
            comparison.verdict = "regressed"
            return "regressed", f"no value for {comparison.metric}"
    verdicts = [c.verdict for c in comparisons]
    status = ("regressed" if "regressed" in verdicts
              else "improved" if "improved" in verdicts else "ok")
    diverged = len(ran.statuses) - ran.finished
    if diverged and ran.finished < base.trials:
        # a model that became unstable is worse, whatever the mean of the repeats that survived
        return "regressed", (f"{diverged} of {len(ran.statuses)} trials diverged; "
                             f"{base.trials} finished in the baseline")
    if diverged:
        return status, f"{diverged} of {len(ran.statuses)} trials diverged; mean of the rest"
    return status, ""


def compare(run: Run, baseline: Baseline, tolerances: dict[str, Tolerance],
            metrics: list[str]) -> Report:
    """Compare every configuration of the run and of the baseline; no printing."""
    directions = {metric: _direction(run, metric) for metric in metrics}
    resolved = _resolve_tolerances(metrics, baseline.tolerances, tolerances)
    keys = set(run.configurations) | set(baseline.configurations)
    params_of = {k: (run.configurations[k].params if k in run.configurations
                     else baseline.configurations[k].params) for k in keys}
    rows = []
    for key in sorted(keys, key=lambda k: _sort_key([params_of[k][p] for p in run.parameters])):
        ran, base = run.configurations.get(key), baseline.configurations.get(key)
        labels = ran.labels if ran else {p: _flow(base.params[p]) for p in run.parameters}
        comparisons = [
            _compare_metric(m, directions[m], base.metrics.get(m) if base else None,
                            ran.mean(m) if ran and ran.finished else None, resolved[m])
            for m in metrics]
        trials = f"{ran.finished}/{len(ran.statuses)}" if ran else "-"
        status, note = _status(ran, base, comparisons)
        rows.append(Row(labels, status, trials, comparisons, note))
    return Report(run.folder, baseline.path, metrics, resolved, rows,
                  unfinished=run.finished_at is None)


# ---------------------------------------------------------------------------------------------
# Output: plain text (CI logs), rich (a terminal), markdown (a CI job's summary page)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _cell(comparison: MetricComparison, arrow: str) -> str:
    if comparison.baseline is None and comparison.run is None:
        return "-"
    if comparison.baseline is None:
        return f"new {_fmt(comparison.run)}"
    if comparison.run is None:
        return f"{_fmt(comparison.baseline)} {arrow} -"
    if comparison.delta == 0:
        return f"{_fmt(comparison.run)} (=)"
    return (f"{_fmt(comparison.baseline)} {arrow} {_fmt(comparison.run)} "
            f"({comparison.delta:+.3g})")


def _headers(report: Report, parameters: list[str]) -> list[str]:
    return [*parameters, "status", "trials", *report.metrics, "note"]


def _cells(report: Report, row: Row, parameters: list[str], arrow: str) -> list[str]:
    return [*(row.params[p] for p in parameters), row.status, row.trials,
            *(_cell(c, arrow) for c in row.metrics), row.note]


def _verdict(report: Report) -> str:
    counts = report.counts()
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    word = "PASSED" if report.passed else "FAILED"
    return f"{word}: {parts or 'no configurations'}"


def _problems(report: Report) -> list[str]:
    lines = []
    for row in report.rows:
        if row.status not in FAILING_STATUSES:
            continue
        label = ", ".join(f"{k}={v}" for k, v in row.params.items()) or "(the only configuration)"
        if row.status == "regressed":
            for c in row.metrics:
                if c.verdict == "regressed":
                    lines.append(f"regressed: {label}: {c.metric} {_fmt(c.baseline)} -> "
                                 f"{_fmt(c.run)} (tolerance {c.tolerance})")
        else:
            lines.append(f"{row.status}: {label}: {row.note}")
    return lines


def _tolerance_line(report: Report) -> str:
    return "tolerances: " + ", ".join(f"{m} {t}" for m, t in report.tolerances.items())


def _plain_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    return "\n".join(lines)


_STYLES = {"ok": "", "improved": "green", "regressed": "bold red", "missing": "bold red",
           "new": "cyan", "failed": "bold red"}


def _print_report(report: Report, parameters: list[str], out: TextIO) -> None:
    headers = _headers(report, parameters)
    title = f"nnrun check {report.results} against {report.baseline}"
    if _is_terminal(out):
        from rich.console import Console
        from rich.table import Table

        console = Console(file=out, highlight=False)
        table = Table(title=title, title_justify="left")
        for header in headers:
            # Numbers stay on one line; only the note may wrap.
            table.add_column(header, no_wrap=header != "note")
        for row in report.rows:
            cells = _cells(report, row, parameters, "→")
            table.add_row(*cells, style=_STYLES[row.status] or None)
        console.print(table)
        if report.unfinished:
            console.print("[yellow]note: the sweep has not finished[/yellow]")
        console.print(_tolerance_line(report))
        for line in _problems(report):
            console.print(line, style="red", markup=False)
        console.print(_verdict(report), style="bold green" if report.passed else "bold red",
                      markup=False)
        return
    rows = [_cells(report, row, parameters, "->") for row in report.rows]
    print(title, file=out)
    print(_plain_table(headers, rows), file=out)
    if report.unfinished:
        print("note: the sweep has not finished", file=out)
    print(_tolerance_line(report), file=out)
    for line in _problems(report):
        print(line, file=out)
    print(_verdict(report), file=out)


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def _markdown_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(report: Report, parameters: list[str]) -> str:
    """The summary for a CI job's page: a headline with the verdict, the counts, the table."""
    counts = report.counts()
    failing = sum(counts[s] for s in FAILING_STATUSES)
    if report.passed:
        headline = f"## ✅ nnrun check passed: {len(report.rows)} configurations"
    else:
        headline = f"## ❌ nnrun check failed: {failing} of {len(report.rows)} configurations"
    lines = [headline, "",
             f"`{report.results}` against baseline `{report.baseline}`: " + ", ".join(
                 f"{counts[s]} {s}" for s in STATUSES if counts[s]) + ".", "",
             "Tolerances: " + ", ".join(f"`{m}` {t}" for m, t in report.tolerances.items())
             + " (absolute, or % of the baseline value).", ""]
    if report.unfinished:
        lines += ["> **Note:** the sweep has not finished.", ""]
    headers = _headers(report, parameters)
    lines.append("| " + " | ".join(_markdown_escape(h) for h in headers) + " |")
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    for row in report.rows:
        cells = [_markdown_escape(c) for c in _cells(report, row, parameters, "→")]
        status_index = len(parameters)
        if row.status in FAILING_STATUSES:
            cells[status_index] = f"**{cells[status_index]}**"
            for offset, comparison in enumerate(row.metrics):
                if comparison.verdict == "regressed":
                    index = status_index + 2 + offset
                    cells[index] = f"**{cells[index]}**"
        lines.append("| " + " | ".join(cells) + " |")
    problems = _problems(report)
    if problems:
        lines += ["", *(f"- {_markdown_escape(p)}" for p in problems)]
    return "\n".join(lines) + "\n"


def _append(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise NnrunError(f"{path}: cannot write the summary: {error}") from None


# ---------------------------------------------------------------------------------------------
# --update


def baseline_document(run: Run, metrics: list[str], tolerance_text: dict[str, Any]) -> dict:
    """The baseline as plain data, in the order it is written."""
    configurations = sorted(run.configurations.values(),
                            key=lambda c: _sort_key([c.params[p] for p in run.parameters]))
    return {
        "nnrun_version": __version__,
        "sweep": {"name": run.name, "parameters": list(run.parameters), "data": run.data},
        "metrics": list(metrics),
        "tolerances": dict(tolerance_text),
        "configurations": [
            {"params": _FlowMap((p, _normalise(c.params[p])) for p in run.parameters),
             "trials": c.finished,
             "metrics": {m: (c.mean(m) if c.finished else None) for m in metrics}}
            for c in configurations],
    }


def _write_baseline(path: Path, document: dict) -> None:
    if _is_yaml(path):
        header = (f"# nnrun baseline of the sweep {document['sweep']['name']!r}, written by "
                  "`nnrun check --update`.\n"
                  "# Commit it; refresh it on purpose with "
                  "`nnrun check RESULTS --baseline THIS_FILE --update`.\n"
                  "# tolerances: absolute (0.01) or relative to the baseline value (5%).\n"
                  "# metrics: means over each configuration's finished trials.\n")
        text = header + yaml.dump(document, Dumper=_BaselineDumper, sort_keys=False,
                                  allow_unicode=True, width=4096)
    else:
        text = json.dumps(document, indent=2) + "\n"
    from nnrun.results.store import atomic_write_text

    try:
        atomic_write_text(path, text)
    except OSError as error:
        raise NnrunError(f"{path}: cannot write the baseline: {error}") from None


def _update(run: Run, baseline_path: Path, cli_tolerances: dict[str, Tolerance],
            cli_metrics: list[str], out: TextIO, summary: Path | None) -> int:
    tolerance_text: dict[str, Any] = {"default": _tolerance_scalar(
        parse_tolerance_value(DEFAULT_TOLERANCE, "DEFAULT_TOLERANCE"))}
    metrics = cli_metrics
    if baseline_path.exists():
        # Refreshing keeps the tolerances and metrics someone chose; a broken file stops here.
        previous = load_baseline(baseline_path)
        tolerance_text.update(previous.tolerance_text)
        metrics = metrics or previous.metrics
    metrics = metrics or _default_metrics(run)
    for metric in metrics:
        _direction(run, metric)
    for metric in cli_tolerances:
        if metric != "default":
            _direction(run, metric)
    tolerance_text.update({m: _tolerance_scalar(t) for m, t in cli_tolerances.items()})
    document = baseline_document(run, metrics, tolerance_text)
    _write_baseline(baseline_path, document)
    empty = [c for c in run.configurations.values() if not c.finished]
    message = (f"wrote {baseline_path}: {len(document['configurations'])} configurations of "
               f"the sweep {run.name!r}, metrics {', '.join(metrics)}, tolerances "
               + ", ".join(f"{k} {v}" for k, v in tolerance_text.items()))
    print(message, file=out)
    if empty:
        print(f"note: {len(empty)} configurations have no finished trial; recorded without "
              "metrics", file=out)
    if summary is not None:
        _append(Path(summary), f"## nnrun check --update\n\n{message}\n")
    return 0


def _tolerance_scalar(tolerance: Tolerance) -> float | str:
    """A tolerance as it is written in the baseline: 0.01 or "5%"."""
    return str(tolerance) if tolerance.relative else tolerance.value


# ---------------------------------------------------------------------------------------------
# The entry point


def check(results: Path, baseline: Path, *, tolerances: Sequence[str] = (),
          metrics: Sequence[str] | None = None, update: bool = False,
          summary: Path | None = None, out: TextIO | None = None) -> int:
    """Compare the sweep in RESULTS with the baseline file; return the exit code (0 or 1).

    Configurations are matched by their swept parameters, not by seed; each metric is the mean
    over a configuration's finished trials (status ok or stopped). An accuracy may not drop,
    a loss may not rise, by more than its tolerance. By default the sweep's metric and
    val_loss are checked, or the baseline's `metrics:` list.

    Tolerance syntax (repeat --tolerance for several): `0.01` sets the default for every
    metric (absolute); `5%` sets it relative to the baseline value; `val_accuracy=0.02` or
    `val_loss=5%` sets one metric. A metric's own tolerance beats a default, and the command
    line beats the baseline's `tolerances:` block. Without any, the default is 0.01.

    With update, (re)write the baseline (YAML for .yaml/.yml, JSON otherwise) from RESULTS
    and return 0; a refresh keeps the file's tolerances and metrics, command-line values are
    written into it. The markdown summary is appended to `summary` (as GitHub's
    $GITHUB_STEP_SUMMARY expects). Raises NnrunError for unusable input: a missing or
    non-results folder, a baseline of another sweep, a malformed baseline, an unknown
    metric, a bad tolerance.

    Example: nnrun check results/ci --baseline experiments/baselines/ci.yaml --tolerance val_loss=5%
    """
    out = sys.stdout if out is None else out
    cli_tolerances = parse_tolerances(tolerances)
    cli_metrics = _split_metrics(metrics)
    run = load_run(Path(results))
    baseline_path = Path(baseline)
    if update:
        return _update(run, baseline_path, cli_tolerances, cli_metrics, out, summary)

    base = load_baseline(baseline_path)
    _check_identity(run, base)
    checked = cli_metrics or base.metrics or _default_metrics(run)
    recorded = set(base.metrics) or {m for c in base.configurations.values() for m in c.metrics}
    for metric in checked:
        _direction(run, metric)
        if base.configurations and metric not in recorded:
            raise NnrunError(f"{baseline_path}: the baseline has no values for {metric!r}; "
                             f"record it with `nnrun check {results} --baseline {baseline_path} "
                             f"--update --metric {metric}`")
    for metric in cli_tolerances:
        if metric != "default":
            _direction(run, metric)
    report = compare(run, base, cli_tolerances, checked)
    _print_report(report, run.parameters, out)
    if summary is not None:
        _append(Path(summary), markdown(report, run.parameters))
    return 0 if report.passed else 1

"""``nnrun check --update``: write a baseline from a run, or refresh one.

A refresh keeps the tolerances and metrics someone chose in the file; tolerances given on the
command line are written into it (a default given there replaces the file's per-metric ones
too, as it does in a check). YAML for .yaml/.yml, JSON otherwise; in YAML, lists and each
configuration's parameters on one line, so that a refresh is a small diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

import yaml

from nnrun import __version__
from nnrun.check._values import normalise, sort_key
from nnrun.check.baseline import is_yaml, load_baseline
from nnrun.check.render import append_summary
from nnrun.check.run import Run
from nnrun.check.tolerances import DEFAULT, Tolerance
from nnrun.errors import NnrunError
from nnrun.results.files import atomic_write_text


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

HEADER = ("# nnrun baseline of the sweep {name!r}, written by `nnrun check --update`.\n"
          "# Commit it; refresh it on purpose with "
          "`nnrun check RESULTS --baseline THIS_FILE --update`.\n"
          "# tolerances: absolute (0.01) or relative to the baseline value (5%).\n"
          "# metrics: means over each configuration's finished trials.\n")


def baseline_document(run: Run, metrics: list[str], tolerance_text: dict[str, Any]) -> dict:
    """The baseline as plain data, in the order it is written."""
    configurations = sorted(run.configurations.values(),
                            key=lambda c: sort_key([c.params[p] for p in run.parameters]))
    return {
        "nnrun_version": __version__,
        "sweep": {"name": run.name, "parameters": list(run.parameters), "data": run.data},
        "metrics": list(metrics),
        "tolerances": dict(tolerance_text),
        "configurations": [
            {"params": _FlowMap((p, normalise(c.params[p])) for p in run.parameters),
             "trials": c.finished,
             "metrics": {m: (c.mean(m) if c.finished else None) for m in metrics}}
            for c in configurations],
    }


def write_baseline(path: Path, document: dict) -> None:
    if is_yaml(path):
        text = HEADER.format(name=document["sweep"]["name"]) + yaml.dump(
            document, Dumper=_BaselineDumper, sort_keys=False, allow_unicode=True, width=4096)
    else:
        text = json.dumps(document, indent=2) + "\n"
    try:
        atomic_write_text(path, text)
    except OSError as error:
        raise NnrunError(f"{path}: cannot write the baseline: {error}") from None


def update(run: Run, baseline_path: Path, cli_tolerances: dict[str, Tolerance],
           cli_metrics: list[str], out: TextIO, summary: Path | None) -> int:
    """Write the baseline; returns the exit code, 0."""
    tolerance_text: dict[str, Any] = {"default": DEFAULT.as_written()}
    metrics = cli_metrics
    if baseline_path.exists():
        # Refreshing keeps the tolerances and metrics someone chose; a broken file stops here.
        previous = load_baseline(baseline_path)
        tolerance_text.update(previous.tolerance_text)
        if "default" in cli_tolerances:  # a command-line default applies to every metric
            tolerance_text = {"default": tolerance_text["default"]}
        metrics = metrics or previous.metrics
    metrics = metrics or run.default_metrics()
    for metric in [*metrics, *(m for m in cli_tolerances if m != "default")]:
        run.direction(metric)
    tolerance_text.update({m: t.as_written() for m, t in cli_tolerances.items()})
    document = baseline_document(run, metrics, tolerance_text)
    write_baseline(baseline_path, document)
    message = (f"wrote {baseline_path}: {len(document['configurations'])} configurations of "
               f"the sweep {run.name!r}, metrics {', '.join(metrics)}, tolerances "
               + ", ".join(f"{k} {v}" for k, v in tolerance_text.items()))
    print(message, file=out)
    empty = [c for c in run.configurations.values() if not c.finished]
    if empty:
        print(f"note: {len(empty)} configurations have no finished trial; recorded without "
              "metrics", file=out)
    if summary is not None:
        append_summary(Path(summary), f"## nnrun check --update\n\n{message}\n")
    return 0

"""The entry point of `nnrun check`: read the run and the baseline, compare, print, exit code.

The pipe is: read the results folder through the one reader (:mod:`nnrun.check.run`) ->
read and validate the baseline (:mod:`nnrun.check.baseline`) -> compare metric by metric,
direction-aware (:mod:`nnrun.check.compare`) -> print a table and append a markdown summary
(:mod:`nnrun.check.render`) -> exit code 0 or 1. ``--update`` writes the baseline instead
(:mod:`nnrun.check.update`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from nnrun.check.baseline import check_identity, load_baseline
from nnrun.check.compare import compare
from nnrun.check.front import front_change
from nnrun.check.render import append_summary, markdown, print_report
from nnrun.check.run import load_run
from nnrun.check.tolerances import parse_tolerances
from nnrun.check.update import update as write_update
from nnrun.errors import NnrunError


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
    `val_loss=5%` sets one metric. The command line beats the baseline's `tolerances:` block,
    a default given there included; then a metric's own tolerance beats a default. Without
    any, the default is 0.01.
    With several objectives (metric: [val_accuracy, n_parameters]) each is checked (but
    train_seconds, a measured time, only when asked for), and the report says which
    configurations left or joined the Pareto front.

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
        return write_update(run, baseline_path, cli_tolerances, cli_metrics, out, summary)
    base = load_baseline(baseline_path)
    check_identity(run, base)
    checked = cli_metrics or base.metrics or run.default_metrics()
    for metric in [*checked, *(m for m in cli_tolerances if m != "default")]:
        run.direction(metric)
    unrecorded = [m for m in checked if base.configurations and m not in base.recorded()]
    if unrecorded:
        raise NnrunError(f"{baseline_path}: the baseline has no values for {unrecorded[0]!r}; "
                         f"record it with `nnrun check {results} --baseline {baseline_path} "
                         f"--update --metric {unrecorded[0]}`")
    report = compare(run, base, cli_tolerances, checked)
    change = front_change(run, base)
    report.front = change.lines() if change is not None else []
    print_report(report, run.parameters, out)
    if summary is not None:
        append_summary(Path(summary), markdown(report, run.parameters))
    return 0 if report.passed else 1


def _split_metrics(metrics: Sequence[str] | None) -> list[str]:
    """``--metric a,b --metric c`` -> [a, b, c], each once."""
    names: list[str] = []
    for item in metrics or ():
        for name in str(item).split(","):
            if name.strip() and name.strip() not in names:
                names.append(name.strip())
    return names

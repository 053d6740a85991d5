"""The comparison: each configuration of the run against the baseline, metric by metric,
direction-aware; no printing.

Statuses of a configuration
    ok         every checked metric within its tolerance of the baseline
    improved   no metric worse than its tolerance, at least one better by more than it
    regressed  some metric worse than the baseline by more than its tolerance, or fewer
               trials scored than in the baseline because some diverged
    missing    in the baseline, not in the run
    new        in the run, not in the baseline (reported; does not fail the check)
    failed     a trial crashed (status ``failed``), or no trial scored (all diverged) where
               the baseline had a value; a configuration that had no scored trial in the
               baseline either, and did not crash, is ``ok``
    The check fails (exit code 1) on regressed, missing or failed. Both means are rounded to
    SIGNIFICANT_DIGITS before comparing, as in the baseline file, so an unchanged sweep
    compares equal at tolerance 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from nnrun.check._values import flow, sort_key
from nnrun.check.baseline import Baseline, BaselineConfiguration
from nnrun.check.run import Run, RunConfiguration
from nnrun.check.tolerances import Tolerance, resolve_tolerances

FAILING_STATUSES = ("regressed", "missing", "failed")
STATUSES = ("ok", "improved", "regressed", "missing", "new", "failed")


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
    front: list[str] = field(default_factory=list)  # with several objectives: check.front

    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in STATUSES}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def passed(self) -> bool:
        return not any(row.status in FAILING_STATUSES for row in self.rows)


def compare(run: Run, baseline: Baseline, tolerances: dict[str, Tolerance],
            metrics: list[str]) -> Report:
    """Compare every configuration of the run and of the baseline."""
    directions = {metric: run.direction(metric) for metric in metrics}
    resolved = resolve_tolerances(metrics, baseline.tolerances, tolerances)
    keys = set(run.configurations) | set(baseline.configurations)
    params_of = {k: (run.configurations[k].params if k in run.configurations
                     else baseline.configurations[k].params) for k in keys}
    rows = []
    for key in sorted(keys, key=lambda k: sort_key([params_of[k][p] for p in run.parameters])):
        ran, base = run.configurations.get(key), baseline.configurations.get(key)
        labels = ran.labels if ran else {p: flow(base.params[p]) for p in run.parameters}
        comparisons = [
            _compare_metric(m, directions[m], base.metrics.get(m) if base else None,
                            ran.mean(m) if ran and ran.finished else None, resolved[m])
            for m in metrics]
        trials = f"{ran.finished}/{len(ran.statuses)}" if ran else "-"
        status, note = _status(ran, base, comparisons)
        rows.append(Row(labels, status, trials, comparisons, note))
    return Report(run.folder, baseline.path, metrics, resolved, rows,
                  unfinished=run.finished_at is None)


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
    return _compared_status(ran, base, comparisons)


def _compared_status(ran: RunConfiguration, base: BaselineConfiguration,
                     comparisons: list[MetricComparison]) -> tuple[str, str]:
    """The status of a configuration scored in the run and in the baseline."""
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

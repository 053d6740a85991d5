"""The Pareto front in a check: with several objectives, which configurations are on the run's
front and on the baseline's (non-dominated as :mod:`nnrun.results.pareto` defines it, on each
configuration's means). A configuration that leaves the front is named in the report; it fails
the check only through its metrics, as any other does."""

from __future__ import annotations

from dataclasses import dataclass

from nnrun.check._values import flow
from nnrun.check.baseline import Baseline
from nnrun.check.run import Run
from nnrun.results.pareto import non_dominated


@dataclass
class FrontChange:
    """The front of the run and of the baseline: configuration keys, and their labels."""

    metrics: list[str]
    run: list[str]
    baseline: list[str]
    labels: dict[str, str]

    def lines(self) -> list[str]:
        """What the report says of the front."""
        left = [self.labels[k] for k in self.baseline if k not in self.run]
        joined = [self.labels[k] for k in self.run if k not in self.baseline]
        lines = [f"pareto front of {', '.join(self.metrics)}: {len(self.run)} configurations "
                 f"in the run, {len(self.baseline)} in the baseline"]
        if left:
            lines.append(f"left the front: {'; '.join(left)}")
        if joined:
            lines.append(f"joined the front: {'; '.join(joined)}")
        return lines


def front_change(run: Run, baseline: Baseline) -> FrontChange | None:
    """The two fronts, or None for a single objective, or when the baseline does not hold
    every objective's values (a baseline recorded with other metrics)."""
    objectives = [(m, g) for m, g in run.objectives if m in run.columns]
    if len(objectives) < 2 or len(objectives) < len(run.objectives):
        return None
    metrics, goals = [m for m, _ in objectives], [g for _, g in objectives]
    if not all(m in baseline.recorded() for m in metrics):
        return None
    ran = {key: [c.mean(m) if c.finished else None for m in metrics]
           for key, c in run.configurations.items()}
    base = {key: [c.metrics.get(m) for m in metrics]
            for key, c in baseline.configurations.items()}
    labels = {key: ", ".join(f"{p}={v}" for p, v in c.labels.items()) or "the configuration"
              for key, c in run.configurations.items()}
    for key, c in baseline.configurations.items():
        labels.setdefault(key, ", ".join(f"{p}={flow(v)}" for p, v in c.params.items()))
    return FrontChange(metrics, _front(ran, goals), _front(base, goals), labels)


def _front(points: dict[str, list[float | None]], goals: list[str]) -> list[str]:
    keys = sorted(points)
    mask = non_dominated([points[k] for k in keys], goals)
    return [key for key, on in zip(keys, mask, strict=True) if on]

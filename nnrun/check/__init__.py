"""`nnrun check`: compare a finished sweep with a committed baseline, so that CI fails when a
model gets worse.

``run`` reads the results folder through the one reader and groups its trials by
configuration; ``baseline`` is the baseline file's schema and reader; ``tolerances`` says how
far a metric may move; ``compare`` holds each configuration against the baseline; ``render``
prints the outcome (plain, rich, markdown); ``update`` writes the baseline (``--update``);
``command`` is the entry point, :func:`check`.
"""

from nnrun.check.baseline import Baseline, load_baseline
from nnrun.check.command import check
from nnrun.check.compare import FAILING_STATUSES, STATUSES, Report, compare
from nnrun.check.render import markdown
from nnrun.check.run import Run, load_run
from nnrun.check.tolerances import DEFAULT_TOLERANCE, Tolerance, parse_tolerances

__all__ = [
    "DEFAULT_TOLERANCE",
    "FAILING_STATUSES",
    "STATUSES",
    "Baseline",
    "Report",
    "Run",
    "Tolerance",
    "check",
    "compare",
    "load_baseline",
    "load_run",
    "markdown",
    "parse_tolerances",
]

"""The sweep driver: the checks before training (``preflight``), the loop that runs a sweep's
trials and writes their results (``sweep``), Ctrl-C (``interrupts``), progress on stderr
(``progress``), and ``nnrun gradcheck`` (``gradcheck``)."""

from nnrun.driver.gradcheck import run_gradcheck
from nnrun.driver.sweep import SweepOutcome, run_sweep

__all__ = ["SweepOutcome", "run_gradcheck", "run_sweep"]

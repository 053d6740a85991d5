"""The command line: `nnrun sweep | show | plot | check | validate | gradcheck | predict |
export | refit | cache`.

Each command delegates to one module. Anything the user can fix raises NnrunError, which is
printed on stderr as one clean message with exit code 2 (never a traceback). Results go to
stdout, diagnostics and progress to stderr. Heavy modules (numpy, pandas, matplotlib, dask) are
imported inside the commands so that `nnrun --help` starts fast.
"""

from __future__ import annotations

import os
import sys

# Each module registers its commands on app, in the order --help lists them.
# isort: off
from nnrun.cli import _sweeps  # noqa: F401
from nnrun.cli import _models  # noqa: F401
# isort: on
from nnrun.cli._app import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, app, user_errors

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "app", "main",
           "user_errors"]


def main() -> None:
    """The console script's entry point."""
    # matplotlib (imported by plots and by the mnist1d package) must never look for a display.
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        app()
    finally:
        # a sweep's loky workers, idle now: killed, the process exits sooner than when loky
        # asks them to stop at exit (imported only if a command used them)
        if "nnrun.execution.local" in sys.modules:
            sys.modules["nnrun.execution.local"].stop_idle_workers()

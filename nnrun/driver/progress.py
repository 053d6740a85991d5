"""Progress of a sweep on stderr: a live bar in a terminal, one plain line per trial elsewhere.

rich's live display is useless when stderr is not a terminal (and floods logs where CI sets
FORCE_COLOR), so the choice is made on ``isatty()``, not on rich's own detection.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

from nnrun.results.record import TrialRecord
from nnrun.views.tables import format_clock
from nnrun.vocabulary import FAILED, SCORED


class SweepProgress:
    """Counts finished trials and shows them; use as a context manager around the run."""

    def __init__(self, total: int, metric: str, goal: str, *,
                 stream: TextIO | None = None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total = total
        self.metric = metric
        self.goal = goal
        self.done = 0
        self.failed = 0
        self.best: float | None = None
        self.started = time.monotonic()
        self._progress: Any = None
        self._task_id: Any = None

    def __enter__(self) -> SweepProgress:
        if self.live and self.total:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self.stream)
            self._progress = Progress(
                TextColumn("[bold]trials"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(),
                TextColumn("best {task.fields[best]}"), console=console, transient=False)
            self._progress.start()
            self._task_id = self._progress.add_task("sweep", total=self.total, failed=0,
                                                    best="-")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _improves(self, value: float) -> bool:
        if self.best is None:
            return True
        return value > self.best if self.goal == "maximize" else value < self.best

    def best_text(self) -> str:
        return "-" if self.best is None else f"{self.metric}={self.best:.4g}"

    def update(self, record: TrialRecord) -> None:
        """One more finished trial (its result.json record)."""
        self.done += 1
        status = record.status
        if status == FAILED:
            self.failed += 1
        value = record.final.get(self.metric)
        counts = status in SCORED and value is not None and math.isfinite(value)
        if counts and self._improves(value):
            self.best = value
        if self._progress is not None:
            self._progress.update(self._task_id, completed=self.done, failed=self.failed,
                                  best=self.best_text())
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        shown = "-" if value is None else f"{value:.4g}"
        line = (f"[{self.done}/{self.total}] {record.trial} {status:<8} "
                f"{self.metric}={shown}  wall {record.wall_s or 0:.2f}s  "
                f"elapsed {format_clock(elapsed)}  eta {format_clock(eta)}  "
                f"best {self.best_text()}")
        if status == FAILED and record.error:
            line += f"\n    error: {str(record.error).splitlines()[0]}"
        print(line, file=self.stream, flush=True)

"""summary.csv: one row a trial, assembled here once, for the writer and for the reader.

Columns: ``trial``, ``status``, ``seed``, one per swept parameter (its dotted path; the value
as YAML flow writes it, :func:`nnrun.vocabulary.format_value`), the final metrics
(accuracies for classification only), ``best_epoch``, ``epochs_run``, ``wall_s``. The reader
puts a trial that finished after the file was last written through the same row, so that it
reads exactly as it will once the writer has caught up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nnrun.results.files import csv_text
from nnrun.results.record import TrialRecord
from nnrun.vocabulary import METRICS, format_value


def summary_columns(parameters: Sequence[str], task: str | None) -> list[str]:
    """summary.csv's header for a sweep of these parameters and this task."""
    metrics = [m for m in METRICS if task == "classification" or "accuracy" not in m]
    return ["trial", "status", "seed", *parameters, *metrics, "best_epoch", "epochs_run",
            "wall_s"]


def summary_row(record: TrialRecord, parameters: Sequence[str]) -> dict[str, Any]:
    """A trial's row, by column."""
    return {"trial": record.trial, "status": record.status, "seed": record.seed,
            **{name: format_value(record.params.get(name)) for name in parameters},
            **record.final,
            "best_epoch": record.best_epoch, "epochs_run": record.epochs_run,
            "wall_s": round(float(record.wall_s or 0.0), 4)}


def summary_text(records: Sequence[TrialRecord], parameters: Sequence[str],
                 task: str | None) -> str:
    """summary.csv's text: the header, then one row a record, in the order given."""
    return csv_text(summary_columns(parameters, task),
                    [summary_row(record, parameters) for record in records])

"""One way to write a parameter value as text, for summary.csv, tables, baselines and plots;
and the names of the metrics those all show."""

from __future__ import annotations

from typing import Any

# The final metrics of a trial, as summary.csv's columns name them (accuracies only for
# classification).
METRICS = ("train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
           "test_accuracy")


def format_value(value: Any, none: str = "") -> str:
    """A value as YAML flow reads it back: ``relu``, ``0.1``, ``1e-05``, ``true``, ``[32, 32]``,
    ``{patience: 5}``; None as ``none`` (empty in a CSV cell, ``null`` where a reader needs a
    word)."""
    if value is None:
        return none
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v, "null") for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v, 'null')}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return repr(value)
    return str(value)

"""nnrun's vocabulary: the words every stage shares, said once.

Trial statuses, metric names, data-set names, how many significant digits a drawn or compared
number keeps, the one key that tells two data sets apart, and the one way a parameter value is
written as text (summary.csv, tables, baselines, plots). Nothing here imports the rest of nnrun.
"""

from __future__ import annotations

import json
import re
from typing import Any

# -- trial statuses (result.json's "status", summary.csv's column) ---------------------------
OK = "ok"              # trained to the end (or stopped early by early stopping)
DIVERGED = "diverged"  # the loss or the weights became infinite or NaN
FAILED = "failed"      # the trial raised, or its worker died: run again on resume
STOPPED = "stopped"    # successive halving stopped it at a rung: it may be continued
STATUSES = (OK, DIVERGED, FAILED, STOPPED)
# A DONE trial is not trained again when a sweep resumes.
DONE = (OK, DIVERGED, STOPPED)
# A SCORED trial's final metrics count in leaderboards, plots and baselines.
SCORED = (OK, STOPPED)
# An ENDED trial has nothing left to train: no checkpoint is kept, no rung continues it.
ENDED = (OK, DIVERGED)

# -- metrics ---------------------------------------------------------------------------------
# The final metrics of a trial, as summary.csv's columns name them (accuracies only for
# classification); every trial also records the size of its network (weights and biases) and
# the seconds its training took (all its pieces, for a trial continued rung by rung).
METRICS = ("train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy",
           "test_accuracy", "n_parameters", "train_seconds")
# Measured time: not a function of the config and seed, so never compared by default.
TIMINGS = ("train_seconds",)
# What a trial's history holds epoch by epoch (early stopping can watch these).
EPOCH_METRICS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")


def default_goal(metric: str) -> str:
    """The goal of a metric when ``goal:`` does not say: maximize an accuracy, minimize a loss,
    a parameter count and a time."""
    return "maximize" if metric.endswith("_accuracy") else "minimize"

# -- data sets -------------------------------------------------------------------------------
BUILTIN_DATASETS = ("xor", "moons", "circles", "spirals", "blobs", "digits", "mnist1d")
FILE_DATASETS = ("csv", "npz")  # the user's own file: read by the driver, sent to dask workers
DATASETS = BUILTIN_DATASETS + FILE_DATASETS

# Random draws, and the means a baseline compares, keep this many significant digits: a
# readable table, the same search.
SIGNIFICANT_DIGITS = 6


def data_key(data_spec: dict[str, Any], base_dir: Any = None) -> str:
    """The one text that tells two data sets apart: a resolved ``data:`` block and the folder
    its relative paths resolve against."""
    return json.dumps([data_spec, None if base_dir is None else str(base_dir)], sort_keys=True,
                      default=str)


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


# Durations (--timeout, sweep.timeout): "90s", "10m", "1h30m", or a number of seconds.
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([smhd])")


def parse_duration(value: Any) -> float:
    """Seconds from a duration: a positive number (seconds) or text such as ``90s``, ``10m``,
    ``1.5h``, ``1h30m``, ``2d``. Raises ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        try:
            seconds = float(text)
        except ValueError:
            parts = _PART.findall(text)
            if not parts or _PART.sub("", text).strip():
                raise ValueError(f"{value!r} is not a duration") from None
            seconds = sum(float(number) * _UNITS[unit] for number, unit in parts)
    if not seconds > 0 or seconds == float("inf"):
        raise ValueError(f"{value!r} is not a positive duration")
    return seconds


def format_duration(seconds: float) -> str:
    """``5400`` -> ``1h30m``; ``90`` -> ``1m30s``; ``2.5`` -> ``2.5s``."""
    if seconds < 60:
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)

"""Tolerances: how far a metric may move the wrong way before the check fails.

Absolute (``0.01``: an accuracy may drop by 0.01) or relative to the baseline's value
(``5%``: a loss may rise by 5 % of its baseline value). The command line beats the baseline
file: a metric's own tolerance from the command line, then the command line's default (which,
as ``--help`` says, applies to every metric, those the file names included), then the metric's
own tolerance in the baseline's ``tolerances:`` block, then the file's ``default``, then
``DEFAULT_TOLERANCE``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nnrun.check._values import NUMBER
from nnrun.errors import NnrunError

DEFAULT_TOLERANCE = "0.01"

_TOLERANCE = re.compile(
    r"(?:(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*)?(?P<value>[^=%]+?)\s*(?P<pct>%)?")


@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move the wrong way: ``value`` absolute, or ``value`` % of baseline."""

    value: float
    relative: bool = False

    def allowed(self, baseline: float) -> float:
        return self.value / 100.0 * abs(baseline) if self.relative else self.value

    def __str__(self) -> str:
        return f"{self.value:g}%" if self.relative else f"{self.value:g}"

    def as_written(self) -> float | str:
        """The tolerance as a baseline file writes it: 0.01 or "5%"."""
        return str(self) if self.relative else self.value


def parse_tolerance_value(text: str | float | int, where: str) -> Tolerance:
    """``0.01`` -> absolute, ``5%`` -> relative; ``where`` names the source in the error."""
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise NnrunError(f"{where}: expected a number or a percentage such as 5%, got {text!r}")
    raw = str(text).strip()
    relative = raw.endswith("%")
    number = raw[:-1].strip() if relative else raw
    if not NUMBER.fullmatch(number):
        raise NnrunError(f"{where}: expected a number or a percentage such as 5%, got {text!r}")
    value = float(number)
    if value < 0:
        raise NnrunError(f"{where}: a tolerance cannot be negative, got {text!r}")
    return Tolerance(value, relative)


DEFAULT = parse_tolerance_value(DEFAULT_TOLERANCE, "DEFAULT_TOLERANCE")


def parse_tolerances(specs: Sequence[str]) -> dict[str, Tolerance]:
    """Command-line tolerances -> {"default" or metric: Tolerance}; a later one wins.

    Syntax, one value per ``--tolerance``: ``0.01`` (the default for every metric, absolute),
    ``5%`` (the default, relative to the baseline's value), ``val_accuracy=0.02`` or
    ``val_loss=5%`` (one metric).
    """
    parsed: dict[str, Tolerance] = {}
    for spec in specs:
        match = _TOLERANCE.fullmatch(str(spec).strip())
        if not match:
            raise NnrunError(
                f"--tolerance {spec!r}: expected NUMBER, NUMBER%, METRIC=NUMBER or METRIC=NUMBER% "
                "(e.g. 0.01, 5%, val_accuracy=0.02, val_loss=5%)")
        metric = match["metric"] or "default"
        parsed[metric] = parse_tolerance_value(
            match["value"] + ("%" if match["pct"] else ""), f"--tolerance {spec!r}")
    return parsed


def resolve_tolerances(metrics: Sequence[str], baseline: dict[str, Tolerance],
                       cli: dict[str, Tolerance]) -> dict[str, Tolerance]:
    """Each checked metric's tolerance, the most specific setting first."""
    def first(*candidates: Tolerance | None) -> Tolerance:
        return next(c for c in candidates if c is not None)

    return {m: first(cli.get(m), cli.get("default"), baseline.get(m), baseline.get("default"),
                     DEFAULT) for m in metrics}

"""The checks of ``sweep.parameters``: each swept key is one that can vary, each value is a
list or a distribution, and each value (each bound of a distribution) is checked by putting it
into the base file and running the same models, so that a value that is wrong only together
with the rest of the file (val_fraction: 0.6 beside test_fraction: 0.5) is found as well.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from nnrun.config._messages import explain
from nnrun.config._show import did_you_mean, show
from nnrun.config.dotted import dotted_name, get_dotted, set_dotted, sweepable
from nnrun.config.schema import DISTRIBUTIONS, TOP_KEYS, TRIAL_SECTIONS, TrialConfig
from nnrun.config.shape import SHAPE_KEYS, apply_shape, shape_value_problem

# fail(location, message, kind): kind "key", "value" or "missing" says where to point.
Fail = Callable[[tuple, str, str], None]
_DISTRIBUTION_FORMS = ("{uniform: [lo, hi]}, {log_uniform: [lo, hi]}, {int_uniform: [lo, hi]}, "
                       "{choice: [a, b, ...]}")


def trial_problems(config: dict[str, Any]) -> list[tuple[tuple, str]]:
    """The (location, message) problems of a trial config, each once; [] when it is valid."""
    try:
        TrialConfig.model_validate(config)
    except ValidationError as error:
        return list(dict.fromkeys(pair for problem in error.errors() for pair in explain(problem)))
    return []


def unknown_parameter(key: str) -> str:
    """Why ``key`` cannot be swept, and the nearest key that can."""
    if key == "seed":
        return "the seed is not swept; use `repeats: N` for N independent seeds"
    if key in ("data.folds", "data.fold"):
        return ("the folds of cross-validation are how every configuration is scored, not a "
                "setting to compare; give data.folds: k in the data block")
    if key in TOP_KEYS or key.startswith("sweep."):
        return "not a training setting, so it can't be swept"
    valid = list(sweepable())
    hint = did_you_mean(key, valid)
    if not hint:
        ends = [k for k in valid if k.split(".")[-1] == key.split(".")[-1]]
        hint = f" (did you mean {ends[0]!r}?)" if ends else ""
    return (f"{key!r} is not a key that can be swept{hint}; sweepable keys are dotted "
            "paths into the file such as model.activation or optimizer.lr")


class SweptValues:
    """Checks the swept values of one document against its trial sections (the base)."""

    def __init__(self, document: dict[str, Any], fail: Fail):
        self._fail = fail
        self._base = {key: copy.deepcopy(document[key])
                      for key in TRIAL_SECTIONS if key in document}
        # The base's own problems are reported once, at the base; a value is blamed only for
        # the problems it adds.
        self._base_problems = set(trial_problems(self._base))
        self._samples_reported = False

    def check(self, parameters: dict[str, Any], method: Any, samples: Any,
              where: tuple = ("sweep", "parameters")) -> dict[str, Any]:
        """The parameters whose values are all valid, normalised as validated (1 -> 1.0), in
        file order; each problem goes to ``fail``. ``where``: the mapping's location (a
        sub-space of a list is ``("sweep", "parameters", index)``)."""
        checked = {}
        for key, spec in parameters.items():
            path = (*where, key)
            if key not in sweepable() and key not in SHAPE_KEYS:
                self._fail(path, unknown_parameter(key), "key")
                continue
            if key in SHAPE_KEYS and "model.hidden" in parameters:
                self._fail(path, f"{key} and model.hidden both set the hidden layers; sweep "
                           "model.hidden, or model.depth and model.width", "key")
                continue
            if isinstance(spec, list):
                values = self._values(key, spec, path)
            elif isinstance(spec, dict):
                values = self._drawn(key, spec, path, method, samples)
            else:
                self._fail(path, f"found {show(spec)}; expected a list of values, e.g. "
                           f"[{show(spec)}], or a distribution such as {{uniform: [lo, hi]}}",
                           "value")
                continue
            if values is not None:
                checked[key] = values
        return checked

    def _drawn(self, key: str, spec: dict, path: tuple, method: Any, samples: Any) -> Any:
        """A distribution: for the methods that draw, and (halving) with a number of draws."""
        if method == "grid":
            self._fail(path, f"grid search needs a list of values; {show(spec)} is a "
                       "distribution, for method random, halving or bayes", "value")
            return None
        if method == "halving" and samples is None and not self._samples_reported:
            self._samples_reported = True
            self._fail(("sweep", "samples"), f"required: {key} is drawn from a distribution, "
                       "so halving needs samples (how many configurations)", "missing")
        return self._distribution(key, spec, path)

    def _substitute(self, key: str, value: Any) -> tuple[Any, list[str]]:
        """Put one value in the base config and check it: (value as validated, new problems)."""
        config = copy.deepcopy(self._base)
        if key in SHAPE_KEYS:
            return self._shape(config, key, value)
        try:
            set_dotted(config, key, copy.deepcopy(value))
        except TypeError:
            return value, []  # the base is broken there; that is reported already
        problems = [message if dotted_name(loc) == key
                    else f"with this value, {dotted_name(loc)}: {message}"
                    for loc, message in trial_problems(config)
                    if (loc, message) not in self._base_problems]
        if problems or self._base_problems:
            return value, problems
        try:
            return get_dotted(TrialConfig.model_validate(config).model_dump(), key), []
        except KeyError:  # left out of the dump while unset (data.features: null)
            return None, []

    def _shape(self, config: dict[str, Any], key: str, value: Any) -> tuple[Any, list[str]]:
        """model.depth or model.width: a whole number, and the network it makes with the rest
        of the base (nnrun.config.shape)."""
        problem = shape_value_problem(key, value)
        if problem:
            return value, [problem]
        try:
            apply_shape(config, {key: value})
        except (ValueError, AttributeError, TypeError) as error:
            return value, [str(error)]
        problems = [f"with this value, {dotted_name(loc)}: {message}"
                    for loc, message in trial_problems(config)
                    if (loc, message) not in self._base_problems]
        return value, problems

    def _values(self, key: str, values: list, path: tuple) -> list | None:
        """A list of values: each valid, none given twice."""
        if not values:
            self._fail(path, "an empty list; give at least one value", "value")
            return None
        checked, seen, ok = [], {}, True
        for index, value in enumerate(values):
            item = (*path, index)
            valid_value, problems = self._substitute(key, value)
            for message in problems:
                self._fail(item, message, "value")
            ok = ok and not problems
            canonical = json.dumps(valid_value, sort_keys=True, default=str)
            if not problems and canonical in seen:
                self._fail(item, f"{show(value)} is the same value as item {seen[canonical]}; "
                           "a value given twice would run the same trials twice", "value")
                ok = False
            seen.setdefault(canonical, index)
            checked.append(valid_value)
        return checked if ok else None

    def _distribution(self, key: str, spec: dict, path: tuple) -> dict | None:
        """``{name: arguments}``: a choice among values, or the bounds [lo, hi] of a range."""
        if len(spec) != 1 or next(iter(spec)) not in DISTRIBUTIONS:
            names = [k for k in spec if k not in DISTRIBUTIONS] or list(spec)
            hint = did_you_mean(names[0], DISTRIBUTIONS) if names else ""
            self._fail(path, f"{show(spec)} is not a distribution{hint}; expected one of "
                       f"{_DISTRIBUTION_FORMS}", "value")
            return None
        name, arguments = next(iter(spec.items()))
        path = (*path, name)
        if name == "choice":
            if not isinstance(arguments, list):
                self._fail(path, f"found {show(arguments)}; expected a list of values", "value")
                return None
            values = self._values(key, arguments, path)
            return None if values is None else {"choice": values}
        problem = _range_problem(name, arguments)
        if problem:
            self._fail(path, f"found {show(arguments)}; {problem}", "value")
            return None
        bounds = self._bounds(key, name, arguments, path)
        return None if bounds is None else {name: bounds}

    def _bounds(self, key: str, name: str, arguments: list, path: tuple) -> list | None:
        """The bounds of a range, each checked as a value of ``key``."""
        bounds = []
        for index, bound in enumerate(arguments):
            # The draws are floats for uniform and log_uniform: check the bounds as floats.
            value = bound if name == "int_uniform" else float(bound)
            valid_value, problems = self._substitute(key, value)
            for message in problems:
                self._fail((*path, index), message, "value")
            if problems:
                return None
            bounds.append(valid_value)
        return bounds


def _range_problem(name: str, arguments: Any) -> str:
    """What is wrong with the [lo, hi] of a uniform, log_uniform or int_uniform; "" if nothing."""
    number = int if name == "int_uniform" else (int, float)
    if (not isinstance(arguments, list) or len(arguments) != 2
            or not all(isinstance(a, number) and not isinstance(a, bool) for a in arguments)
            or not all(math.isfinite(a) for a in arguments)):
        return f"expected [lo, hi], two {'integers' if name == 'int_uniform' else 'numbers'}"
    lo, hi = arguments
    if not (lo <= hi if name == "int_uniform" else lo < hi):
        return "lo must be below hi"
    if name == "log_uniform" and lo <= 0:
        return "log_uniform needs 0 < lo < hi"
    return ""

"""`nnrun gradcheck`: backpropagation against central differences for each network of a sweep."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

from nnrun.config import SweepSpec, load_config
from nnrun.core import gradcheck
from nnrun.data.cache import get_dataset
from nnrun.driver.preflight import inspect_data
from nnrun.errors import ConfigError, NnrunError
from nnrun.model import build_network
from nnrun.search import Trial, choices_of, expand, make_trial
from nnrun.search.trials import canonical_json
from nnrun.vocabulary import data_key

MODEL_KEYS = ("hidden", "activation", "output", "init")
#: Central differences balance truncation (~eps^2) against rounding (~1e-16 / eps) here: a
#: correct network scores about 1e-7 at this step, ten times less than at 1e-6, where deep
#: networks come close to (and can cross) the default threshold of 1e-6 by rounding alone.
EPS = 1e-5


def run_gradcheck(config_path: Path, samples: int = 16, overrides: list[str] | None = None
                  ) -> list[dict[str, Any]]:
    """For every distinct (architecture, activation, output, loss, data) of the sweep, build
    the trial's network in float64 and check it on ``samples`` training samples.

    Returns one row a network: its description and ``max_rel_error``.
    """
    if samples < 1:
        raise NnrunError(f"--samples must be at least 1, not {samples}")
    spec = load_config(config_path, overrides or [])
    for note in spec.notes:  # what --set took out of the sweep
        print(note, file=sys.stderr, flush=True)
    base_dir = str(Path(spec.path).resolve().parent)
    trials = expand(spec) if spec.method != "bayes" else _bayes_networks(spec)
    inspect_data(trials, base_dir, spec)  # every bad data file, at its line
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    networks: set[str] = set()  # as built: output "auto" and "softmax" can be one network
    for trial in trials:
        config = trial.config
        key = (canonical_json({k: config["model"][k] for k in MODEL_KEYS}), config["loss"],
               data_key(config["data"], base_dir))
        if key in seen:
            continue
        seen.add(key)
        dataset = get_dataset(config["data"], base_dir, fresh=True)
        net = build_network(config, dataset, dtype="float64")
        row = {"sizes": list(net.sizes), "activation": net.activation,
               "output": net.output, "loss": net.loss}  # output: the one "auto" chose
        built = canonical_json({**row, "init": net.init, "data": key[2]})
        if built in networks:
            continue
        networks.add(built)
        X, Y = dataset.X_train[:samples], dataset.Y_train[:samples]
        rows.append({**row, "max_rel_error": float(gradcheck(net, X, Y, eps=EPS))})
    return rows


def _bayes_networks(spec: SweepSpec) -> list[Trial]:
    """A bayes sweep has no trials before it runs: one trial for every combination of the
    choices that shape a network (model.*, loss), the other parameters as in the base config.
    A combination that is not a valid configuration is one TPE cannot propose either: skipped."""
    trials = []
    for space, parameters in enumerate(spec.spaces):
        choices = {key: choices_of(values) for key, values in parameters.items()
                   if key == "loss" or key.startswith("model.")}
        choices = {key: values for key, values in choices.items() if values is not None}
        for combination in itertools.product(*choices.values()):
            try:
                trials.append(make_trial(spec, dict(zip(choices, combination, strict=True)),
                                         space=space))
            except ConfigError:
                continue
    return trials

"""`nnrun gradcheck`: backpropagation against central differences for each network of a sweep."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODEL_KEYS = ("hidden", "activation", "output", "init")


def run_gradcheck(config_path: Path, samples: int = 16, overrides: list[str] | None = None
                  ) -> list[dict[str, Any]]:
    """For every distinct (architecture, activation, output, loss, data) of the sweep, build
    the trial's network in float64 and check it on ``samples`` training samples.

    Returns one row a network: its description and ``max_rel_error``.
    """
    from nnrun.config import load_config
    from nnrun.core import gradcheck
    from nnrun.sweep import expand
    from nnrun.trial import build_network, get_dataset

    spec = load_config(config_path, overrides or [])
    base_dir = str(Path(spec.path).resolve().parent)
    trials = expand(spec)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for trial in trials:
        config = trial.config
        key = json.dumps([{k: config["model"][k] for k in MODEL_KEYS}, config["loss"],
                          config["data"]], sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        dataset = get_dataset(config["data"], base_dir)
        net = build_network(config, dataset, dtype="float64")
        X, Y = dataset.X_train[:samples], dataset.Y_train[:samples]
        error = gradcheck(net, X, Y)
        rows.append({"sizes": list(net.sizes), "activation": config["model"]["activation"],
                     "output": config["model"]["output"], "loss": config["loss"],
                     "max_rel_error": float(error)})
    return rows

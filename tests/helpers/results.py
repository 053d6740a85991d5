"""Synthetic results folders, written by hand to the layout ARCHITECTURE.md documents.

They do not go through nnrun.results on purpose: the folder layout is the contract `nnrun plot`
reads, so the tests hold the plots to it rather than to one writer.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import yaml

BASE_CONFIG: dict[str, Any] = {
    "name": "sweep",
    "seed": 0,
    "repeats": 1,
    "data": {"dataset": "spirals", "path": None, "target": None, "task": "auto",
             "n_samples": 300, "noise": 0.2, "classes": 3, "val_fraction": 0.2,
             "test_fraction": 0.2, "standardize": True, "seed": 0},
    "model": {"hidden": [16, 16], "activation": "relu", "output": "auto", "init": "auto"},
    "loss": "cross_entropy",
    "optimizer": {"name": "sgd", "lr": 0.1, "weight_decay": 0.0, "momentum": None,
                  "betas": [0.9, 0.999], "eps": 1.0e-8, "alpha": 0.99, "schedule": "constant",
                  "step_size": None, "gamma": None, "min_lr": 0.0},
    "train": {"batch_size": 32, "epochs": 20, "dtype": "float32", "early_stopping": None},
    "sweep": {"method": "grid", "parameters": {}, "samples": None},
    "metric": None,
    "goal": None,
}


def set_dotted(config: dict[str, Any], key: str, value: Any) -> None:
    *path, last = key.split(".")
    for part in path:
        config = config[part]
    config[last] = value


def cell(value: Any) -> str:
    """A summary.csv cell: YAML flow form for lists, as ARCHITECTURE.md says."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(cell(v) for v in value) + "]"
    return str(value)


def history(quality: float, epochs: int, layers: int, *, task: str, rng: np.random.Generator,
            vanish: float = 1.0, diverge_at: int | None = None) -> list[dict[str, Any]]:
    """Plausible per-epoch metrics: losses fall towards a floor set by ``quality`` in (0, 1]."""
    rows = []
    for epoch in range(1, epochs + 1):
        progress = 1 - math.exp(-epoch / (epochs / 4))
        train_loss = 1.1 * (1 - 0.9 * quality * progress) + rng.normal(0, 0.01)
        val_loss = train_loss * 1.05 + rng.normal(0, 0.01)
        if diverge_at is not None and epoch >= diverge_at:
            train_loss = val_loss = math.inf if epoch > diverge_at else 1e6
        row: dict[str, Any] = {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss}
        if task == "classification":
            accuracy = 0.33 + 0.66 * quality * progress
            row["train_accuracy"] = min(1.0, accuracy + 0.02)
            row["val_accuracy"] = min(1.0, accuracy + rng.normal(0, 0.01))
        row["lr"] = 0.1
        for layer in range(1, layers + 1):
            # Layer 1 is the farthest from the output: with vanish < 1 its gradient is smallest.
            row[f"grad_norm_{layer}"] = (vanish ** (layers - layer)) * 0.5 / math.sqrt(epoch)
        row["wall_s"] = 0.01 * epoch
        rows.append(row)
    return rows


def write_sweep(folder: Path, *, parameters: dict[str, Any], trials: list[dict[str, Any]],
                task: str = "classification", method: str = "grid",
                metric: str | list[str] | None = None, goal: str | list[str] | None = None,
                finished: bool = True, unfinished: tuple[str, ...] = (),
                in_summary: set[str] | None = None, config: dict[str, Any] | None = None) -> Path:
    """Write a results folder.

    Each trial is a dict with id, params, status, seed, and optionally history (list of rows;
    None writes no metrics.csv), final (metrics), sizes, weights (list of (W, b)), error.
    ``unfinished`` ids go into sweep.json only; ``in_summary`` limits the rows of summary.csv
    (the others have only their result.json, as while a sweep runs). ``metric`` and ``goal``
    may be lists (several objectives); final metrics get n_parameters (from sizes) and
    train_seconds (0.4) unless given.
    """
    metric = metric or ("val_accuracy" if task == "classification" else "val_loss")
    metrics = [metric] if isinstance(metric, str) else list(metric)
    goals = goal if isinstance(goal, list) else [goal] * len(metrics)
    goals = [g or ("maximize" if "accuracy" in m else "minimize")
             for m, g in zip(metrics, goals, strict=True)]
    metric, goal = (metrics[0], goals[0]) if len(metrics) == 1 else (metrics, goals)
    raw = json.loads(json.dumps(config or BASE_CONFIG))
    raw["name"] = folder.name
    raw["sweep"] = {"method": method, "parameters": parameters,
                    "samples": len(trials) if method == "random" else None}
    raw["metric"], raw["goal"] = metric, goal
    folder.mkdir(parents=True)
    ids = [t["id"] for t in trials] + list(unfinished)
    meta = {"name": folder.name, "nnrun_version": "0.1.0",
            "config_path": str(folder.parent / f"{folder.name}.yaml"), "config": raw,
            "method": method, "parameters": list(parameters), "metric": metrics[0],
            "goal": goals[0],
            "objectives": [{"metric": m, "goal": g} for m, g in zip(metrics, goals, strict=True)],
            "task": task, "started_at": "2026-11-28T08:00:00+00:00",
            "finished_at": "2026-11-28T08:03:25+00:00" if finished else None, "trials": ids}
    (folder / "sweep.json").write_text(json.dumps(meta, indent=2))

    metric_names = ["train_loss", "val_loss", "test_loss"]
    if task == "classification":
        metric_names += ["train_accuracy", "val_accuracy", "test_accuracy"]
    metric_names += ["n_parameters", "train_seconds"]
    columns = ["trial", "status", "seed", *parameters, *metric_names, "best_epoch", "epochs_run",
               "wall_s"]
    rows = []
    for trial in trials:
        trial_dir = folder / "trials" / trial["id"]
        trial_dir.mkdir(parents=True)
        trial_config = json.loads(json.dumps(raw))
        del trial_config["sweep"], trial_config["name"], trial_config["metric"]
        del trial_config["goal"], trial_config["repeats"]
        for key, value in trial["params"].items():
            set_dotted(trial_config, key, value)
        trial_config["seed"] = trial["seed"]
        doc = {"trial": trial["id"], "params": trial["params"], **trial_config}
        (trial_dir / "config.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        if trial.get("history"):
            head = list(trial["history"][0])
            with (trial_dir / "metrics.csv").open("w", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(head)
                for row in trial["history"]:
                    writer.writerow([cell(row[k]) if isinstance(row[k], float) else row[k]
                                     for k in head])
        if trial.get("weights"):
            arrays = {}
            for i, (W, b) in enumerate(trial["weights"], start=1):
                arrays[f"W{i}"], arrays[f"b{i}"] = W, b
            np.savez(trial_dir / "weights.npz", **arrays)
        sizes = trial.get("sizes", [2, 16, 16, 3])
        final = {"n_parameters": sum(n_out * (n_in + 1) for n_in, n_out
                                     in zip(sizes[:-1], sizes[1:], strict=True)),
                 "train_seconds": 0.4, **(trial.get("final") or {})}
        epochs_run = len(trial.get("history") or [])
        result = {"trial": trial["id"], "status": trial["status"], "seed": trial["seed"],
                  "params": trial["params"], "final": final, "best_epoch": epochs_run or None,
                  "epochs_run": epochs_run, "wall_s": 0.5, "train_s": 0.4, "task": task,
                  "sizes": sizes, "error": trial.get("error"),
                  "traceback": None}
        (trial_dir / "result.json").write_text(json.dumps(result, indent=2))
        if in_summary is None or trial["id"] in in_summary:
            row = {"trial": trial["id"], "status": trial["status"], "seed": trial["seed"],
                   **trial["params"], **final, "best_epoch": epochs_run or None,
                   "epochs_run": epochs_run, "wall_s": 0.5}
            rows.append([cell(row.get(c)) for c in columns])
    with (folder / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return folder


def finals(rows: list[dict[str, Any]], task: str) -> dict[str, float | None]:
    """Final metrics from the last row of a history (test a little worse than validation)."""
    last = rows[-1]
    final = {"train_loss": last["train_loss"], "val_loss": last["val_loss"],
             "test_loss": last["val_loss"] * 1.02}
    if task == "classification":
        final.update(train_accuracy=last["train_accuracy"], val_accuracy=last["val_accuracy"],
                     test_accuracy=last["val_accuracy"] - 0.01)
    return {k: (v if v is not None and math.isfinite(v) else None) for k, v in final.items()}


def random_weights(sizes: list[int], rng: np.random.Generator) -> list[tuple[Any, Any]]:
    return [(rng.normal(size=(n_out, n_in)), np.zeros(n_out))
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]


def grid_classification(folder: Path) -> Path:
    """activation x loss, 2 repeats each: 12 trials, a 3-layer network; sigmoid gradients vanish.

    Four input features, with weights.npz: everything a decision-region plot needs but 2-D data.
    """
    rng = np.random.default_rng(1)
    sizes = [4, 16, 16, 3]
    quality = {("sigmoid", "mse"): 0.5, ("sigmoid", "cross_entropy"): 0.7,
               ("tanh", "mse"): 0.8, ("tanh", "cross_entropy"): 0.9,
               ("relu", "mse"): 0.85, ("relu", "cross_entropy"): 0.97}
    trials = []
    for (activation, loss), q in quality.items():
        for repeat in range(2):
            rows = history(q - 0.02 * repeat, 20, 3, task="classification", rng=rng,
                           vanish=0.2 if activation == "sigmoid" else 0.9)
            trials.append({"id": f"{activation[:3]}{loss[:3]}{repeat}abcdef",
                           "params": {"model.activation": activation, "loss": loss},
                           "status": "ok", "seed": 100 + repeat, "history": rows,
                           "final": finals(rows, "classification"), "sizes": sizes,
                           "weights": random_weights(sizes, rng)})
    return write_sweep(folder, parameters={"model.activation": ["sigmoid", "tanh", "relu"],
                                           "loss": ["mse", "cross_entropy"]}, trials=trials)


def falling_losses(folder: Path, decades: float = 2.5) -> Path:
    """Three learning rates, 2 repeats each: validation losses that fall over up to
    ``decades`` decades in 20 epochs (a log axis in report.html and learning_curves.png), and
    gradient norms that grow with the learning rate."""
    rng = np.random.default_rng(4)
    trials = []
    for lr, speed in ((0.01, 0.5), (0.1, 0.8), (1.0, 1.0)):
        for repeat in range(2):
            rows = history(0.9, 20, 3, task="classification", rng=rng, vanish=0.3)
            for row in rows:
                row["val_loss"] = 1.2 * 10 ** (-decades * speed * row["epoch"] / 20)
                row["train_loss"] = 0.9 * row["val_loss"]
                for layer in range(1, 4):  # a larger step, larger gradients
                    row[f"grad_norm_{layer}"] *= lr ** 0.5
            trials.append({"id": f"lr{lr:g}r{repeat}xxxxx", "params": {"optimizer.lr": lr},
                           "status": "ok", "seed": repeat, "history": rows,
                           "final": finals(rows, "classification")})
    return write_sweep(folder, parameters={"optimizer.lr": [0.01, 0.1, 1.0]}, trials=trials)


def random_regression(folder: Path, n_trials: int = 20) -> Path:
    """A random search on a regression task: log-uniform lr, a choice of hidden layers."""
    rng = np.random.default_rng(2)
    trials = []
    for i in range(n_trials):
        lr = float(10 ** rng.uniform(-4, -1))
        hidden = [[16], [32, 32]][i % 2]
        batch = int(rng.integers(8, 129))
        diverge = 5 if i == 3 else None
        q = 1 - abs(math.log10(lr) + 2) / 3
        rows = history(q, 15, len(hidden) + 1, task="regression", rng=rng, diverge_at=diverge)
        trials.append({"id": f"r{i:02d}{'x' * 10}", "seed": i, "history": rows,
                       "status": "diverged" if diverge else "ok",
                       "params": {"optimizer.lr": lr, "model.hidden": hidden,
                                  "train.batch_size": batch},
                       "final": finals(rows, "regression"), "sizes": [5, *hidden, 1]})
    return write_sweep(folder, task="regression", method="random",
                       parameters={"optimizer.lr": {"log_uniform": [1e-4, 1e-1]},
                                   "model.hidden": {"choice": [[16], [32, 32]]},
                                   "train.batch_size": {"int_uniform": [8, 128]}},
                       trials=trials)


def partial(folder: Path) -> Path:
    """A sweep still running: 3 done, 1 failed (no metrics), 1 done without metrics.csv, one
    done but not yet in summary.csv, two not started."""
    rng = np.random.default_rng(3)
    trials = []
    for i, lr in enumerate([0.01, 0.1, 1.0, 0.03]):
        rows = history(0.5 + 0.1 * i, 10, 3, task="classification", rng=rng)
        trials.append({"id": f"p{i}{'y' * 10}", "params": {"optimizer.lr": lr}, "status": "ok",
                       "seed": i, "history": rows, "final": finals(rows, "classification")})
    trials.append({"id": "pfailedyyyyy", "params": {"optimizer.lr": 3.0}, "status": "failed",
                   "seed": 9, "history": None, "final": {},
                   "error": "DataError: data/missing.csv: no such file | really"})
    rows = history(0.6, 10, 3, task="classification", rng=rng)
    trials.append({"id": "pnometricsyy", "params": {"optimizer.lr": 0.3}, "status": "ok",
                   "seed": 8, "history": None, "final": finals(rows, "classification")})
    in_summary = {t["id"] for t in trials} - {"p3yyyyyyyyyy"}
    return write_sweep(folder, parameters={"optimizer.lr": [0.01, 0.03, 0.1, 0.3, 1.0, 3.0]},
                       trials=trials, finished=False, unfinished=("pwaiting1yyy", "pwaiting2yyy"),
                       in_summary=in_summary)


def two_dimensional(folder: Path, epochs: int = 30) -> Path:
    """moons, sigmoid vs relu, weights.npz from a real network trained a few epochs."""
    from nnrun.core import Network, make_optimizer
    from nnrun.data import load_dataset

    config = json.loads(json.dumps(BASE_CONFIG))
    config["data"].update(dataset="moons", n_samples=300, classes=2)
    data = load_dataset(config["data"], seed=0)
    sizes = [2, 8, 8, 2]
    trials = []
    for activation in ("sigmoid", "relu"):
        net = Network(sizes, activation=activation, loss="cross_entropy", seed=1,
                      dtype="float64", task="classification")
        optimizer = make_optimizer("adam", lr=0.03)
        rng = np.random.default_rng(0)
        rows = []
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(data.X_train))
            for start in range(0, len(order), 32):
                batch = order[start:start + 32]
                net.train_batch(data.X_train[batch], data.Y_train[batch], optimizer)
            train = net.evaluate(data.X_train, data.Y_train)
            val = net.evaluate(data.X_val, data.Y_val)
            _, dW, _ = net.gradients(data.X_train, data.Y_train)
            row = {"epoch": epoch, "train_loss": train["loss"], "val_loss": val["loss"],
                   "train_accuracy": train["accuracy"], "val_accuracy": val["accuracy"],
                   "lr": 0.03}
            row.update({f"grad_norm_{i}": float(np.linalg.norm(g))
                        for i, g in enumerate(dW, start=1)})
            row["wall_s"] = 0.01 * epoch
            rows.append(row)
        final = finals(rows, "classification")
        trials.append({"id": f"{activation}{'z' * 8}", "params": {"model.activation": activation},
                       "status": "ok", "seed": 1, "history": rows, "final": final,
                       "sizes": sizes, "weights": list(zip(net.weights, net.biases,
                                                           strict=True))})
    config["model"]["hidden"] = [8, 8]
    return write_sweep(folder, parameters={"model.activation": ["sigmoid", "relu"]},
                       trials=trials, config=config)


# The accuracy of each hidden width in pareto_grid: the front is widths 1, 2 and 8 (4 ties 2 on
# accuracy with more parameters, 16 is below 8 with more).
PARETO_ACCURACY = {1: 0.70, 2: 0.80, 4: 0.80, 8: 0.90, 16: 0.88}


def pareto_grid(folder: Path, metric: list[str] | None = None,
                goal: list[str] | None = None) -> Path:
    """Two objectives, val_accuracy and n_parameters, over model.hidden: 5 configurations of 2
    repeats (accuracy PARETO_ACCURACY ± 0.01), network [2, width, 3]."""
    rng = np.random.default_rng(3)
    trials = []
    for width, accuracy in PARETO_ACCURACY.items():
        for repeat in range(2):
            rows = history(accuracy, 10, 2, task="classification", rng=rng)
            final = {**finals(rows, "classification"),
                     "val_accuracy": accuracy + (0.01 if repeat == 0 else -0.01),
                     "train_seconds": 0.1 * width}
            trials.append({"id": f"w{width:02d}r{repeat}abcdef", "params": {"model.hidden":
                                                                         [width]},
                           "status": "ok", "seed": repeat, "history": rows, "final": final,
                           "sizes": [2, width, 3]})
    return write_sweep(folder, parameters={"model.hidden": [[w] for w in PARETO_ACCURACY]},
                       trials=trials, metric=metric or ["val_accuracy", "n_parameters"],
                       goal=goal or ["maximize", "minimize"])

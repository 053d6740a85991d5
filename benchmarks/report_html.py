"""How long report.html takes to render for a large sweep, and how big it is.

A results folder of 500 trials x 200 epochs (a random search over three parameters, two-layer
networks, every metrics.csv column) is written to the layout of ARCHITECTURE.md, then timed:
reading it through the one reader (``load_sweep``, the reference), writing report.html
(``write_html_report``: the data, the plotly figures and the inlined plotly.js), and the file's
size, in total and without plotly.js. The time of report.html is printed as a ratio to the
reading, both measured in this run, so a loaded machine does not move the ratio much.

Run: python benchmarks/report_html.py [TRIALS] [EPOCHS]   (about half a minute on two cores)
"""

from __future__ import annotations

import csv
import json
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_sweep(folder: Path, trials: int, epochs: int) -> None:
    """A random search's results folder: sweep.json, summary.csv and each trial's files."""
    rng = np.random.default_rng(0)
    parameters = ["optimizer.lr", "optimizer.name", "train.batch_size"]
    ids = [f"{i:010x}" for i in range(trials)]
    meta = {"name": folder.name, "method": "random", "parameters": parameters,
            "metric": "val_accuracy", "goal": "maximize", "task": "classification",
            "trials": ids, "config": {"loss": "cross_entropy", "sweep": {"parameters": {
                "optimizer.lr": {"log_uniform": [1e-4, 1.0]},
                "optimizer.name": ["sgd", "momentum", "adam"],
                "train.batch_size": {"int_uniform": [16, 128]}}}}}
    folder.mkdir(parents=True)
    (folder / "sweep.json").write_text(json.dumps(meta))
    rows = []
    for trial in ids:
        lr, name = float(10 ** rng.uniform(-4, 0)), str(rng.choice(["sgd", "momentum", "adam"]))
        batch, quality = int(rng.integers(16, 129)), float(rng.uniform(0.3, 1.0))
        epoch = np.arange(1, epochs + 1)
        progress = 1 - np.exp(-epoch / (epochs / 4))
        val_loss = 1.1 * (1 - 0.9 * quality * progress) + rng.normal(0, 0.01, epochs)
        accuracy = 0.33 + 0.66 * quality * progress
        columns = {"epoch": epoch, "train_loss": val_loss * 0.95, "val_loss": val_loss,
                   "train_accuracy": accuracy + 0.01, "val_accuracy": accuracy, "lr": lr,
                   "grad_norm_1": 0.1 / np.sqrt(epoch), "grad_norm_2": 0.3 / np.sqrt(epoch),
                   "grad_norm_3": 0.5 / np.sqrt(epoch), "wall_s": 0.01 * epoch}
        directory = folder / "trials" / trial
        directory.mkdir(parents=True)
        with (directory / "metrics.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(zip(*(np.broadcast_to(v, epochs) for v in columns.values()),
                                 strict=True))
        final = {"train_loss": val_loss[-1] * 0.95, "val_loss": val_loss[-1],
                 "test_loss": val_loss[-1], "train_accuracy": accuracy[-1] + 0.01,
                 "val_accuracy": accuracy[-1], "test_accuracy": accuracy[-1] - 0.01}
        rows.append([trial, "ok", 0, lr, name, batch, *final.values(), epochs, epochs, 1.0])
    with (folder / "summary.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trial", "status", "seed", *parameters, "train_loss", "val_loss",
                         "test_loss", "train_accuracy", "val_accuracy", "test_accuracy",
                         "best_epoch", "epochs_run", "wall_s"])
        writer.writerows(rows)


def main() -> None:
    from plotly.offline import get_plotlyjs

    from nnrun.views.html import write_html_report
    from nnrun.views.sweep import load_sweep

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "large"
        write_sweep(folder, trials, epochs)
        start = time.perf_counter()
        sweep = load_sweep(folder)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        path = write_html_report([sweep], Path(tmp))
        html_s = time.perf_counter() - start
        size = path.stat().st_size
    library = len(get_plotlyjs().encode())
    print(f"{trials} trials x {epochs} epochs")
    print(f"read the sweep (load_sweep, the reference): {read_s:6.2f} s")
    print(f"write report.html:                          {html_s:6.2f} s  "
          f"({html_s / read_s:.2f} x the reading)")
    print(f"report.html: {size / 1e6:.1f} MB, of which plotly.js {library / 1e6:.1f} MB and "
          f"the data and figures {(size - library) / 1e6:.1f} MB "
          f"({(size - library) / math.prod((trials, epochs)):.0f} bytes a trial-epoch)")


if __name__ == "__main__":
    main()

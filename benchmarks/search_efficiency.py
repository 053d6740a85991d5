"""Random search vs successive halving vs TPE (and TPE pruned by halving) on MNIST-1D or digits.

Every method searches the same space (learning rate, optimizer, width and depth, activation,
batch size) for the same number of seeds, and the script counts every epoch it trains. After each
training it notes the test accuracy of the configuration a user would pick so far (the best
validation accuracy: choosing by test accuracy would flatter every method alike). It prints that
accuracy at a few budgets, mean and standard deviation over seeds, and draws the curves.

    .venv/bin/python benchmarks/search_efficiency.py [--data mnist1d|digits] [--seeds 5]
                                                     [--out /tmp/nnrun-bench]

Trials run one after the other in this process, on the same sources the driver uses (halving's
checkpoints are kept in memory instead of in a results folder), so the numbers do not depend on
the machine's load. A few minutes on one core.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from pathlib import Path
from typing import Any

from nnrun.config import load_config_text
from nnrun.execution import ListSource, Task, run_task
from nnrun.search import expand, make_source

MAX_EPOCHS = 27
BUDGET = 10 * MAX_EPOCHS  # ten configurations trained to the end
BATCH = 2  # bayes proposes as for --jobs 2

BASE = """\
name: search-efficiency
seed: {seed}
data: {{dataset: {dataset}, val_fraction: 0.2, test_fraction: 0.2}}
model: {{hidden: [32], activation: relu}}
optimizer: {{name: sgd, lr: 0.1, schedule: cosine}}
train: {{batch_size: 32, epochs: {epochs}, dtype: float32}}
metric: val_accuracy
sweep:
  method: {method}
{extra}  parameters:
    optimizer.lr: {{log_uniform: [1.0e-4, 3.0]}}
    optimizer.name: [sgd, momentum, adam, rmsprop]
    model.hidden: [[16], [64], [128], [64, 64], [32, 32, 32]]
    model.activation: [sigmoid, tanh, relu]
    train.batch_size: [16, 32, 128]
"""

METHODS = {
    "random": "  samples: 10\n",
    "halving": "  samples: 81\n  min_epochs: 1\n  reduction_factor: 3\n",
    "bayes": "  samples: 10\n",
    "bayes+halving": "  samples: 30\n  early_stop: halving\n  min_epochs: 1\n",
}


def spec_for(method: str, seed: int, dataset: str) -> Any:
    name = method.split("+")[0]
    text = BASE.format(seed=seed, epochs=MAX_EPOCHS, method=name, extra=METHODS[method],
                       dataset=dataset)
    return load_config_text(text, f"{method}.yaml")


def run_method(method: str, seed: int, dataset: str) -> list[tuple[int, float]]:
    """(epochs spent so far, test accuracy of the best configuration by validation so far),
    after each training, until the budget is spent."""
    spec = spec_for(method, seed, dataset)
    trials = expand(spec)
    checkpoints: dict[str, dict[str, Any]] = {}
    if method == "random":
        source: Any = ListSource(Task(t.id, t.config, t.params) for t in trials)
    else:
        source = make_source(spec, trials, {}, jobs=BATCH, metric="val_accuracy",
                             goal="maximize", base_dir=None, read_checkpoint=checkpoints.get)
    spent, best_val, best_test = 0, -math.inf, math.nan
    curve: list[tuple[int, float]] = []
    while spent < BUDGET and (task := source.pop()) is not None:
        result = run_task(task)
        checkpoint = task.continuation.checkpoint if task.continuation else None
        spent += result.record.epochs_run - (checkpoint or {}).get("epoch", 0)
        if result.state is not None:
            checkpoints[task.trial_id] = result.state
        final = result.record.final
        if final.get("val_accuracy") is not None and final["val_accuracy"] > best_val:
            best_val, best_test = final["val_accuracy"], final["test_accuracy"]
        curve.append((spent, best_test))
        source.tell(task, task.marked(result.record))
    return curve


def at_budget(curve: list[tuple[int, float]], epochs: int) -> float:
    """The curve's value once at most ``epochs`` epochs were spent."""
    reached = [accuracy for spent, accuracy in curve if spent <= epochs]
    return reached[-1] if reached else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=["mnist1d", "digits"], default="mnist1d")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/nnrun-bench"))
    args = parser.parse_args()

    curves: dict[str, list[list[tuple[int, float]]]] = {method: [] for method in METHODS}
    started = time.perf_counter()
    for seed in range(args.seeds):
        for method in METHODS:
            curves[method].append(run_method(method, seed, args.data))
    elapsed = time.perf_counter() - started

    budgets = [BUDGET // 8, BUDGET // 4, BUDGET // 2, BUDGET]
    print(f"{args.data}, best-by-validation test accuracy after N epochs of training "
          f"(mean ± std over {args.seeds} seeds; max {MAX_EPOCHS} epochs a trial)")
    print(f"{'method':<15}" + "".join(f"{f'{b} epochs':>17}" for b in budgets))
    for method, runs in curves.items():
        cells = []
        for budget in budgets:
            values = [at_budget(curve, budget) for curve in runs]
            values = [v for v in values if not math.isnan(v)]
            if not values:
                cells.append(f"{'-':>17}")
                continue
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):>10.3f} ± {spread:.3f}")
        print(f"{method:<15}" + "".join(cells))
    print(f"({elapsed:.0f} s)")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(7, 4.5))
    grid = list(range(1, BUDGET + 1))
    for method, runs in curves.items():
        series = [[at_budget(curve, epochs) for epochs in grid] for curve in runs]
        mean = [statistics.fmean(v for v in column if not math.isnan(v))
                if any(not math.isnan(v) for v in column) else math.nan
                for column in zip(*series, strict=True)]
        axes.plot(grid, mean, label=method)
    axes.set_xlabel("epochs trained (all trials together)")
    axes.set_ylabel("test accuracy of the best trial by validation")
    axes.set_title(f"Search efficiency on {args.data}, mean of {args.seeds} seeds")
    axes.grid(alpha=0.3)
    axes.legend()
    path = args.out / f"search_efficiency_{args.data}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(path)


if __name__ == "__main__":
    main()

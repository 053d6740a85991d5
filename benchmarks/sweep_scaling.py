"""How well `nnrun sweep` uses the cores, what each trial costs beyond its training, how fast the
command line starts, and what a trial costs on the dask backend against loky.

Each sweep runs in a fresh process, into a fresh results folder, and is timed twice: the whole
`nnrun sweep` command as a user runs it, and the driver's `run_sweep` alone (no interpreter
start-up or imports, but the start of the process pool or of the dask cluster is in it).

- Parallel efficiency: 8 trials of about two seconds, T(--jobs 1) / (2 T(--jobs 2)), on the time
  of run_sweep; the same for the whole command is shown beside it.
- Overhead per trial in the worker: wall_s - train_s of result.json (the data set from the
  process cache, building the network, final metrics, copying the weights out); the median.
- Overhead per trial of the sweep: what the sweep's time holds beyond sum(train_s) / jobs, per
  trial: sending the trial, returning its result, the driver writing four files. Fixed costs
  (starting the pool or the cluster) would swamp it, so it is a slope: the same tiny trials,
  8 and then 72 of them, (extra time - extra sum(train_s) / jobs) * jobs / 64, each sweep the
  fastest of three.
  On dask this is reported against loky, with no target of its own: each trial makes a round
  trip through the scheduler, a few milliseconds that are nothing beside a real trial.
- `nnrun --help`: wall time of the console script, the median of five runs.

The machine's load average is printed first: other work on the cores lowers the efficiency.
Run: python benchmarks/sweep_scaling.py   (one to two minutes on two cores)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

JOBS = 2
NNRUN = str(Path(sys.executable).with_name("nnrun"))
TARGETS = {"efficiency": 0.9, "overhead_ms": 20.0, "help_s": 0.3}

CONFIG = """\
name: {name}
seed: 0
data:
  dataset: moons
  n_samples: {n_samples}
model:
  hidden: [16]
  activation: tanh
optimizer:
  name: momentum
train:
  batch_size: 32
  epochs: {epochs}
  dtype: float64
sweep:
  method: grid
  parameters:
    optimizer.lr: {rates}
"""

# Run in a fresh interpreter: the nnrun command's own code path, with run_sweep timed inside.
TIMED_SWEEP = """\
import json, sys, time
from pathlib import Path
from nnrun.config import load_config
from nnrun.driver.sweep import run_sweep

config, out, jobs, backend = sys.argv[1:]
spec = load_config(config)
started = time.perf_counter()
outcome = run_sweep(spec, out=Path(out), jobs=int(jobs), backend=backend, live=False,
                    log=lambda message: None)
print(json.dumps({"sweep_s": time.perf_counter() - started, "counts": dict(outcome.counts)}))
"""


def write_config(folder: Path, name: str, n_trials: int, epochs: int, n_samples: int) -> Path:
    rates = [round(0.01 + 0.001 * i, 4) for i in range(n_trials)]
    path = folder / f"{name}.yaml"
    path.write_text(CONFIG.format(name=name, n_samples=n_samples, epochs=epochs,
                                  rates=json.dumps(rates)))
    return path


def run_sweep(config: Path, out: Path, jobs: int, backend: str = "loky"
              ) -> tuple[float, float, list[dict]]:
    """Command wall time, run_sweep time, and the result.json of each trial of one sweep."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", TIMED_SWEEP, str(config), str(out), str(jobs),
                           backend], capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"sweep {config.name} --backend {backend} failed:\n{done.stderr}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    results = [json.loads(path.read_text()) for path in out.glob("*/trials/*/result.json")]
    if report["counts"] != {"ok": len(results)}:
        raise SystemExit(f"sweep {config.name}: not every trial ok: {report['counts']}")
    return wall, report["sweep_s"], results


def fastest_of(runs: int, config: Path, out: Path, jobs: int, backend: str = "loky"
               ) -> tuple[float, float, list[dict]]:
    best = None
    for run in range(runs):
        measured = run_sweep(config, out / str(run), jobs, backend)
        if best is None or measured[1] < best[1]:
            best = measured
    return best


def sweep_overhead_ms(folder: Path, backend: str) -> tuple[float, float]:
    """Marginal cost per trial (ms) beyond training, and the fixed cost of a sweep (s)."""
    small, large = 8, 72
    timings = {}
    for n_trials in (small, large):
        config = write_config(folder, f"tiny{n_trials}-{backend}", n_trials, epochs=2,
                              n_samples=200)
        _, sweep_s, results = fastest_of(3, config, folder / f"out-{config.stem}", JOBS,
                                         backend)
        timings[n_trials] = (sweep_s, sum(r["train_s"] for r in results) / JOBS)
    (time_small, train_small), (time_large, train_large) = timings[small], timings[large]
    per_trial = ((time_large - time_small) - (train_large - train_small)) * JOBS / (large - small)
    fixed = time_small - train_small - per_trial * small / JOBS
    return 1000 * per_trial, fixed


def help_wall_s() -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([NNRUN, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def verdict(value: float, target: float, at_least: bool = False) -> str:
    return "PASS" if (value >= target if at_least else value < target) else "MISS"


def main() -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"nnrun sweep scaling: {JOBS} jobs, {os.cpu_count()} cores, load average {load}")
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="nnrun-bench-") as tmp:
        folder = Path(tmp)
        config = write_config(folder, "scaling", 8, epochs=2500, n_samples=1000)
        wall_1, sweep_1, results_1 = fastest_of(2, config, folder / "jobs1", 1)
        wall_2, sweep_2, results_2 = fastest_of(2, config, folder / "jobs2", JOBS)
        train_mean = statistics.mean(r["train_s"] for r in results_1)
        rows.append((f"8 trials of {train_mean:.2f} s, run_sweep: --jobs 1 / --jobs 2",
                     f"{sweep_1:.2f} s / {sweep_2:.2f} s", "", ""))
        efficiency = sweep_1 / (JOBS * sweep_2)
        rows.append(("parallel efficiency, loky, 2 jobs", f"{efficiency:.2f}", ">= 0.90",
                     verdict(efficiency, TARGETS["efficiency"], at_least=True)))
        rows.append(("  the same, whole command (with Python start-up)",
                     f"{wall_1 / (JOBS * wall_2):.2f}", "", ""))
        train_mean_2 = statistics.mean(r["train_s"] for r in results_2)
        rows.append(("  a trial's train_s alone / two at once (the cores' share)",
                     f"{train_mean:.2f} s / {train_mean_2:.2f} s", "", ""))
        worker_ms = 1000 * statistics.median(r["wall_s"] - r["train_s"]
                                             for r in results_1 + results_2)
        rows.append(("overhead per trial in the worker (wall_s - train_s)",
                     f"{worker_ms:.1f} ms", "< 20 ms", verdict(worker_ms, TARGETS["overhead_ms"])))
        loky_ms, loky_fixed = sweep_overhead_ms(folder, "loky")
        rows.append(("overhead per trial of the sweep, loky", f"{loky_ms:.1f} ms", "< 20 ms",
                     verdict(loky_ms, TARGETS["overhead_ms"])))
        dask_ms, dask_fixed = sweep_overhead_ms(folder, "dask")
        rows.append(("overhead per trial of the sweep, dask (local cluster)",
                     f"{dask_ms:.1f} ms", "", ""))
        rows.append(("  dask against loky, per trial", f"{dask_ms - loky_ms:+.1f} ms", "", ""))
        rows.append(("  fixed cost of a sweep (pool / cluster start), loky; dask",
                     f"{loky_fixed:.2f} s; {dask_fixed:.2f} s", "", ""))
    help_s = help_wall_s()
    rows.append(("nnrun --help, wall time", f"{1000 * help_s:.0f} ms", "< 300 ms",
                 verdict(help_s, TARGETS["help_s"])))

    header = ("measure", "value", "target", "")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(4)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip())


if __name__ == "__main__":
    main()

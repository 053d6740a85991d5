"""What a user waits for besides training: `nnrun --help`, `nnrun validate` of MNIST-1D with an
empty and with a warm data cache, and the worker's overhead per trial (wall_s - train_s of
result.json: the data set, building the network, the final metrics, copying the weights out) on
a synthetic set and on MNIST-1D, first trial of each worker included.

Each command runs as a fresh process with NNRUN_CACHE_DIR pointing at a folder of this run (the
user's cache is not touched) and Python's bytecode cache on, as in an installed nnrun; times
are the median of five runs (validate: of three, the cold one on a fresh folder each time),
wall and CPU (user + system: less sensitive to a loaded machine). The machine's load average
is printed first.

Run: python benchmarks/startup.py   (about half a minute)
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

JOBS = 2
NNRUN = str(Path(sys.executable).with_name("nnrun"))
ROOT = Path(__file__).resolve().parent.parent
MNIST1D = ROOT / "experiments" / "mnist1d.yaml"

TINY = """\
name: {name}
seed: 0
data: {data}
model:
  hidden: [16]
  activation: tanh
optimizer:
  name: momentum
train:
  batch_size: 100
  epochs: 1
  dtype: float32
sweep:
  method: grid
  parameters:
    optimizer.lr: [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.11, 0.12]
"""


CPU: list[float] = []  # the CPU time (user + system) of each command timed, beside its wall


def child_env(cache: Path) -> dict[str, str]:
    """The commands' environment: this run's cache, and Python's bytecode cache on, as an
    installed nnrun has it (PYTHONDONTWRITEBYTECODE would compile every module at each start)."""
    env = {**os.environ, "NNRUN_CACHE_DIR": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(command: list[str], cache: Path) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=child_env(cache))
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return wall


def median_of(runs: int, command: list[str], cache: Path | None = None,
              fresh: Path | None = None) -> str:
    """Median wall and CPU time of ``runs`` runs, as text (``fresh``: a new cache each run)."""
    walls, cpus = [], []
    for run in range(runs):
        walls.append(timed(command, fresh / str(run) if fresh else cache))
        cpus.append(CPU[-1])
    return (f"{1000 * statistics.median(walls):7.0f} ms wall, "
            f"{1000 * statistics.median(cpus):5.0f} ms CPU")


def worker_overhead_ms(folder: Path, name: str, data: str, cache: Path) -> tuple[float, float]:
    """Median and largest wall_s - train_s (ms) of 12 one-epoch trials on JOBS workers."""
    config = folder / f"{name}.yaml"
    config.write_text(TINY.format(name=name, data=data))
    out = folder / f"out-{name}"
    timed([NNRUN, "sweep", str(config), "--out", str(out), "--jobs", str(JOBS)], cache)
    results = [json.loads(p.read_text()) for p in out.glob("*/trials/*/result.json")]
    overheads = [1000 * (r["wall_s"] - r["train_s"]) for r in results]
    return statistics.median(overheads), max(overheads)


def main() -> None:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"nnrun start-up: {os.cpu_count()} cores, load average {load}")
    with tempfile.TemporaryDirectory(prefix="nnrun-startup-") as tmp:
        folder = Path(tmp)
        warm = folder / "warm-cache"
        timed([NNRUN, "--help"], warm)  # writes the bytecode cache
        print(f"  nnrun --help                              "
              f"{median_of(5, [NNRUN, '--help'], warm)}")
        validate = [NNRUN, "validate", str(MNIST1D)]
        print(f"  nnrun validate mnist1d.yaml, empty cache  "
              f"{median_of(3, validate, fresh=folder / 'cold')}")
        timed(validate, warm)
        print(f"  nnrun validate mnist1d.yaml, warm cache   {median_of(3, validate, warm)}")
        for name, data in (("moons", "{dataset: moons, n_samples: 1000}"),
                           ("mnist1d", "{dataset: mnist1d, seed: 42}")):
            median, largest = worker_overhead_ms(folder, name, data, warm)
            print(f"  worker overhead per trial, {name:8s} (warm) median {median:6.1f} ms, "
                  f"largest {largest:6.1f} ms")


if __name__ == "__main__":
    main()

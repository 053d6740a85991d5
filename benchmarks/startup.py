"""What a user waits for besides training: `nnrun --help`, `nnrun validate` of MNIST-1D with an
empty and with a warm data cache, and the worker's overhead per trial (wall_s - train_s of
result.json: the data set, building the network, the final metrics, copying the weights out) on
a synthetic set and on MNIST-1D, first trial of each worker included.

Each command runs as a fresh process with NNRUN_CACHE_DIR pointing at a folder of this run (the
user's cache is not touched); times are the median of five runs (validate: of three, the cold
one on a fresh folder each time). The machine's load average is printed first.

Run: python benchmarks/startup.py   (about half a minute)
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


def timed(command: list[str], cache: Path) -> float:
    env = {**os.environ, "NNRUN_CACHE_DIR": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return wall


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
        help_s = statistics.median(timed([NNRUN, "--help"], warm) for _ in range(5))
        print(f"  nnrun --help                              {1000 * help_s:7.0f} ms")
        cold = [timed([NNRUN, "validate", str(MNIST1D)], folder / f"cold-{i}") for i in range(3)]
        print(f"  nnrun validate mnist1d.yaml, empty cache  {1000 * statistics.median(cold):7.0f}"
              " ms")
        timed([NNRUN, "validate", str(MNIST1D)], warm)
        hot = [timed([NNRUN, "validate", str(MNIST1D)], warm) for _ in range(3)]
        print(f"  nnrun validate mnist1d.yaml, warm cache   {1000 * statistics.median(hot):7.0f}"
              " ms")
        for name, data in (("moons", "{dataset: moons, n_samples: 1000}"),
                           ("mnist1d", "{dataset: mnist1d, seed: 42}")):
            median, largest = worker_overhead_ms(folder, name, data, warm)
            print(f"  worker overhead per trial, {name:8s} (warm) median {median:6.1f} ms, "
                  f"largest {largest:6.1f} ms")


if __name__ == "__main__":
    main()

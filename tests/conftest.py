"""Shared fixtures: small configs written to a temporary folder, and a runner for the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nnrun.cli import app

ROOT = Path(__file__).resolve().parent.parent

SMALL = """\
name: small
seed: 3
data:
  dataset: moons
  n_samples: 200
  noise: 0.2
model:
  hidden: [8]
  activation: tanh
loss: cross_entropy
optimizer:
  name: momentum
  lr: 0.1
train:
  batch_size: 32
  epochs: 5
  dtype: float64
sweep:
  method: grid
  parameters:
    model.activation: [tanh, relu]
    optimizer.lr: [0.05, 0.1]
"""


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    """Run the CLI in this process; returns typer's Result (exit_code, stdout, stderr)."""
    return runner.invoke(app, [str(a) for a in args])


def nnrun_process(*args: str, **kwargs) -> subprocess.Popen:
    """Start `python -m nnrun ARGS` as a real process (for kill and concurrency tests)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "nnrun", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=kwargs.pop("cwd", ROOT), **kwargs)


def wait_for_results(sweep: Path, count: int, process: subprocess.Popen | None = None,
                     timeout: float = 120) -> None:
    """Poll until ``count`` trials of the sweep folder ``sweep`` have written result.json;
    fail if ``process`` (the sweep) ends first or the time runs out."""
    deadline = time.monotonic() + timeout
    while len(list(sweep.glob("trials/*/result.json"))) < count:
        assert time.monotonic() < deadline, f"fewer than {count} results after {timeout} s"
        assert process is None or process.poll() is None, "the sweep ended first"
        time.sleep(0.02)

"""Running nnrun's command line: in this process (``invoke``) or as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from nnrun.cli import app

ROOT = Path(__file__).resolve().parents[2]


def invoke(runner: CliRunner, *args: object):
    """Run the CLI in this process; returns typer's Result (exit_code, stdout, stderr)."""
    return runner.invoke(app, [str(a) for a in args])


def nnrun_command(*args: object) -> list[str]:
    """The argv of ``python -m nnrun ARGS`` with this interpreter."""
    return [sys.executable, "-m", "nnrun", *map(str, args)]


def nnrun_process(*args: object, **kwargs) -> subprocess.Popen:
    """Start ``python -m nnrun ARGS`` as a real process (for kill and concurrency tests)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **kwargs.pop("env", {})}
    return subprocess.Popen(nnrun_command(*args), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=kwargs.pop("cwd", ROOT),
                            **kwargs)


def run_nnrun(*args: object, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess:
    """Run ``python -m nnrun ARGS`` to its end; returns the completed process (text output)."""
    process = nnrun_process(*args, **kwargs)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def wait_for_results(sweep: Path, count: int, process: subprocess.Popen | None = None,
                     timeout: float = 120) -> None:
    """Poll until ``count`` trials of the sweep folder ``sweep`` have written result.json;
    fail if ``process`` (the sweep) ends first or the time runs out."""
    deadline = time.monotonic() + timeout
    while len(list(sweep.glob("trials/*/result.json"))) < count:
        assert time.monotonic() < deadline, f"fewer than {count} results after {timeout} s"
        assert process is None or process.poll() is None, "the sweep ended first"
        time.sleep(0.02)

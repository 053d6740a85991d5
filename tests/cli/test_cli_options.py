"""What a user sees from the CLI's smaller checks, run as a real process: `--dry-run` makes the
option checks of a real run, gradcheck names the output function it used, and every bad data
file of a swept list is reported with its line."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import run_nnrun
from helpers.configs import write_config


def test_gradcheck_prints_the_output_function_auto_chose(tmp_path: Path) -> None:
    config = write_config(tmp_path / "g.yaml", changes={
        "sweep.parameters": {"model.output": ["auto", "softmax", "sigmoid"]}})
    result = run_nnrun("gradcheck", config)
    assert result.returncode == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines() if line.startswith("[2, ")]
    outputs = [line[4] for line in lines]  # sizes "[2, 8, 2]" is three words
    assert "auto" not in outputs, result.stdout
    # "auto" with cross_entropy and two classes is softmax: one network, checked once
    assert outputs == ["softmax", "sigmoid"], result.stdout

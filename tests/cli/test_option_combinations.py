"""Options that contradict one another, or that a mode of a command does not take, are a
message naming them and exit 2, never silently ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import invoke


@pytest.mark.parametrize(("options", "message"), [
    (["--to", "mlflow", "--trial", "best"],
     "--trial is for --format onnx (one trial's model file; --to exports every trial), not "
     "--to mlflow"),
    (["--to", "tensorboard", "--logdir", "tb", "--out", "m.onnx", "--trial", "abc"],
     "--trial and --out are for --format onnx"),
    (["--format", "onnx", "--uri", "sqlite:///x.db", "--logdir", "tb"],
     "--uri and --logdir are for --to mlflow|tensorboard (a tracker), not --format onnx"),
    (["--format", "onnx", "--experiment", "e"], "--experiment is for --to mlflow|tensorboard"),
], ids=["to-trial", "to-out-trial", "format-uri-logdir", "format-experiment"])
def test_export_refuses_the_options_of_its_other_mode(cli, tmp_path: Path, options: list[str],
                                                     message: str) -> None:
    result = invoke(cli, "export", tmp_path, *options)
    assert result.exit_code == 2, result.output
    assert f"error: {message}" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing exported

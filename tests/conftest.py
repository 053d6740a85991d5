"""Shared fixtures: a small config written to a temporary folder, and a runner for the CLI.
What tests share beyond fixtures lives in the ``helpers`` package."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.configs import SMALL
from typer.testing import CliRunner


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()

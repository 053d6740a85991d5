"""Shared fixtures: a small config written to a temporary folder, and a runner for the CLI.
What tests share beyond fixtures lives in the ``helpers`` package."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.configs import SMALL
from typer.testing import CliRunner


@pytest.fixture(autouse=True, scope="session")
def _data_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The on-disk data cache of the whole session (and of the commands it starts) in a
    temporary folder: tests never read or fill the user's own cache."""
    folder = tmp_path_factory.mktemp("nnrun-cache")
    previous = os.environ.get("NNRUN_CACHE_DIR")
    os.environ["NNRUN_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("NNRUN_CACHE_DIR", None)
    else:
        os.environ["NNRUN_CACHE_DIR"] = previous


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return path


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()

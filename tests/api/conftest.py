"""A real sweep of a csv file with string labels, shared by the tests of the model API."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.flowers import write_flowers


@pytest.fixture(scope="session")
def flowers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results folder of the flowers sweep (2 trials), run once for the session."""
    from nnrun.config import load_config
    from nnrun.driver import run_sweep

    folder = tmp_path_factory.mktemp("flowers")
    config = write_flowers(folder)
    outcome = run_sweep(load_config(config), out=folder / "results", jobs=1, live=False,
                        log=lambda message: None)
    assert outcome.counts == {"ok": 2}
    return outcome.folder

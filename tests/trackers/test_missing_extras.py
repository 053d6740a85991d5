"""Without its extra, each tracker says which one to install (exit 2), before any work."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import run
from helpers.cli import invoke

from nnrun.errors import NnrunError


def test_the_journal_without_optuna_says_so_before_training(tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "optuna", None)  # `import optuna` raises ImportError
    with pytest.raises(NnrunError, match=r"pip install 'nnrun\[dashboard\]'"):
        run(tmp_path, optuna_journal=True)
    assert not list((tmp_path / "results" / "small").glob("trials/*"))  # nothing trained


@pytest.mark.parametrize(("to", "module", "extra", "more"), [
    ("mlflow", "mlflow", "mlflow", ("--uri", "sqlite:///x.db")),
    ("tensorboard", "tensorboardX", "tensorboard", ("--logdir", "runs")),
])
def test_an_export_without_its_extra_names_it(cli, grid_results: Path, monkeypatch, to: str,
                                              module: str, extra: str, more: tuple) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    result = invoke(cli, "export", grid_results, "--to", to, *more)
    assert result.exit_code == 2
    assert f"pip install 'nnrun[{extra}]'" in result.stderr

"""``nnrun.sweep(...)``: a sweep run from Python (a notebook, a script), as ``nnrun sweep``
runs it."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nnrun.api.results import Results


def _live_in_jupyter() -> bool:
    """Whether this runs in a Jupyter kernel that can show rich's live bar (as an ipywidgets
    widget; without ipywidgets rich shows nothing live, so plain lines are better)."""
    import importlib.util

    shell = sys.modules.get("IPython")
    get_ipython = getattr(shell, "get_ipython", None)
    in_kernel = get_ipython is not None and type(get_ipython()).__name__ == "ZMQInteractiveShell"
    return in_kernel and importlib.util.find_spec("ipywidgets") is not None


def _spec(config: str | Path | Mapping[str, Any], overrides: Sequence[str]):
    from nnrun.config import load_config, load_config_text

    if isinstance(config, Mapping):
        import yaml

        # a dict is a config file without a file: relative data paths start at the cwd
        return load_config_text(yaml.safe_dump(dict(config), sort_keys=False),
                                str(Path.cwd() / "<dict>"), list(overrides))
    return load_config(config, list(overrides))


def sweep(config: str | Path | Mapping[str, Any], *, jobs: int | None = None,
          out: str | Path = "results", backend: str = "loky", scheduler: str | None = None,
          overrides: Sequence[str] = (), resume: bool = True, fail_fast: bool = False,
          progress: bool | None = None) -> Results:
    """Run a sweep and return its results (``nnrun.open_results`` of its folder).

    ``config``: a YAML file's path, or the same document as a dict. ``jobs``, ``out``,
    ``backend``, ``scheduler``, ``resume`` and ``fail_fast`` are ``nnrun sweep``'s options,
    ``overrides`` its ``--set KEY=VALUE`` items. ``progress``: a live bar (True), one line a
    trial (False), or by default a bar in a terminal and in Jupyter (with ipywidgets), lines
    elsewhere (a log, a notebook without ipywidgets).
    A bad config raises ConfigError; a failed trial does not raise (its row says ``failed``);
    Ctrl-C raises KeyboardInterrupt once what finished is saved (run again to resume).
    """
    from nnrun.driver import run_sweep
    from nnrun.driver.sweep import SweepInterrupted
    from nnrun.errors import NnrunError

    spec = _spec(config, overrides)
    live = progress if progress is not None else (_live_in_jupyter() or None)
    try:
        outcome = run_sweep(spec, out=Path(out), jobs=jobs, backend=backend,
                            scheduler=scheduler, resume=resume, fail_fast=fail_fast, live=live)
    except SweepInterrupted as stop:  # before the first trial: nothing to save
        raise KeyboardInterrupt(str(stop)) from None
    if outcome.write_error:
        raise NnrunError(f"{outcome.write_error}; the finished trials are saved in "
                         f"{outcome.folder}; fix that, then run again to resume")
    if outcome.interrupted:
        raise KeyboardInterrupt(f"interrupted: the finished trials are saved in "
                                f"{outcome.folder}; run again to resume")
    return Results(outcome.folder)

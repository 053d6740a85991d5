"""Reading a results folder: sweep.json, summary.csv and the trials' result.json.

Read from the files alone, so it works on a sweep that is still running and on one copied
from another machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError


def read_sweep_meta(folder: Path) -> dict[str, Any]:
    """sweep.json of a results folder, or a clear error when ``folder`` is not one."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NnrunError(f"{folder}: a file, not a results folder; give the folder `nnrun "
                         f"sweep` wrote, e.g. results/<name>")
    if not folder.is_dir():
        raise NnrunError(f"{folder}: no such results folder")
    path = folder / "sweep.json"
    if not path.is_file():
        inside = sorted(str(p.parent) for p in folder.glob("*/sweep.json"))
        if inside:  # a folder of several sweeps, e.g. results/
            raise NnrunError(f"{folder}: holds several sweeps, show one at a time: "
                             f"{', '.join(inside)}")
        raise NnrunError(f"{folder}: not an nnrun results folder (no sweep.json); "
                         f"give the folder `nnrun sweep` wrote, e.g. results/<name>")
    return read_json_object(path)


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON file of the results folder that must hold an object, or a clear NnrunError."""
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise NnrunError(f"{path}: cannot read it ({error.strerror})") from None
    except ValueError as error:
        raise NnrunError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise NnrunError(f"{path}: expected a JSON object")
    return data


def read_summary(folder: Path, meta: dict[str, Any] | None = None):
    """summary.csv as a DataFrame, plus the sweep's trials that finished after it was last
    written (from their result.json): a sweep still running, or killed, shows all it has.

    Trial folders that are not the sweep's (an earlier, wider version of it left them) are
    left out. Empty when no trial has finished yet.
    """
    import pandas as pd

    from nnrun.vocabulary import format_value

    folder = Path(folder)
    meta = read_sweep_meta(folder) if meta is None else meta
    path = folder / "summary.csv"
    if path.is_file() and path.stat().st_size > 0:  # empty: cut short before its header
        try:
            summary = pd.read_csv(path, dtype={"trial": str, "status": str})
        except (ValueError, OSError) as error:  # pandas' ParserError is a ValueError
            raise NnrunError(f"{path}: cannot read it ({error})") from None
    else:
        summary = pd.DataFrame({"trial": pd.Series(dtype=str), "status": pd.Series(dtype=str)})
    known = set(summary["trial"])
    parameters = [str(p) for p in meta.get("parameters") or []]
    # a bayes sweep lists its trials as it proposes them
    current = {str(t) for t in meta.get("trials") or []}
    trials_dir = folder / "trials"
    extra = []
    for trial_dir in sorted(trials_dir.iterdir()) if trials_dir.is_dir() else []:
        if trial_dir.name in known or (current and trial_dir.name not in current):
            continue
        try:
            record = json.loads((trial_dir / "result.json").read_text())
        except (OSError, ValueError):
            continue  # not finished, or being written this moment
        row = {"trial": trial_dir.name, "status": record.get("status"), "seed": record.get("seed"),
               "best_epoch": record.get("best_epoch"), "epochs_run": record.get("epochs_run"),
               "wall_s": record.get("wall_s")}
        params = record.get("params") or {}
        row.update({p: format_value(params.get(p)) for p in parameters})
        row.update(record.get("final") or {})
        extra.append(row)
    if extra:
        summary = pd.concat([summary, pd.DataFrame(extra)], ignore_index=True)
    return summary

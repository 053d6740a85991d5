"""One trial of a results folder, for ``nnrun show RESULTS --trial ID``: its settings, final
metrics, timings and files."""

from __future__ import annotations

from pathlib import Path

from nnrun.errors import NnrunError
from nnrun.results.best import find_trial
from nnrun.results.reader import ResultsReader
from nnrun.vocabulary import METRICS, format_value


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size} B" if size < 1024 else f"{size / 1024:,.1f} KiB"


def _yaml_lines(mapping: dict, indent: str) -> list[str]:
    """A nested mapping as YAML's block style, with lists in flow style (``hidden: [8]``)."""
    lines = []
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            lines.append(f"{indent}{key}:")
            lines += _yaml_lines(value, indent + "  ")
        else:
            lines.append(f"{indent}{key}: {format_value(value, 'null')}")
    return lines


def trial_text(folder: Path, trial: str) -> str:
    """The trial ``trial`` (an id, a unique start of one, or ``best``) as text."""
    reader = ResultsReader(folder)
    reader.meta()
    trial_id = find_trial(reader, trial)
    record = reader.record(trial_id)
    config = reader.config(trial_id)
    trial_dir = reader.layout.trial_dir(trial_id)
    if record is None and config is None:
        raise NnrunError(f"{trial_dir}: the trial has not finished (no result.json yet)")
    lines = [f"trial {trial_id}" + (" (best)" if trial == "best" else "") + f": {trial_dir}"]
    if record is not None:
        lines.append(f"status: {record.status}, seed {record.seed}, {record.epochs_run} epochs "
                     f"run, best epoch {record.best_epoch}, {record.wall_s:.2f} s")
        if record.error:
            lines.append(f"error: {record.error}")
        if record.params:
            lines += ["", "swept parameters:"]
            lines += [f"  {key}: {format_value(value, 'null')}"
                      for key, value in record.params.items()]
        shown = [m for m in METRICS if m in record.final]
        if shown:
            lines += ["", "final metrics:"]
            lines += [f"  {name}: " + ("-" if record.final[name] is None
                                         else f"{record.final[name]:.6g}") for name in shown]
    if config is not None:
        resolved = {key: value for key, value in config.items() if key not in ("trial", "params")}
        lines += ["", "configuration:"]
        lines += _yaml_lines(resolved, indent="  ")
    lines += ["", "files:"]
    lines += [f"  {path.name}  {_size(path)}" for path in sorted(trial_dir.iterdir())
              if path.is_file()]
    return "\n".join(lines) + "\n"

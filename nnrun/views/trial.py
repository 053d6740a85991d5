"""One trial of a results folder, for ``nnrun show RESULTS --trial ID``: its settings, final
metrics, timings and files."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.best import find_trial
from nnrun.results.reader import ResultsReader
from nnrun.results.record import TrialRecord
from nnrun.views.tables import markdown_table
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


def _flat(mapping: dict, prefix: str = "") -> list[tuple[str, str]]:
    """A nested mapping as (dotted key, value) pairs: ``("model.hidden", "[8]")``."""
    pairs = []
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            pairs += _flat(value, f"{prefix}{key}.")
        else:
            pairs.append((f"{prefix}{key}", format_value(value, "null")))
    return pairs


@dataclass
class TrialView:
    """What ``nnrun show --trial`` shows of one trial, in each of its formats."""

    trial_id: str
    best: bool
    trial_dir: Path
    record: TrialRecord | None
    config: dict[str, Any] | None
    files: list[tuple[str, str]]  # (name, size)

    @property
    def resolved(self) -> dict[str, Any] | None:
        """The trial's resolved configuration (config.yaml without its id and params)."""
        if self.config is None:
            return None
        return {key: value for key, value in self.config.items()
                if key not in ("trial", "params")}

    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every section as (title, [(key, value), ...]), the configuration's keys dotted."""
        record = self.record
        head = [("trial", self.trial_id), ("best", "yes" if self.best else "no"),
                ("folder", str(self.trial_dir))]
        found: list[tuple[str, list[tuple[str, str]]]] = [("trial", head)]
        if record is not None:
            head += [("status", record.status), ("seed", str(record.seed)),
                     ("epochs_run", str(record.epochs_run)),
                     ("best_epoch", str(record.best_epoch)), ("wall_s", f"{record.wall_s:.2f}")]
            if record.error:
                head.append(("error", record.error))
            found.append(("swept parameters", [(key, format_value(value, "null"))
                                                for key, value in record.params.items()]))
            found.append(("final metrics", [
                (name, "-" if record.final[name] is None else f"{record.final[name]:.6g}")
                for name in METRICS if name in record.final]))
        if self.resolved is not None:
            found.append(("configuration", _flat(self.resolved)))
        found.append(("files", self.files))
        return [(title, pairs) for title, pairs in found if pairs]

    def text(self) -> str:
        """For a terminal: a line of the trial's outcome, then its sections, the configuration
        as YAML."""
        record = self.record
        lines = [f"trial {self.trial_id}" + (" (best)" if self.best else "")
                 + f": {self.trial_dir}"]
        if record is not None:
            lines.append(f"status: {record.status}, seed {record.seed}, {record.epochs_run} "
                         f"epochs run, best epoch {record.best_epoch}, {record.wall_s:.2f} s")
            if record.error:
                lines.append(f"error: {record.error}")
        for title, pairs in self.sections()[1:]:
            lines += ["", f"{title}:"]
            if title == "configuration":
                lines += _yaml_lines(self.resolved or {}, indent="  ")
            elif title == "files":
                lines += [f"  {name}  {size}" for name, size in pairs]
            else:
                lines += [f"  {key}: {value}" for key, value in pairs]
        return "\n".join(lines) + "\n"

    def csv(self) -> str:
        """One row a value: section, key, value."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["section", "key", "value"])
        for title, pairs in self.sections():
            writer.writerows([title, key, value] for key, value in pairs)
        return out.getvalue()

    def markdown(self) -> str:
        """A heading, then a two-column table a section."""
        lines = [f"### Trial `{self.trial_id}`" + (" (best)" if self.best else "")]
        for title, pairs in self.sections():
            lines += ["", f"**{title}**", "",
                      *markdown_table(["key", "value"], [[key, value] for key, value in pairs])]
        return "\n".join(lines) + "\n"


def trial_view(folder: Path, trial: str) -> TrialView:
    """The trial ``trial`` (an id, a unique start of one, or ``best``) of a results folder."""
    reader = ResultsReader(folder)
    reader.meta()
    trial_id = find_trial(reader, trial)
    record = reader.record(trial_id)
    config = reader.config(trial_id)
    trial_dir = reader.layout.trial_dir(trial_id)
    if record is None and config is None:
        raise NnrunError(f"{trial_dir}: the trial has not finished (no result.json yet)")
    files = [(path.name, _size(path)) for path in sorted(trial_dir.iterdir()) if path.is_file()]
    return TrialView(trial_id, trial == "best", trial_dir, record, config, files)


def trial_text(folder: Path, trial: str, format_: str = "table") -> str:
    """The trial ``trial`` as ``nnrun show --trial`` prints it: ``format_`` is table (text for
    a terminal), csv or markdown."""
    view = trial_view(folder, trial)
    return {"table": view.text, "csv": view.csv, "markdown": view.markdown}[format_]()

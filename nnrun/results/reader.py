"""The one reader of a results folder: ``nnrun show``, ``nnrun plot``, the report and
``nnrun check`` all read through :class:`ResultsReader`, so a sweep counts the same in each.

Read from the files alone, so it works on a sweep that is still running, on one that was
killed, and on one copied from another machine. The sweep's trials are summary.csv's rows plus
the trials that finished after it was last written (their result.json, put through the very row
the writer writes: :mod:`nnrun.results.summary`); trial folders that sweep.json does not list
(an earlier, wider version of the sweep left them) are left out. Each trial shows the values of
the *current* sweep's keys, read from its resolved configuration (config.yaml): a trial reused
from an earlier sweep that did not vary a key recorded no value for it, yet has one. The reader
hands over data:
dicts, records and frames, as the files hold them; labels and formatting are the views' job.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.errors import NnrunError
from nnrun.results.layout import (
    CHECKPOINT_NPZ,
    CONFIG_YAML,
    METRICS_CSV,
    RESULT_JSON,
    WEIGHTS_NPZ,
    Layout,
    sweep_folders_in,
)
from nnrun.results.record import TrialRecord
from nnrun.results.summary import summary_text
from nnrun.vocabulary import FAILED, default_goal, format_value

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# summary.csv's text columns: everything else is read as pandas infers it (numbers, booleans).
TEXT_COLUMNS = {"trial": str, "status": str}


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


def read_record(path: Path) -> TrialRecord | None:
    """A result.json as a record, or None when there is none (the trial has not finished),
    it is being written this moment, or it is not a record."""
    try:
        return TrialRecord.from_json(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError, AttributeError):
        return None


def listed_trials(meta: dict[str, Any]) -> set[str] | None:
    """The trial ids sweep.json lists, or None when it lists none (a bayes sweep lists its
    trials once it has proposed them): then every trial folder is the sweep's."""
    ids = meta.get("trials")
    return {str(t) for t in ids} if ids else None


def sweep_objectives(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """The sweep's (metric, goal) pairs from sweep.json: its ``objectives``, or for a folder
    written before there were several, its ``metric`` and ``goal`` (the defaults when null)."""
    listed = meta.get("objectives")
    if isinstance(listed, list) and listed and all(isinstance(o, dict) for o in listed):
        return [(str(o.get("metric")), str(o.get("goal") or default_goal(str(o.get("metric")))))
                for o in listed]
    task = meta.get("task")
    metric = meta.get("metric") or ("val_accuracy" if task == "classification" else "val_loss")
    return [(str(metric), str(meta.get("goal") or default_goal(str(metric))))]


class ResultsReader:
    """Reads one sweep's results folder."""

    def __init__(self, folder: Path):
        self.layout = Layout(folder)
        self.folder = self.layout.folder

    # -- the sweep -------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        """sweep.json, or a clear NnrunError when the folder is not a sweep's results folder."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise NnrunError(f"{folder}: a file, not a results folder; give the folder `nnrun "
                             f"sweep` wrote, e.g. results/<name>")
        if not folder.is_dir():
            raise NnrunError(f"{folder}: no such results folder")
        if not self.layout.sweep_json.is_file():
            inside = [str(path) for path in sweep_folders_in(folder)]
            if inside:  # a folder of several sweeps, e.g. results/
                raise NnrunError(f"{folder}: holds several sweeps, show one at a time: "
                                 f"{', '.join(inside)}")
            raise NnrunError(f"{folder}: not an nnrun results folder (no sweep.json); "
                             f"give the folder `nnrun sweep` wrote, e.g. results/<name>")
        return read_json_object(self.layout.sweep_json)

    def summary(self, meta: dict[str, Any] | None = None) -> pd.DataFrame:
        """One row a finished trial of the sweep, with summary.csv's columns: its rows (a trial
        written twice counts once, the last row), then the trials that finished since, by id.

        Parameter cells are read as pandas reads summary.csv (numbers as numbers, lists as
        their text); a row without a status is ``failed``. Without any row, the frame has
        summary.csv's header, or only ``trial`` and ``status`` when there is none.
        """
        import pandas as pd

        meta = self.meta() if meta is None else meta
        listed = listed_trials(meta)
        written = self._written_summary(listed, _parameters(meta))
        known = set() if written is None else set(written["trial"])
        late = self._late_summary(meta, listed, known)
        frames = [frame for frame in (written, late) if frame is not None and len(frame)]
        if not frames:  # no trial has finished yet: summary.csv's header, if it has one
            frames = [written if written is not None else
                      pd.DataFrame({name: pd.Series(dtype=str) for name in TEXT_COLUMNS})]
        summary = pd.concat(frames, ignore_index=True)
        summary["status"] = summary["status"].fillna(FAILED).astype(str)
        return self._current_parameters(summary, _parameters(meta), _sub_spaces(meta))

    def _current_parameters(self, summary: pd.DataFrame, parameters: list[str],
                            spaces: list[set[str]]) -> pd.DataFrame:
        """``summary`` with each swept key's cell taken from the trial's resolved config where
        its run recorded no value for the key (a trial reused from a sweep that did not vary
        it), the columns then typed as pandas types summary.csv. A key that the trial's own
        sub-space does not sweep stays empty (``-`` in the tables), as the sweep wrote it."""
        if not parameters:
            return summary
        for column in parameters:  # a key no row has yet (added to the sweep)
            if column not in summary.columns:
                summary[column] = None
        cells = summary[parameters].astype(object)
        cells = cells.where(cells.notna(), None)
        empty = cells.isna().any(axis=1).to_numpy()  # only such a row can lack a value
        for row, trial in enumerate(summary["trial"]):
            if not empty[row]:
                continue
            for column, value in self.unrecorded_params(trial, parameters, spaces).items():
                cells.iat[row, parameters.index(column)] = format_value(value)
        summary[parameters] = _typed_cells(cells)
        return summary

    def unrecorded_params(self, trial_id: str, parameters: list[str],
                          spaces: list[set[str]] | None = None) -> dict[str, Any]:
        """The values, in the trial's resolved config.yaml, of those of ``parameters`` its run
        did not record (its ``params`` lack them); {} when config.yaml cannot be read.

        With ``spaces`` (the keys of each sub-space of the sweep), only the keys of the
        sub-space the trial comes from: the one that sweeps exactly the keys it recorded (then
        nothing is missing: a trial of the depth x width sub-space has no optimizer.betas,
        whatever its config says, nor one of a sub-space ``--set`` emptied any key), else the
        smallest that sweeps every key it recorded (a sweep that added a key since). A trial
        that fits no sub-space (reused from a sweep of other keys) gets every key its config
        has."""
        config = self.config(trial_id)
        if config is None:
            return {}
        recorded = config.get("params") if isinstance(config.get("params"), dict) else {}
        fitting = [space for space in spaces or [] if set(recorded) <= space]
        if set(recorded) in fitting:
            return {}
        smallest = min((len(space) for space in fitting), default=0)
        wanted = set().union(*(space for space in fitting if len(space) == smallest)) \
            if fitting else set(parameters)
        values = {}
        for key in parameters:
            if key in recorded or key not in wanted:
                continue
            node: Any = config
            for part in key.split("."):
                node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
            if node is not _MISSING:
                values[key] = node
        return values

    def other_trials(self, meta: dict[str, Any]) -> list[str]:
        """The trial folders of other sweeps that wrote this folder (sweep.json does not list
        them): kept, for a later sweep to reuse, and left out of every view."""
        listed = listed_trials(meta)
        return [] if listed is None else [t for t in self.layout.trial_ids() if t not in listed]

    def unfinished(self, meta: dict[str, Any], summary: pd.DataFrame) -> list[str]:
        """The trials sweep.json lists that have no row in ``summary`` yet, in its order."""
        finished = set(summary["trial"])
        return [str(t) for t in meta.get("trials") or [] if str(t) not in finished]

    def _written_summary(self, listed: set[str] | None, parameters: list[str]
                         ) -> pd.DataFrame | None:
        path = self.layout.summary_csv
        if not path.is_file() or path.stat().st_size == 0:  # empty: cut short before its header
            return None
        frame = _read_summary_csv(path, path, parameters)
        if listed is not None:
            frame = frame[frame["trial"].isin(listed)]
        return frame.drop_duplicates("trial", keep="last")

    def _late_summary(self, meta: dict[str, Any], listed: set[str] | None,
                      known: set[str]) -> pd.DataFrame | None:
        """The trials that finished after summary.csv was last written, as its rows."""
        late = [record for trial in self.layout.trial_ids()
                if trial not in known and (listed is None or trial in listed)
                and (record := self.record(trial)) is not None]
        if not late:
            return None
        text = summary_text(late, _parameters(meta), meta.get("task") or late[0].task)
        return _read_summary_csv(io.StringIO(text), self.layout.summary_csv,
                                 _parameters(meta))

    # -- one trial -------------------------------------------------------------------------

    def record(self, trial_id: str) -> TrialRecord | None:
        """The trial's result.json, or None while it has not finished."""
        return read_record(self.layout.trial_file(trial_id, RESULT_JSON))

    def records(self) -> dict[str, TrialRecord]:
        """Every trial folder's record, by trial id (any status, of this sweep or not)."""
        records = {}
        for trial_id in self.layout.trial_ids():
            record = self.record(trial_id)
            if record is not None:
                records[trial_id] = record
        return records

    def config(self, trial_id: str) -> dict[str, Any] | None:
        """The trial's resolved configuration (config.yaml: its id, params, then the config),
        or None when it cannot be read."""
        import yaml

        try:
            config = yaml.load(self.layout.trial_file(trial_id, CONFIG_YAML).read_text(),
                               Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None
        return config if isinstance(config, dict) else None

    def trial_files(self, trial_id: str) -> list[Path]:
        """The files of a trial's folder that describe the finished trial (config.yaml,
        metrics.csv, result.json, the model's files), sorted, for copying into a tracker; a
        halving checkpoint and half-written temporary files are left out."""
        folder = self.layout.trial_dir(trial_id)
        if not folder.is_dir():
            return []
        return sorted(path for path in folder.iterdir() if path.is_file()
                      and path.name != CHECKPOINT_NPZ and not path.name.startswith("."))

    def has_weights(self, trial_id: str) -> bool:
        """Whether the trial saved its trained network (weights.npz)."""
        return self.layout.trial_file(trial_id, WEIGHTS_NPZ).is_file()

    def weights(self, trial_id: str) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
        """The trained network's weights and biases, layer 1 first (weights.npz: W1..WL,
        b1..bL), or None when the trial kept none or they cannot be read."""
        import numpy as np

        path = self.layout.trial_file(trial_id, WEIGHTS_NPZ)
        try:
            with np.load(path, allow_pickle=False) as arrays:
                layers = sum(1 for name in arrays.files if name.startswith("W"))
                weights = [arrays[f"W{i}"] for i in range(1, layers + 1)]
                biases = [arrays[f"b{i}"] for i in range(1, layers + 1)]
        except (OSError, ValueError, KeyError):
            return None
        return (weights, biases) if weights else None

    def metrics(self, trial_id: str) -> pd.DataFrame | None:
        """The trial's metrics.csv, one row an epoch, or None when it has none or it is not a
        table of epochs."""
        import pandas as pd

        path = self.layout.trial_file(trial_id, METRICS_CSV)
        if not path.is_file() or path.stat().st_size == 0:
            return None
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError):  # pandas' ParserError is a ValueError
            return None
        return frame if len(frame) and "epoch" in frame.columns else None


def _parameters(meta: dict[str, Any]) -> list[str]:
    """The sweep's swept keys, as sweep.json lists them."""
    return [str(p) for p in meta.get("parameters") or []]


def _sub_spaces(meta: dict[str, Any]) -> list[set[str]]:
    """The keys of each sub-space of ``sweep.parameters`` in sweep.json's config (one set for a
    mapping); [] when sweep.json does not hold it."""
    config = meta.get("config")
    sweep = config.get("sweep") if isinstance(config, dict) else None
    spaces = sweep.get("parameters") if isinstance(sweep, dict) else None
    if isinstance(spaces, dict):
        spaces = [spaces]
    if not isinstance(spaces, list):
        return []
    return [{str(key) for key in space} for space in spaces if isinstance(space, dict)]


def _typed_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Text cells typed as pandas types them in summary.csv (numbers as numbers)."""
    import csv

    import pandas as pd

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(cells.columns)
    writer.writerows([["" if v is None else v for v in row]
                      for row in cells.itertuples(index=False, name=None)])
    buffer.seek(0)
    typed = pd.read_csv(buffer)
    typed.index = cells.index
    return typed


_MISSING = object()


def _read_summary_csv(source: Path | io.StringIO, path: Path, parameters: list[str]
                      ) -> pd.DataFrame:
    """Parse summary.csv's text, the swept keys' cells as text (typed once they are complete);
    ``path`` names the file in an error."""
    import pandas as pd

    try:
        frame = pd.read_csv(source, dtype={**TEXT_COLUMNS, **dict.fromkeys(parameters, str)})
    except (ValueError, OSError) as error:  # pandas' ParserError is a ValueError
        raise NnrunError(f"{path}: cannot read it ({error})") from None
    for column in TEXT_COLUMNS:
        if column not in frame.columns:
            raise NnrunError(f"{path}: no column {column!r}")
    return frame

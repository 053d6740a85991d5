"""Which model a command or ``load_model`` means, and loading it: a results folder and a trial
(an id, a unique start of one, or ``best``), or a model's own folder (a trial's, or a refit's
under RESULTS/refit/)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from nnrun.errors import NnrunError
from nnrun.model.trained import Model
from nnrun.results.best import BEST, find_trial
from nnrun.results.model_files import is_trial_folder, read_model
from nnrun.results.reader import ResultsReader
from nnrun.vocabulary import DIVERGED, FAILED


class ModelFolder(NamedTuple):
    """A model's folder and what to tell the user if it holds no model files."""

    folder: Path
    trial: str
    rerun_hint: str


def model_folder(path: str | Path, trial: str | None = None) -> ModelFolder:
    """The folder of the model ``path`` and ``trial`` name (see the module docstring)."""
    path = Path(path)
    if is_trial_folder(path):
        if trial not in (None, BEST, path.name):
            raise NnrunError(f"{path}: one model's folder; --trial picks a trial of a results "
                             "folder (give the sweep's folder, e.g. results/<name>)")
        return ModelFolder(path, path.name, "train it again with this nnrun (`nnrun sweep "
                                            "CONFIG --no-resume`, or `nnrun refit`)")
    reader = ResultsReader(path)
    meta = reader.meta()
    trial_id = find_trial(reader, trial or BEST)
    record = reader.record(trial_id)
    if record is not None and record.status == FAILED:
        raise NnrunError(f"{path}: trial {trial_id} failed ({record.error}); it has no trained "
                         "model")
    if record is not None and record.status == DIVERGED:
        raise NnrunError(f"{path}: trial {trial_id} diverged: its weights are not finite, so "
                         "it predicts nothing; pick another trial (`nnrun show` lists them)")
    config_path = meta.get("config_path") or "CONFIG"
    hint = (f"this sweep was run by an nnrun that saved no model files: run `nnrun sweep "
            f"{config_path} --no-resume` to train it again with them")
    return ModelFolder(reader.layout.trial_dir(trial_id), trial_id, hint)


def load_model(path: str | Path, trial: str | None = "best") -> Model:
    """The trained model of a trial, ready to predict.

    ``path``: a results folder (``results/<name>``) or a model's own folder (a trial's, or
    ``results/<name>/refit/<id>`` from ``nnrun refit``). ``trial``: ``best`` (the best repeat
    of the leaderboard's best configuration, see :mod:`nnrun.results.best`), a trial id or a
    unique start of one. Raises NnrunError with what to do when there is no model.
    """
    found = model_folder(path, trial)
    files = read_model(found.folder, found.rerun_hint)
    return Model(files.description, files.weights, files.biases, files.mean, files.std,
                 config=files.config, path=found.folder)

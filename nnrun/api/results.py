"""A sweep's results folder from Python: ``nnrun.open_results("results/x")``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnrun.api.models import load_model
from nnrun.errors import NnrunError
from nnrun.results.best import BEST, best_trial, find_trial, metric_and_goal
from nnrun.results.reader import ResultsReader

if TYPE_CHECKING:
    import pandas as pd

    from nnrun.model.trained import Model


class Results:
    """One sweep's results, read from its folder each time they are asked for (so a sweep that
    is still running shows what it has so far).

    ``summary``: one row a finished trial (summary.csv's columns); ``leaderboard()``: one row a
    configuration, best first, with its ``trials``; ``metrics(trial)``: a trial's per-epoch
    metrics; ``best_trial``: the id ``--trial best`` means; ``load_model(trial)``.
    """

    def __init__(self, path: str | Path) -> None:
        self._reader = ResultsReader(Path(path))
        self.path = self._reader.folder
        self.meta: dict[str, Any] = self._reader.meta()
        self.metric, self.goal = metric_and_goal(self.meta)
        self.parameters: list[str] = [str(p) for p in self.meta.get("parameters") or []]

    def __repr__(self) -> str:
        return (f"Results({str(self.path)!r}: {len(self.summary)} trials, {self.metric} "
                f"({self.goal}))")

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.path.name)

    @property
    def summary(self) -> pd.DataFrame:
        """One row a finished trial: trial, status, seed, the swept parameters, the final
        metrics, best_epoch, epochs_run, wall_s."""
        return self._reader.summary(self._reader.meta())

    @property
    def trials(self) -> list[str]:
        """The finished trials' ids, in the summary's order."""
        return [str(t) for t in self.summary["trial"]]

    def leaderboard(self, top: int | None = None) -> pd.DataFrame:
        """One row a configuration, best first (``nnrun show``'s table): the swept parameters,
        ``n``, the status counts, each metric's mean (and ``_std`` with repeats), ``trials``."""
        from nnrun.views.leaderboard import leaderboard

        return leaderboard(self.path, top=top).table

    @property
    def best_trial(self) -> str:
        """The best repeat of the leaderboard's best configuration (nnrun.results.best)."""
        meta = self._reader.meta()
        return best_trial(self._reader.summary(meta), self.parameters, self.metric, self.goal)

    def _trial(self, trial: str) -> str:
        return find_trial(self._reader, trial)

    def metrics(self, trial: str = BEST) -> pd.DataFrame:
        """The trial's metrics, one row an epoch (metrics.csv)."""
        trial_id = self._trial(trial)
        frame = self._reader.metrics(trial_id)
        if frame is None:
            raise NnrunError(f"{self.path}: trial {trial_id} has no per-epoch metrics")
        return frame

    def config(self, trial: str = BEST) -> dict[str, Any]:
        """The trial's resolved configuration (its config.yaml)."""
        trial_id = self._trial(trial)
        config = self._reader.config(trial_id)
        if config is None:
            raise NnrunError(f"{self.path}: trial {trial_id} has no readable config.yaml")
        return config

    def load_model(self, trial: str = BEST) -> Model:
        """The trial's trained model (see ``nnrun.load_model``)."""
        return load_model(self.path, trial)


def open_results(path: str | Path) -> Results:
    """The sweep in ``path`` (``results/<name>``); NnrunError when it is not a results folder."""
    return Results(path)

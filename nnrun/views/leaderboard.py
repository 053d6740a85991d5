"""The leaderboard of a results folder (``nnrun show``): trials grouped by configuration,
ranked by the sweep's metric; with several objectives the configurations of the Pareto front
(:mod:`nnrun.results.pareto`, on the means over repeats) come first, marked, each group ranked
by the first metric, and ``pareto_only`` keeps only them.

Read through :class:`nnrun.results.ResultsReader`, so it counts a running or killed sweep as
``plot`` and ``check`` do; printed as a rich table, CSV or markdown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from nnrun.results.pareto import non_dominated_ranks
from nnrun.results.reader import ResultsReader, sweep_objectives
from nnrun.views.tables import markdown_table
from nnrun.vocabulary import DIVERGED, FAILED, METRICS, SCORED, STOPPED

if TYPE_CHECKING:
    import pandas as pd

COUNTED = (FAILED, DIVERGED, STOPPED)  # the statuses a configuration's ``n`` spells out
DIGITS = {"n_parameters": 0, "train_seconds": 3}  # decimals shown; 4 for the others


@dataclass
class Leaderboard:
    """One row a configuration, best first, and the sweep.json it was read with.

    ``table`` has the swept parameters (as text), ``n`` (the configuration's trials, whatever
    their status), the counts ``failed``, ``diverged`` and ``stopped``, ``epochs_run`` (the most
    any of its trials ran), then for each metric its mean over the scored (ok or stopped)
    trials and, with repeats, ``<metric>_std``, and ``trials``, the configuration's trial ids
    (a list; space-separated in the CSV); ``pareto`` says whether the configuration is on the
    Pareto front of the sweep's objectives (``pareto_rank``: its non-dominated rank, -1 without
    a value of every objective).
    """

    table: pd.DataFrame
    meta: dict[str, Any]
    others: int = 0  # trial folders of other sweeps in the folder, not shown

    @property
    def which(self) -> str | None:
        """Which sweep this is, when the folder holds trials of other sweeps too."""
        if not self.others:
            return None
        return (f"showing the sweep of {self.meta.get('config_path') or 'an unknown file'} "
                f"(started {self.meta.get('started_at') or 'at an unknown time'}); "
                f"{self.others} trial folder{'s' if self.others != 1 else ''} of other sweeps "
                f"in this folder {'are' if self.others != 1 else 'is'} not shown")

    @property
    def objectives(self) -> list[tuple[str, str]]:
        return sweep_objectives(self.meta)

    @property
    def several(self) -> bool:
        return len(self.objectives) > 1

    @property
    def title(self) -> str:
        meta = self.meta
        goals = ", ".join(f"{metric} ({goal})" for metric, goal in self.objectives)
        front = ""
        if self.several and "pareto" in self.table.columns:
            front = f", {int(self.table['pareto'].sum())} on the Pareto front"
        folds = ((meta.get("config") or {}).get("data") or {}).get("folds")
        return (f"{meta.get('name')}: {goals}, {len(self.table)} configurations{front}"
                + (f", {folds}-fold cross-validation (mean ± std over folds)" if folds else ""))

    def columns(self) -> list[str]:
        """The columns worth showing: parameters, the metric first, then the others."""
        table = self.table
        params = [p for p in self.meta.get("parameters", []) if p in table.columns] or (
            ["trial"] if "trial" in table.columns else [])
        first = [metric for metric, _ in self.objectives if metric in table.columns]
        metrics = first + [m for m in METRICS if m in table.columns and m not in first]
        # Successive halving cuts trials at different epochs: say how far each configuration got.
        epochs = ["epochs_run"] if STOPPED in table.columns and table[STOPPED].any() else []
        front = ["pareto"] if self.several and "pareto" in table.columns else []
        trials = ["trials"] if "trials" in table.columns and params != ["trial"] else []
        return [*front, *params, *metrics, *epochs, "n", *trials]

    def cells(self) -> list[list[str]]:
        """The shown columns of each row, as text, best first."""
        columns = self.columns()
        return [[self._cell(row, column) for column in columns]
                for _, row in self.table.iterrows()]

    def _cell(self, row: Any, column: str) -> str:
        value = row[column]
        if column in METRICS:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return "-"
            std = row.get(f"{column}_std") if f"{column}_std" in self.table.columns else None
            digits = DIGITS.get(column, 4)
            if std is not None and not (isinstance(std, float) and math.isnan(std)) \
                    and not (column == "n_parameters" and std == 0):  # repeats share a network
                return f"{value:.{digits}f} ± {std:.{digits}f}"
            return f"{value:.{digits}f}"
        if column == "pareto":
            return "*" if value else ""
        if column == "n":
            extra = [f"{row[status]} {status}" for status in COUNTED if row.get(status)]
            return f"{value}" + (f" ({', '.join(extra)})" if extra else "")
        if column == "trials":
            return " ".join(value)
        return str(value)

    def to_csv(self) -> str:
        """Every column; ``pareto`` and ``pareto_rank`` only when the sweep has several
        objectives; ``trials`` space-separated."""
        front = [] if self.several else ["pareto", "pareto_rank"]
        table = self.table.drop(columns=front, errors="ignore")
        if "trials" in table.columns:
            table["trials"] = [" ".join(ids) for ids in table["trials"]]
        return table.to_csv(index=False)

    def to_markdown(self) -> str:
        """The leaderboard as a GitHub-flavoured markdown table."""
        columns = self.columns()
        right = [True, *(c in (*METRICS, "n", "epochs_run") for c in columns)]
        rows = [[str(rank), *cells] for rank, cells in enumerate(self.cells(), start=1)]
        return "\n".join(markdown_table(["rank", *columns], rows, right)) + "\n"

    def print_table(self, file: TextIO | None = None) -> None:
        """A rich table: in a terminal, its width; in a pipe or a log, wide enough that no
        cell wraps."""
        import sys

        from rich.console import Console
        from rich.table import Table

        file = sys.stdout if file is None else file
        columns = self.columns()
        view = Table(title=self.title)
        view.add_column("#", justify="right")
        for column in columns:
            view.add_column(column, justify="left" if column in ("trial", "trials")
                            else "right")
        for rank, cells in enumerate(self.cells(), start=1):
            view.add_row(str(rank), *cells)
        ids = max((len(" ".join(t)) for t in self.table.get("trials", [])), default=0)
        width = None if file.isatty() else max(100, len(columns) * 18 + ids)
        Console(file=file, soft_wrap=False, width=width).print(view)


def leaderboard(folder: Path, top: int | None = None, pareto_only: bool = False
                ) -> Leaderboard:
    """The leaderboard of the sweep in ``folder``; ``top`` keeps the best configurations,
    ``pareto_only`` those on the Pareto front."""
    import pandas as pd

    reader = ResultsReader(folder)
    meta = reader.meta()
    summary = reader.summary(meta)
    params = [p for p in meta.get("parameters", []) if p in summary.columns]
    objectives = sweep_objectives(meta)
    metric = objectives[0][0]
    others = len(reader.other_trials(meta))
    if summary.empty:
        return Leaderboard(pd.DataFrame(columns=[*params, "n", metric]), meta, others)
    summary = summary.copy()
    for column in params:
        summary[column] = _parameter_text(summary[column])
    keys = params or ["trial"]
    metrics = [m for m in METRICS if m in summary.columns]
    rows = [_configuration(dict(zip(keys, key if isinstance(key, tuple) else (key,),
                                    strict=True)), group, metrics)
            for key, group in summary.groupby(keys, sort=False, dropna=False)]
    table = _ranked(pd.DataFrame(rows), objectives)
    if pareto_only:
        table = table[table["pareto"]].reset_index(drop=True)
    return Leaderboard(table if top is None else table.head(top), meta, others)


def _parameter_text(column: pd.Series) -> pd.Series:
    """A parameter's cells as text. With sub-spaces (a list under sweep.parameters) a trial
    leaves empty the keys its sub-space does not sweep: "-", and the column's whole numbers,
    which pandas reads as floats beside the empty cells, as whole numbers again."""
    import pandas as pd

    missing = column.isna()
    if not missing.any():
        return column.astype(str)
    present = column[~missing]
    if pd.api.types.is_float_dtype(column) and present.map(float.is_integer).all():
        column = column.astype("Int64")
    return column.astype(str).where(~missing, "-")


def _ranked(table: pd.DataFrame, objectives: list[tuple[str, str]]) -> pd.DataFrame:
    """With several objectives: by non-dominated rank (the front first), then by the first
    metric; with one, by the metric alone; stable, missing values last."""
    import numpy as np

    metrics = [metric for metric, _ in objectives]
    if any(metric not in table.columns for metric in metrics):
        table["pareto_rank"], table["pareto"] = -1, False
        return table.reset_index(drop=True)
    ranks = non_dominated_ranks(table[metrics].to_numpy(dtype=float),
                                [goal for _, goal in objectives])
    table["pareto_rank"], table["pareto"] = ranks, ranks == 0
    metric, goal = objectives[0]
    first = (table[metric] if goal == "minimize" else -table[metric]).fillna(np.inf)
    keys = [first.to_numpy()]
    if len(objectives) > 1:
        keys.append(np.where(ranks < 0, len(table), ranks))  # lexsort: the last key first
    return table.iloc[np.lexsort(keys)].reset_index(drop=True)


def _configuration(row: dict[str, Any], group: pd.DataFrame,
                   metrics: list[str]) -> dict[str, Any]:
    """One configuration's row: its trials counted by status, the mean and s.d. of each metric
    over its scored trials."""
    import pandas as pd

    row["n"] = len(group)
    row["trials"] = [str(t) for t in group["trial"]]
    for status in COUNTED:
        row[status] = int((group["status"] == status).sum())
    if "epochs_run" in group.columns:
        epochs = pd.to_numeric(group["epochs_run"], errors="coerce").dropna()
        row["epochs_run"] = int(epochs.max()) if len(epochs) else 0
    scored = group[group["status"].isin(SCORED)]
    for name in metrics:
        values = pd.to_numeric(scored[name], errors="coerce").dropna()
        row[name] = float(values.mean()) if len(values) else math.nan
        row[f"{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
    return row

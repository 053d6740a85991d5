"""The results folder's layout: every file name of it, said once (ARCHITECTURE.md).

```
<out>/<name>/
  sweep.json                      the spec as loaded, version, times, trial ids
  summary.csv                     one row a trial
  .nnrun.lock                     held (flock) while a sweep writes the folder
  trials/<id>/config.yaml         the resolved trial config
  trials/<id>/metrics.csv         one row an epoch
  trials/<id>/weights.npz         final weights W1..WL, b1..bL, and the input scaling
                                  (mean, std) when the features were standardised
  trials/<id>/model.json          what prediction needs besides the arrays: layer sizes,
                                  activations, task, dtype, feature names, class labels
                                  (nnrun.results.model_files)
  trials/<id>/checkpoint.npz      halving: the trainer's state where a rung stopped it (arrays,
                                  plus the scalars as JSON text); removed once the trial ends ok
                                  or diverged, kept where a trial stays stopped
  trials/<id>/result.json         status, final metrics, timings; written last, it marks the
                                  trial as done (a folder without it is an unfinished trial)
  plots/                          `nnrun plot`'s pictures and report.md
  refit/<id>/                     `nnrun refit`: trial <id> retrained on train + validation
                                  (config.yaml, metrics.csv, weights.npz, model.json,
                                  result.json, as a trial folder)
  optuna.journal                  with --optuna-journal: the sweep as an Optuna study, for
                                  optuna-dashboard (nnrun.trackers.optuna_journal writes it)
```

Code outside :mod:`nnrun.results` reads and writes through the reader and the writer, or asks a
:class:`Layout` for a path; it never spells a name.
"""

from __future__ import annotations

from pathlib import Path

SWEEP_JSON = "sweep.json"
SUMMARY_CSV = "summary.csv"
LOCK_NAME = ".nnrun.lock"
TRIALS = "trials"
CONFIG_YAML = "config.yaml"
METRICS_CSV = "metrics.csv"
WEIGHTS_NPZ = "weights.npz"
CHECKPOINT_NPZ = "checkpoint.npz"
RESULT_JSON = "result.json"
MODEL_JSON = "model.json"
PLOTS = "plots"
REFIT = "refit"
OPTUNA_JOURNAL = "optuna.journal"


class Layout:
    """The paths of one sweep's results folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.sweep_json = self.folder / SWEEP_JSON
        self.summary_csv = self.folder / SUMMARY_CSV
        self.lock = self.folder / LOCK_NAME
        self.trials_dir = self.folder / TRIALS
        self.plots_dir = self.folder / PLOTS
        self.refit_dir = self.folder / REFIT
        self.optuna_journal = self.folder / OPTUNA_JOURNAL

    def trial_dir(self, trial_id: str) -> Path:
        return self.trials_dir / trial_id

    def trial_file(self, trial_id: str, name: str) -> Path:
        """A file of a trial's folder: ``name`` is one of CONFIG_YAML, METRICS_CSV,
        WEIGHTS_NPZ, MODEL_JSON, CHECKPOINT_NPZ, RESULT_JSON."""
        return self.trials_dir / trial_id / name

    def trial_ids(self) -> list[str]:
        """The trial folders present, sorted by id (finished or not, of this sweep or not)."""
        if not self.trials_dir.is_dir():
            return []
        return sorted(path.name for path in self.trials_dir.iterdir() if path.is_dir())


def is_sweep_folder(folder: Path) -> bool:
    """Whether ``folder`` is one sweep's results folder (it has a sweep.json)."""
    return Layout(folder).sweep_json.is_file()


def sweep_folders_in(folder: Path) -> list[Path]:
    """The sweeps' results folders directly inside ``folder`` (a folder of sweeps), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if is_sweep_folder(path))

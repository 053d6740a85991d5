"""Where users already look: an Optuna journal kept live for optuna-dashboard (written by the
driver as trials finish), and ``nnrun export --to mlflow | tensorboard`` (a results folder
into a tracker, read through the results reader). Optuna, MLflow and tensorboardX are imported
only by the code that uses them."""

from nnrun.trackers._sweep import sweep_objectives
from nnrun.trackers.optuna_journal import OptunaJournal

__all__ = ["OptunaJournal", "sweep_objectives"]

"""An Optuna journal kept live in the results folder, so that ``optuna-dashboard
results/NAME/optuna.journal`` shows a sweep while it runs, whatever its search method.

The driver is its one writer: it adds each trial as its result is written. An Optuna trial
holds the nnrun trial's swept parameters with their distributions (a list of values is a
categorical over them, a list such as [32, 32] as its JSON text; uniform, log_uniform and
int_uniform are Float / Int distributions), its value for each objective, the first objective's
per-epoch value as intermediate values (step = epoch) and the rest of its record as user
attributes (``nnrun_trial`` is its id). States: ok is COMPLETE; diverged, failed and an ok
trial without a value are FAIL; a trial that successive halving stopped at a rung is RUNNING
(it may go on) until the sweep is complete, then PRUNED.

The journal is derived from the results: a resumed sweep finds its trials in it by
``nnrun_trial`` and adds only what is new (nothing twice; a failed trial run again is a new
attempt, as Optuna's RetryFailedTrialCallback makes one); one whose objectives changed starts
it over. Optuna 4 and later write it through ``JournalFileBackend``, Optuna 3 through
``JournalFileStorage``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.record import TrialRecord
from nnrun.search.trials import choices_of
from nnrun.trackers._sweep import (
    Objective,
    finite,
    objective_values,
    scalar,
    trial_times,
)
from nnrun.vocabulary import FAILED, OK, STOPPED

OPTUNA_MISSING = ("the Optuna journal needs Optuna: pip install 'nnrun[dashboard]' (which "
                  "also installs optuna-dashboard to watch it)")
TRIAL_ATTR = "nnrun_trial"
# Record fields kept as user attributes (with the final metrics that are not objectives).
RECORD_ATTRS = ("status", "seed", "best_epoch", "epochs_run", "wall_s", "train_s", "error",
                "rung", "rung_epochs", "batch", "sizes", "finished_at")
RETRY_ATTR = "failed_trial"  # as Optuna's RetryFailedTrialCallback: the number of the failure

Log = Callable[[str], None]


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise NnrunError(OPTUNA_MISSING) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def journal_storage(path: Path) -> Any:
    """Optuna's JournalStorage on the file ``path`` (created if missing)."""
    optuna = _optuna()
    try:
        from optuna.storages.journal import JournalFileBackend as Backend
    except ImportError:  # Optuna 3
        from optuna.storages import JournalFileStorage as Backend
    return optuna.storages.JournalStorage(Backend(str(path)))


def merged_space(spaces: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One mapping for the journal from the sub-spaces of ``sweep.parameters``: a key swept as
    lists takes the values of every sub-space, in order; a key swept the same way everywhere
    keeps it; a key swept as a list in one sub-space and a range in another is left out (its
    values go to the trials' user attributes)."""
    merged: dict[str, Any] = {}
    mixed: set[str] = set()
    for space in spaces:
        for key, values in space.items():
            if key in mixed:
                continue
            if key not in merged or merged[key] == values:
                merged[key] = values
                continue
            before, now = choices_of(merged[key]), choices_of(values)
            if before is None or now is None:
                mixed.add(key)
                del merged[key]
            else:
                merged[key] = [*before, *(v for v in now if v not in before)]
    return merged


def distributions(parameters: dict[str, Any]) -> dict[str, Any]:
    """The search space of ``sweep.parameters`` (one mapping: :func:`merged_space` of
    sub-spaces) as Optuna distributions, values as the dashboard shows them (see the module's
    docstring)."""
    from nnrun.search.tpe import optuna_distributions

    return optuna_distributions(
        parameters, categories=lambda choices: tuple(dict.fromkeys(map(scalar, choices))))


def user_attrs(record: TrialRecord, objectives: Sequence[Objective]) -> dict[str, Any]:
    """What a trial's record says besides its parameters and its values."""
    ours = {metric for metric, _ in objectives}
    attrs: dict[str, Any] = {TRIAL_ATTR: record.trial}
    attrs.update({name: getattr(record, name) for name in RECORD_ATTRS
                  if getattr(record, name) is not None})
    attrs.update({name: value for name, value in record.final.items()
                  if name not in ours and finite(value) is not None})
    return attrs


def intermediate_values(history: Sequence[dict[str, Any]], metric: str) -> dict[int, float]:
    """The metric at each epoch (metrics.csv's rows), where it is a finite number."""
    values = {}
    for row in history:
        value, epoch = finite(row.get(metric)), row.get("epoch")
        if value is not None and epoch is not None:
            values[int(epoch)] = value
    return values


class OptunaJournal:
    """The journal file of one sweep: one Optuna study named after it."""

    def __init__(self, path: Path, *, study_name: str, objectives: Sequence[Objective],
                 parameters: dict[str, Any], log: Log) -> None:
        self.optuna = _optuna()
        self.path, self.objectives, self.log = Path(path), list(objectives), log
        self.space = distributions(parameters)
        self.study = self._open(study_name)
        self.storage = self.study._storage
        # nnrun trial id -> Optuna's trial id (its latest attempt); the trials still RUNNING
        # (stopped at a rung); the failed ones, which a resumed sweep runs again
        self.trial_ids: dict[str, int] = {}
        self.running: dict[str, Any] = {}
        self.failed: dict[str, Any] = {}
        for trial in self.study.get_trials():  # copies: self.running is changed
            if trial.user_attrs.get(TRIAL_ATTR) is not None:
                self._know(trial.user_attrs[TRIAL_ATTR], trial)

    def _know(self, nnrun_id: str, trial: Any) -> None:
        self.trial_ids[nnrun_id] = trial._trial_id
        self.running.pop(nnrun_id, None)
        self.failed.pop(nnrun_id, None)
        if trial.state == self.optuna.trial.TrialState.RUNNING:
            self.running[nnrun_id] = trial
        elif trial.user_attrs.get("status") == FAILED:
            self.failed[nnrun_id] = trial

    def _open(self, study_name: str) -> Any:
        directions = [goal for _, goal in self.objectives]
        storage = journal_storage(self.path)
        try:  # load first: create_study(load_if_exists=True) would log a second creation
            study = self.optuna.load_study(study_name=study_name, storage=storage)
        except KeyError:
            study = self.optuna.create_study(storage=storage, study_name=study_name,
                                             directions=directions)
        if [d.name.lower() for d in study.directions] != directions:
            self.log(f"{self.path}: written for other objectives; starting it over")
            self.path.unlink()
            return self._open(study_name)
        names = [metric for metric, _ in self.objectives]
        if getattr(study, "metric_names", names) != names:  # the dashboard's axis titles
            with warnings.catch_warnings():  # "experimental" since Optuna 3.2, and still there
                warnings.simplefilter("ignore")
                study.set_metric_names(names)
        return study

    def needs(self, record: TrialRecord) -> bool:
        """Whether ``record`` would add anything to the journal."""
        return (record.trial not in self.trial_ids or record.trial in self.running
                or self._retried(record))

    def _retried(self, record: TrialRecord) -> bool:
        """Whether a trial the journal has as failed has been run again since."""
        failure = self.failed.get(record.trial)
        return failure is not None and failure.user_attrs.get("finished_at") != \
            record.finished_at

    def add(self, record: TrialRecord, history: Sequence[dict[str, Any]]) -> None:
        """Put a trial's result in the journal: a new trial, or the rest of one that was stopped
        at a rung and has gone on since. A failed trial run again is a new Optuna trial that
        names the failed one (``failed_trial``, as Optuna's RetryFailedTrialCallback does);
        any other trial the journal has finished is left as it is."""
        if record.trial not in self.trial_ids:
            self._create(record, history)
        elif record.trial in self.running:
            self._go_on(record, history)
        elif self._retried(record):
            self._create(record, history, retry_of=self.failed[record.trial].number)

    def _state_values(self, record: TrialRecord) -> tuple[Any, list[float] | None]:
        state = self.optuna.trial.TrialState
        if record.status == STOPPED:
            return state.RUNNING, None
        values = objective_values(record, self.objectives) if record.status == OK else None
        return (state.COMPLETE, values) if values is not None else (state.FAIL, None)

    def _create(self, record: TrialRecord, history: Sequence[dict[str, Any]], *,
                retry_of: int | None = None) -> None:
        state, values = self._state_values(record)
        params = {key: scalar(value) for key, value in record.params.items()}
        known = {key: dist for key, dist in self.space.items() if key in params}
        attrs = user_attrs(record, self.objectives)
        attrs.update({key: params.pop(key) for key in list(params) if key not in known})
        times = trial_times(record)
        trial = self.optuna.trial.FrozenTrial(
            number=-1, trial_id=-1, state=state, value=None, values=values,
            datetime_start=times[0] if times else None,
            datetime_complete=times[1] if times and state.is_finished() else None,
            params=params, distributions=known, user_attrs=attrs,
            system_attrs={} if retry_of is None else {RETRY_ATTR: retry_of},
            intermediate_values=intermediate_values(history, self.objectives[0][0]))
        trial._trial_id = self.storage.create_new_trial(self.study._study_id,
                                                        template_trial=trial)
        trial.number = self.storage.get_trial_number_from_id(trial._trial_id)
        self._know(record.trial, trial)

    def _go_on(self, record: TrialRecord, history: Sequence[dict[str, Any]]) -> None:
        trial_id, before = self.trial_ids[record.trial], self.running[record.trial]
        for step, value in intermediate_values(history, self.objectives[0][0]).items():
            if step not in before.intermediate_values:
                self.storage.set_trial_intermediate_value(trial_id, step, value)
                before.intermediate_values[step] = value
        for key, value in user_attrs(record, self.objectives).items():
            if before.user_attrs.get(key) != value:
                self.storage.set_trial_user_attr(trial_id, key, value)
                before.user_attrs[key] = value
        state, values = self._state_values(record)
        if state.is_finished():
            self.storage.set_trial_state_values(trial_id, state, values)
            del self.running[record.trial]

    def close(self, complete: bool) -> None:
        """The sweep stops: once it is complete, a trial still stopped at a rung is pruned."""
        if complete:
            for nnrun_id in list(self.running):
                self.storage.set_trial_state_values(self.trial_ids[nnrun_id],
                                                    self.optuna.trial.TrialState.PRUNED)
                del self.running[nnrun_id]

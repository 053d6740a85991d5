"""``nnrun export RESULTS --to mlflow``: a results folder into an MLflow tracking store.

One parent run a sweep (tagged with the sweep's name and start time, so a sweep started over
with ``--no-resume`` is a new parent), one nested run a finished trial, tagged with its trial
id: its resolved configuration as parameters (dotted keys, as ``sweep.parameters`` names them),
metrics.csv's columns as per-epoch metrics (step = epoch, timestamps from the epochs' times),
the final metrics as ``final/<name>``, its status (ok: FINISHED, stopped by halving: KILLED,
diverged or failed: FAILED) and its folder's files (config, metrics, record, model) as
artifacts. Everything a run gets is sent with ``log_batch``, in batches within MLflow's limits.

Exporting again adds nothing twice: a trial whose run exists is left alone, unless its record
changed since (a halving trial that went on, a failed trial run again), when its run gets the
epochs it lacks, the new final metrics and status.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.reader import ResultsReader
from nnrun.results.record import TrialRecord
from nnrun.trackers._sweep import finite, flat_config, scalar, sweep_objectives, trial_times
from nnrun.vocabulary import DIVERGED, FAILED, OK, STOPPED

MLFLOW_MISSING = "nnrun export --to mlflow needs MLflow: pip install 'nnrun[mlflow]'"
SWEEP_TAG, STARTED_TAG, TRIAL_TAG = "nnrun.sweep", "nnrun.started_at", "nnrun.trial"
STATUS_TAG, FINISHED_TAG, EPOCHS_TAG = "nnrun.status", "nnrun.finished_at", "nnrun.epochs"
PARENT_TAG = "mlflow.parentRunId"
RUN_STATUS = {OK: "FINISHED", STOPPED: "KILLED", DIVERGED: "FAILED", FAILED: "FAILED"}
NOT_EPOCH_METRICS = ("epoch", "wall_s")
BATCH = 1000  # MLflow's limit of entities a log_batch (of which 100 params or tags)
MAX_TAG = 5000


@dataclass
class Exported:
    """What an export did."""

    target: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (f"{self.target}: {self.added} trial runs added, {self.updated} updated, "
                f"{self.unchanged} already there")


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise NnrunError(MLFLOW_MISSING) from None
    return mlflow


def export_mlflow(results: Path, *, uri: str | None = None,
                  experiment: str | None = None) -> Exported:
    """Export the finished trials of the sweep in ``results`` to the MLflow store at ``uri``
    (None: MLflow's default, MLFLOW_TRACKING_URI), in the experiment ``experiment`` (default:
    the sweep's name)."""
    mlflow = _mlflow()
    reader = ResultsReader(results)
    meta = reader.meta()
    trial_ids = [str(t) for t in reader.summary(meta)["trial"]]
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        return _export(client, reader, meta, trial_ids, experiment or str(meta["name"]))
    except mlflow.exceptions.MlflowException as error:
        raise NnrunError(f"MLflow ({uri or mlflow.get_tracking_uri()}): {error.message}"
                         ) from None


def _export(client: Any, reader: ResultsReader, meta: dict[str, Any], trial_ids: list[str],
            experiment: str) -> Exported:
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    parent = _parent_run(client, experiment_id, meta)
    runs = {run.data.tags.get(TRIAL_TAG): run for run in _search(
        client, experiment_id, f"tags.`{PARENT_TAG}` = '{parent}'")}
    done = Exported(f"experiment {experiment!r} (id {experiment_id}), sweep run {parent}")
    records = []
    for trial_id in trial_ids:
        record = reader.record(trial_id)
        if record is None:
            continue
        records.append(record)
        run = runs.get(trial_id)
        if run is None:
            _add_trial(client, reader, experiment_id, parent, record)
            done.added += 1
        elif (run.data.tags.get(STATUS_TAG), run.data.tags.get(FINISHED_TAG)) != (
                record.status, str(record.finished_at)):
            _update_trial(client, reader, run, record)
            done.updated += 1
        else:
            done.unchanged += 1
    _finish_parent(client, parent, meta, records, reader)
    return done


def _search(client: Any, experiment_id: str, filter_string: str) -> Iterator[Any]:
    """Every run the filter finds, page by page."""
    token = None
    while True:
        page = client.search_runs([experiment_id], filter_string=filter_string,
                                  max_results=1000, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _parent_run(client: Any, experiment_id: str, meta: dict[str, Any]) -> str:
    """The sweep's run: found by its tags, or made with the sweep's settings as parameters."""
    name, started = str(meta["name"]), str(meta.get("started_at"))
    for run in _search(client, experiment_id,
                       f"tags.`{SWEEP_TAG}` = '{name}' and tags.`{STARTED_TAG}` = '{started}'"):
        return run.info.run_id
    from mlflow.entities import Param

    run = client.create_run(experiment_id, start_time=_ms(started), run_name=name,
                            tags={SWEEP_TAG: name, STARTED_TAG: started})
    objectives = sweep_objectives(meta)
    settings = {"method": meta.get("method"), "parameters": ", ".join(meta.get("parameters")
                                                                      or []),
                "metric": ", ".join(m for m, _ in objectives),
                "goal": ", ".join(g for _, g in objectives),
                "nnrun_version": meta.get("nnrun_version"),
                "n_trials": len(meta.get("trials") or [])}
    sweep = (meta.get("config") or {}).get("sweep") or {}
    settings.update({f"sweep.{key}": value for key, value in sweep.items()
                     if key != "parameters" and value is not None})
    client.log_batch(run.info.run_id, params=[Param(key, str(scalar(value)))
                                              for key, value in settings.items()])
    return run.info.run_id


def _finish_parent(client: Any, parent: str, meta: dict[str, Any],
                   records: Sequence[TrialRecord], reader: ResultsReader) -> None:
    """The sweep run's best value of each objective, its files, and its end once the sweep
    has finished."""
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    metrics = []
    for metric, goal in sweep_objectives(meta):
        values = [v for r in records if r.status == OK
                  and (v := finite(r.final.get(metric))) is not None]
        if values:
            best = max(values) if goal == "maximize" else min(values)
            metrics.append(Metric(f"best/{metric}", best, now, 0))
    _log(client, parent, metrics=metrics)
    for path in (reader.layout.sweep_json, reader.layout.summary_csv):
        if path.is_file():
            client.log_artifact(parent, str(path))
    if meta.get("finished_at"):
        client.set_terminated(parent, "FINISHED", end_time=_ms(meta["finished_at"]))


def _ms(stamp: Any) -> int | None:
    """An ISO 8601 time in milliseconds since the epoch, or None."""
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except ValueError:
        return None


def _trial_tags(record: TrialRecord, epochs: int) -> dict[str, str]:
    tags = {TRIAL_TAG: record.trial, STATUS_TAG: record.status,
            FINISHED_TAG: str(record.finished_at), EPOCHS_TAG: str(epochs)}
    if record.error:
        tags["nnrun.error"] = record.error[:MAX_TAG]
    return tags


def _add_trial(client: Any, reader: ResultsReader, experiment_id: str, parent: str,
               record: TrialRecord) -> None:
    from mlflow.entities import Param

    times = trial_times(record)
    start = int(times[0].timestamp() * 1000) if times else int(time.time() * 1000)
    epochs = _epoch_metrics(reader, record.trial, start, after=0)
    run = client.create_run(experiment_id, start_time=start, run_name=record.trial,
                            tags={PARENT_TAG: parent, **_trial_tags(record, _count(epochs))})
    config = reader.config(record.trial) or {}
    resolved = {key: value for key, value in config.items() if key not in ("trial", "params")}
    params = {**flat_config(resolved), **record.params}
    _log(client, run.info.run_id,
         params=[Param(key, str(scalar(value))) for key, value in params.items()
                 if value is not None],
         metrics=epochs + _final_metrics(record, times))
    _end_trial(client, reader, run.info.run_id, record, times)


def _update_trial(client: Any, reader: ResultsReader, run: Any, record: TrialRecord) -> None:
    """A trial's run gets what its record has gained since it was exported."""
    from mlflow.entities import RunTag

    times = trial_times(record)
    exported = int(run.data.tags.get(EPOCHS_TAG) or 0)
    epochs = _epoch_metrics(reader, record.trial, run.info.start_time, after=exported)
    tags = _trial_tags(record, max(exported, _count(epochs)))
    _log(client, run.info.run_id, metrics=epochs + _final_metrics(record, times),
         tags=[RunTag(key, value) for key, value in tags.items()])
    _end_trial(client, reader, run.info.run_id, record, times)


def _end_trial(client: Any, reader: ResultsReader, run_id: str, record: TrialRecord,
               times: Any) -> None:
    for path in reader.trial_files(record.trial):
        client.log_artifact(run_id, str(path))
    end = int(times[1].timestamp() * 1000) if times else None
    client.set_terminated(run_id, RUN_STATUS.get(record.status, "FAILED"), end_time=end)


def _epoch_metrics(reader: ResultsReader, trial_id: str, start_ms: int, *,
                   after: int) -> list[Any]:
    """metrics.csv's columns, one Metric an epoch later than ``after``; the timestamp of an
    epoch is the run's start plus the time of the epochs up to it."""
    from mlflow.entities import Metric

    frame = reader.metrics(trial_id)
    if frame is None:
        return []
    metrics, elapsed = [], 0.0
    for row in frame.to_dict("records"):
        elapsed += finite(row.get("wall_s")) or 0.0
        epoch = int(row["epoch"])
        if epoch <= after:
            continue
        stamp = start_ms + int(elapsed * 1000)
        metrics += [Metric(name, value, stamp, epoch) for name, raw in row.items()
                    if name not in NOT_EPOCH_METRICS and (value := finite(raw)) is not None]
    return metrics


def _count(metrics: Sequence[Any]) -> int:
    """The last epoch the metrics reach."""
    return max((metric.step for metric in metrics), default=0)


def _final_metrics(record: TrialRecord, times: Any) -> list[Any]:
    from mlflow.entities import Metric

    stamp = int(times[1].timestamp() * 1000) if times else int(time.time() * 1000)
    values = {f"final/{name}": value for name, value in record.final.items()}
    values.update(best_epoch=record.best_epoch, epochs_run=record.epochs_run,
                  wall_s=record.wall_s, train_s=record.train_s)
    return [Metric(name, number, stamp, record.epochs_run) for name, value in values.items()
            if (number := finite(value)) is not None]


def _log(client: Any, run_id: str, *, params: Sequence[Any] = (), metrics: Sequence[Any] = (),
         tags: Sequence[Any] = ()) -> None:
    """log_batch in batches within MLflow's limits (1000 entities, 100 params or tags)."""
    for start in range(0, max(len(params), len(tags)), 100):
        client.log_batch(run_id, params=params[start:start + 100], tags=tags[start:start + 100])
    for start in range(0, len(metrics), BATCH):
        client.log_batch(run_id, metrics=metrics[start:start + BATCH])

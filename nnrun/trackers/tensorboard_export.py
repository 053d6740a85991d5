"""``nnrun export RESULTS --to tensorboard``: a results folder as TensorBoard event files,
written with tensorboardX (no TensorFlow).

Each finished trial is a run of its own, ``LOGDIR/<sweep>/<trial-id>/``, holding its per-epoch
scalars (step = epoch, wall times from the epochs' times; metrics.csv's ``train_loss`` is
``loss/train``, ``val_accuracy`` is ``accuracy/val``, ``grad_norm_2`` is ``grad_norm/layer_2``,
``lr`` stays ``lr``), its final metrics as ``final/<name>`` and the HParams summary: the swept
parameters and seed as hyperparameters (a list such as [32, 32] as its JSON text), the final
metrics as the HParams view's metrics, and the session's status (ok and stopped by halving:
success, diverged or failed: failure). Exporting again rewrites each trial's run
instead of adding a second copy of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nnrun.errors import NnrunError
from nnrun.results.reader import ResultsReader
from nnrun.results.record import TrialRecord
from nnrun.trackers._sweep import finite, scalar, trial_times
from nnrun.vocabulary import OK, STOPPED

TENSORBOARDX_MISSING = ("nnrun export --to tensorboard needs tensorboardX: pip install "
                        "'nnrun[tensorboard]'")
EVENTS_PREFIX = "events.out.tfevents."  # how TensorBoard's event files are named
SPLITS = ("train", "val", "test")


def _summary_writer() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise NnrunError(TENSORBOARDX_MISSING) from None
    return SummaryWriter


def scalar_tag(column: str) -> str:
    """metrics.csv's column as a TensorBoard tag, grouped the way its dashboard groups them."""
    split, _, rest = column.partition("_")
    if split in SPLITS and rest:
        return f"{rest}/{split}"
    if column.startswith("grad_norm_"):
        return f"grad_norm/layer_{column.removeprefix('grad_norm_')}"
    return column


def export_tensorboard(results: Path, *, logdir: Path) -> str:
    """Write the finished trials of the sweep in ``results`` under ``logdir``/<sweep>/; a line
    that says where."""
    writer_class = _summary_writer()
    reader = ResultsReader(results)
    meta = reader.meta()
    sweep_dir = Path(logdir) / str(meta["name"])
    written = 0
    for trial_id in (str(t) for t in reader.summary(meta)["trial"]):
        record = reader.record(trial_id)
        if record is None:
            continue
        run_dir = sweep_dir / trial_id
        try:
            _clear_events(run_dir)
            _write_run(writer_class, run_dir, reader, record)
        except OSError as error:
            raise NnrunError(f"{run_dir}: cannot write it ({error.strerror})") from None
        written += 1
    return (f"{sweep_dir}: {written} trial runs (watch them: tensorboard --logdir "
            f"{Path(logdir)})")


def _clear_events(run_dir: Path) -> None:
    """The event files an earlier export wrote into this trial's run."""
    if run_dir.is_dir():
        for path in run_dir.glob(f"{EVENTS_PREFIX}*"):
            path.unlink()


def _write_run(writer_class: Any, run_dir: Path, reader: ResultsReader,
               record: TrialRecord) -> None:
    times = trial_times(record)
    start = times[0].timestamp() if times else None
    writer = writer_class(logdir=str(run_dir), flush_secs=3600)
    try:
        frame = reader.metrics(record.trial)
        elapsed = 0.0
        for row in [] if frame is None else frame.to_dict("records"):
            elapsed += finite(row.get("wall_s")) or 0.0
            stamp = None if start is None else start + elapsed
            for column, raw in row.items():
                value = finite(raw)
                if column not in ("epoch", "wall_s") and value is not None:
                    writer.add_scalar(scalar_tag(column), value, int(row["epoch"]),
                                      walltime=stamp)
        finals = {f"final/{name}": value for name, value in record.final.items()
                  if finite(value) is not None}
        end = times[1].timestamp() if times else None
        for tag, value in finals.items():
            writer.add_scalar(tag, value, record.epochs_run, walltime=end)
        for summary in _hparams(record, finals):
            writer.file_writer.add_summary(summary, walltime=end)
    finally:
        writer.close()


def _hparams(record: TrialRecord, finals: dict[str, float]) -> list[Any]:
    """The HParams plugin's three summaries of a trial: the experiment (which hyperparameters
    and metrics there are), the session's start (this trial's values) and its end (status)."""
    from tensorboardX.proto.api_pb2 import Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.summary import hparams

    values = {key: scalar(value) for key, value in record.params.items()}
    values["seed"] = record.seed
    experiment, start, _ = hparams(values, finals)
    # HParams knows success, failure, running and unknown: a trial halving stopped trained well
    status = "STATUS_SUCCESS" if record.status in (OK, STOPPED) else "STATUS_FAILURE"
    content = HParamsPluginData(session_end_info=SessionEndInfo(status=Status.Value(status)),
                                version=0)
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="hparams", content=content.SerializeToString()))
    end = Summary(value=[Summary.Value(tag="_hparams_/session_end_info", metadata=metadata)])
    return [experiment, start, end]

"""``nnrun export RESULTS --to mlflow | tensorboard``: the one entry point the command calls."""

from __future__ import annotations

from pathlib import Path

from nnrun.errors import NnrunError

TRACKERS = ("mlflow", "tensorboard")


def export_to(results: Path, to: str, *, uri: str | None = None, logdir: Path | None = None,
              experiment: str | None = None) -> str:
    """Export the sweep in ``results`` to the tracker ``to``; a line that says what was done.
    ``uri`` and ``experiment`` are MLflow's, ``logdir`` TensorBoard's."""
    if to == "mlflow":
        if logdir is not None:
            raise NnrunError("--logdir is for --to tensorboard; MLflow takes --uri")
        from nnrun.trackers.mlflow_export import export_mlflow

        return str(export_mlflow(Path(results), uri=uri, experiment=experiment))
    if to == "tensorboard":
        if uri is not None or experiment is not None:
            raise NnrunError("--uri and --experiment are for --to mlflow; TensorBoard takes "
                             "--logdir")
        if logdir is None:
            raise NnrunError("--to tensorboard needs --logdir DIR, the folder TensorBoard "
                             "reads (tensorboard --logdir DIR)")
        from nnrun.trackers.tensorboard_export import export_tensorboard

        return export_tensorboard(Path(results), logdir=Path(logdir))
    raise NnrunError(f"--to {to!r}: expected one of {', '.join(TRACKERS)}")

"""The commands of a trained model and of the data cache: `nnrun predict | export | refit |
cache`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from nnrun.cli._app import TRIAL_HELP, app, user_errors
from nnrun.errors import NnrunError


@app.command()
@user_errors
def predict(
    results: Annotated[Path, typer.Argument(help="A results folder (results/<name>), or one "
                                            "model's folder (a trial's, or a refit's).")],
    data: Annotated[Path, typer.Argument(help="A csv file (columns matched by name, others "
                                         "ignored) or an npz file with an array X.")],
    trial: Annotated[str, typer.Option(help=TRIAL_HELP)] = "best",
    out: Annotated[Path | None, typer.Option(help="Write the csv here instead of to "
                                             "stdout.")] = None,
    proba: Annotated[bool, typer.Option("--proba", help="One probability column per class "
                                        "instead of the predicted label.")] = False,
) -> None:
    """Predict with a trained model: a csv of predicted labels (as the training data wrote
    them) or regression values (in the target's units), one row per row of DATA.

    Example: nnrun predict results/quickstart new.csv --out predictions.csv
    """
    from nnrun.api.predict import predict_file

    predict_file(results, data, trial, out, proba)


class ExportFormat(StrEnum):
    onnx = "onnx"


class Tracker(StrEnum):
    mlflow = "mlflow"
    tensorboard = "tensorboard"


@app.command()
@user_errors
def export(
    results: Annotated[Path, typer.Argument(help="A results folder, or one model's folder.")],
    trial: Annotated[str | None, typer.Option(help=f"--format onnx: {TRIAL_HELP[0].lower()}"
                                              f"{TRIAL_HELP[1:]} Default: best.")] = None,
    format_: Annotated[ExportFormat | None, typer.Option(
        "--format", help="onnx: the trial's whole predictor (scaling, layers, output) as one "
                         "ONNX graph.")] = None,
    out: Annotated[Path | None, typer.Option(help="--format onnx: the file to write (default: "
                                             "model.onnx in the current folder).")] = None,
    to: Annotated[Tracker | None, typer.Option(
        "--to", help="mlflow: a parent run for the sweep and a nested run per trial; "
                     "tensorboard: event files, a run per trial with its HParams.")] = None,
    uri: Annotated[str | None, typer.Option(help="--to mlflow: the tracking store, e.g. "
                                            "sqlite:///mlflow.db (default: "
                                            "MLFLOW_TRACKING_URI, as MLflow does).")] = None,
    experiment: Annotated[str | None, typer.Option(help="--to mlflow: the experiment "
                                                   "(default: the sweep's name).")] = None,
    logdir: Annotated[Path | None, typer.Option(help="--to tensorboard: the folder "
                                                "TensorBoard reads; the runs go to "
                                                "LOGDIR/<name>/<trial>.")] = None,
) -> None:
    """Export a trained model to a file (--format onnx, needs the onnx extra), or a sweep's
    trials to a tracker (--to mlflow or --to tensorboard, each with its extra; exporting again
    adds nothing twice).

    Example: nnrun export results/quickstart --trial best --format onnx --out model.onnx;
    nnrun export results/quickstart --to mlflow --uri sqlite:///mlflow.db
    """
    if (format_ is None) == (to is None):
        raise NnrunError("nnrun export needs one of --format onnx (a model file) or --to "
                         "mlflow|tensorboard (a tracker)")
    _check_export_mode(format_, to, {"--trial": trial, "--out": out},
                       {"--uri": uri, "--experiment": experiment, "--logdir": logdir})
    if format_ is not None:
        from nnrun.api.onnx_export import export_onnx

        print(export_onnx(results, trial or "best", out or Path("model.onnx")))
        return
    from nnrun.trackers.export import export_to

    print(export_to(results, to.value, uri=uri, logdir=logdir, experiment=experiment))


def _check_export_mode(format_: ExportFormat | None, to: Tracker | None,
                       model_options: dict[str, object], tracker_options: dict[str, object]
                       ) -> None:
    """NnrunError naming the options given that belong to the other mode of nnrun export
    (--trial and --out make one model's file; --uri, --experiment and --logdir are a
    tracker's), which would otherwise be ignored without a word."""
    if format_ is not None:
        others, mode = tracker_options, f"--format {format_.value}"
        theirs = "--to mlflow|tensorboard (a tracker)"
    else:
        others, mode = model_options, f"--to {to.value if to else ''}"
        theirs = "--format onnx (one trial's model file; --to exports every trial)"
    given = [name for name, value in others.items() if value is not None]
    if given:
        raise NnrunError(f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} for "
                         f"{theirs}, not {mode}")


@app.command()
@user_errors
def refit(
    results: Annotated[Path, typer.Argument(help="A results folder (results/<name>).")],
    trial: Annotated[str, typer.Option(help=TRIAL_HELP)] = "best",
) -> None:
    """Retrain a trial's configuration on training + validation data for its best number of
    epochs (as scikit-learn's refit); the test split stays untouched and its score is
    reported. The model goes to RESULTS/refit/<trial>/, which predict and export accept.

    Example: nnrun refit results/quickstart && nnrun predict results/quickstart/refit/<id> x.csv
    """
    from nnrun.api.refit import refit_trial

    print(refit_trial(results, trial))


cache_app = typer.Typer(
    help="The on-disk cache of generated built-in data sets (mnist1d, digits), kept across "
         "sweeps in the user cache folder ($NNRUN_CACHE_DIR overrides it).",
    no_args_is_help=True)
app.add_typer(cache_app, name="cache")


@cache_app.command("info")
@user_errors
def cache_info() -> None:
    """Print the cache folder and each entry: data set, size, when it was written, its key.

    Example: nnrun cache info
    """
    import datetime

    from nnrun.data import disk_cache

    found = disk_cache.entries()
    total = sum(entry.size for entry in found)
    print(f"{disk_cache.data_dir()}: {len(found)} file{'s' if len(found) != 1 else ''}, "
          f"{total / 2**20:.1f} MiB")
    for entry in found:
        written = datetime.datetime.fromtimestamp(entry.modified).isoformat(" ", "seconds")
        what = ("unreadable (rebuilt when next needed)" if entry.key is None else
                f"{entry.key['arguments']} {entry.key['versions']}")
        print(f"  {entry.path.name}  {entry.size / 2**20:.1f} MiB  {written}  {what}")


@cache_app.command("clear")
@user_errors
def cache_clear() -> None:
    """Remove every cached data set; the next sweep that needs one builds it again.

    Example: nnrun cache clear
    """
    from nnrun.data import disk_cache

    removed, size = disk_cache.clear()
    print(f"{disk_cache.data_dir()}: removed {removed} file{'s' if removed != 1 else ''}, "
          f"{size / 2**20:.1f} MiB")

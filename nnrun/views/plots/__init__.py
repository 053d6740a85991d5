"""`nnrun plot`: pictures of a results folder (ARCHITECTURE.md), and the reports beside them
(report.md, and report.html from :mod:`nnrun.views.html`).

Everything here reads the files a sweep wrote and nothing else: a plot never retrains. The
decision regions rebuild the best trial's network from ``trials/<id>/weights.npz``.

One module a picture (``_learning_curves``, ``_parameter_effects``, ``_heatmaps``,
``_parallel_coordinates``, ``_gradient_norms``, ``_decision_regions``), each a ``gather`` that
shapes the data and a ``draw`` that draws it; ``_gather`` and ``_draw`` hold what several
share. Those modules import matplotlib, so this package imports them only when a plot is drawn:
importing it (and starting the command line) stays fast, and the Agg backend makes plotting
headless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from nnrun import vocabulary
from nnrun.errors import NnrunError
from nnrun.results.layout import Layout, is_sweep_folder, sweep_folders_in
from nnrun.results.reader import ResultsReader
from nnrun.views.plots._gather import (
    categories,
    group_parameter,
    is_discrete,
    is_log_scaled,
    is_numeric,
)
from nnrun.views.report import write_report
from nnrun.views.sweep import SweepResults, load_sweep

__all__ = ["categories", "group_parameter", "is_discrete", "is_log_scaled", "is_numeric",
           "load_sweep", "plot_results"]


def plot_results(results: Path | Sequence[Path], out: Path | None = None,
                 log: Callable[[str], None] | None = None) -> list[Path]:
    """Write the pictures, report.md and report.html of a sweep folder, of each sweep in a
    folder of sweeps, or of several sweeps given one after the other.

    ``out`` defaults to ``<sweep>/plots``; for several sweeps, ``out`` gets one subfolder per
    sweep and one report.html that compares them side by side. Returns the files written.
    Raises NnrunError for a folder that holds no sweep.
    """
    say = log or (lambda message: None)
    given = [Path(results)] if isinstance(results, str | Path) else [Path(r) for r in results]
    folders = [folder for result in given for folder in _sweep_folders(result)]
    if len(folders) == 1:
        target = Path(out) if out else Layout(folders[0]).plots_dir
        sweep, written = _plot_sweep(folders[0], target, say)
        return written + _html(say, [sweep], target, {sweep.name: target})
    names = [folder.name for folder in folders]
    # report.html and the subfolders of --out tell sweeps apart by the folder's name and by
    # the name its sweep.json gives (a copied folder keeps the original's)
    recorded = [str(ResultsReader(folder).meta().get("name") or folder.name)
                for folder in folders]
    for kind, given_names in (("folder", names), ("sweep.json", recorded)):
        if len(set(given_names)) < len(given_names):
            raise NnrunError(
                f"two of the sweeps have the same {kind} name ({', '.join(given_names)}): "
                "plot them one at a time, with a different --out each")
    written: list[Path] = []
    sweeps, places = [], {}
    for folder in folders:
        say(f"{folder.name}:")
        target = Path(out) / folder.name if out else Layout(folder).plots_dir
        sweep, files = _plot_sweep(folder, target, say)
        written += files
        sweeps.append(sweep)
        places[sweep.name] = target
        if not out:
            written += _html(say, [sweep], target, {sweep.name: target})
    if out:
        written += _html(say, sweeps, Path(out), places)
    return written


def _sweep_folders(results: Path) -> list[Path]:
    if not results.is_dir():
        raise NnrunError(f"{results}: no such folder; give the results folder `nnrun sweep` "
                         "wrote (results/<name>)")
    if is_sweep_folder(results):
        return [results]
    sweeps = sweep_folders_in(results)
    if not sweeps:
        raise NnrunError(f"{results} is not a results folder: it has no sweep.json, nor any "
                         "subfolder with one; give the folder `nnrun sweep` wrote "
                         "(results/<name>) or the folder that holds several")
    return list(sweeps)


def _html(say: Callable[[str], None], sweeps: list[SweepResults], out: Path,
          places: dict[str, Path]) -> list[Path]:
    """report.html, when plotly (the html extra) is installed."""
    from nnrun.views.html import plotly_available, write_html_report

    if not plotly_available():
        say("no report.html: it needs plotly (pip install 'nnrun[html]')")
        return []
    regions = {name: place / "decision_regions.png" for name, place in places.items()}
    return [write_html_report(sweeps, out, regions)]


def _plot_sweep(folder: Path, out: Path,
                say: Callable[[str], None]) -> tuple[SweepResults, list[Path]]:
    import matplotlib

    matplotlib.use("Agg")  # before the picture modules import pyplot
    from nnrun.views.plots._pictures import PICTURE_NAMES, draw_pictures

    sweep = load_sweep(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:  # --out is a file, or a place this user cannot write
        raise NnrunError(f"cannot create the plots folder {out}: {error.strerror or error}; "
                         f"give another --out") from None
    _tell_missing(sweep, say)
    pictures = draw_pictures(sweep, out, say)
    _remove_stale(out, PICTURE_NAMES, {picture.path.name for picture in pictures}, say)
    report = write_report(sweep, pictures, out)
    return sweep, [p.path for p in pictures] + [report]


def _remove_stale(out: Path, names: Iterable[str], drawn: set[str],
                  say: Callable[[str], None]) -> None:
    """Remove nnrun's own pictures (``names``) that this run did not draw: they are left from
    an earlier run, of a sweep that has changed since (no decision regions any more, say).
    Other files are left alone."""
    for name in names:
        stale = out / name
        if name not in drawn and stale.is_file():
            try:
                stale.unlink()
            except OSError as error:
                say(f"could not remove the out-of-date {stale}: {error.strerror or error}")
            else:
                say(f"removed {name}, left from an earlier plot: this sweep has no such picture")


def _tell_missing(sweep: SweepResults, say: Callable[[str], None]) -> None:
    with_curves = len(sweep.metrics)
    problems = []
    if sweep.unfinished:
        problems.append(f"{len(sweep.unfinished)} trials still running or not started")
    if sweep.no_metrics:
        problems.append(f"{len(sweep.no_metrics)} finished trials have no metrics.csv")
    failed = int((sweep.summary["status"] == vocabulary.FAILED).sum())
    if failed:
        problems.append(f"{failed} trials failed")
    if problems:
        say("; ".join(problems) + f"; plotted {with_curves}")
    else:
        say(f"plotted {with_curves} trials")

"""The command line: `nnrun sweep | show | plot | check | validate | gradcheck`.

Each command delegates to one module. Anything the user can fix raises NnrunError, which is
printed on stderr as one clean message with exit code 2 (never a traceback). Results go to
stdout, diagnostics and progress to stderr. Heavy modules (numpy, pandas, matplotlib, dask) are
imported inside the commands so that `nnrun --help` starts fast.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from nnrun import __version__
from nnrun.errors import NnrunError

if TYPE_CHECKING:
    from nnrun.config import SweepSpec
    from nnrun.driver import SweepOutcome

app = typer.Typer(
    name="nnrun",
    help="Hyperparameter sweeps of fully connected neural networks, on one numpy "
         "backpropagation core.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def user_errors(command: F) -> F:
    """Turn NnrunError into a clean message on stderr and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except NnrunError as error:
            _err(f"error: {error}")
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        print(f"nnrun {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Hyperparameter sweeps of fully connected neural networks, on one numpy backpropagation
    core. Start with `nnrun sweep experiments/quickstart.yaml`."""


class Backend(StrEnum):
    loky = "loky"
    dask = "dask"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    markdown = "markdown"


@app.command()
@user_errors
def sweep(
    config: Annotated[Path, typer.Argument(help="The sweep's YAML file.")],
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", help="Trials run at the same time "
                                             "(default: all cores).")] = None,
    out: Annotated[Path, typer.Option(help="Folder that receives <name>/ with the "
                                      "results.")] = Path("results"),
    backend: Annotated[Backend, typer.Option(help="Where trials run: loky (processes on this "
                                             "machine) or dask (a dask cluster).")]
    = Backend.loky,
    scheduler: Annotated[str | None, typer.Option(help="Address of a dask scheduler, e.g. "
                                                  "tcp://10.0.0.5:8786; without it --backend "
                                                  "dask starts a local cluster.")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE",
                                                   help="Override a key of the file "
                                                   "before expansion, e.g. --set "
                                                   "optimizer.lr=1e-3 (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the table of trials and "
                                          "exit without training.")] = False,
    resume: Annotated[bool, typer.Option("--resume/--no-resume", help="Skip trials that "
                                         "already finished in the results folder (default), "
                                         "or start the sweep over.")] = True,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first failed "
                                            "trial.")] = False,
    max_failures: Annotated[int | None, typer.Option(min=1, help="Stop after this many "
                                                     "failed trials.")] = None,
) -> None:
    """Train every configuration of a sweep in parallel and write the results.

    Example: nnrun sweep experiments/quickstart.yaml --jobs 2 --set train.epochs=50

    Exit code 0 when every trial finished, 1 when a trial failed, 2 for a bad config or data
    file. Running the same command again resumes: finished trials are kept.
    """
    from nnrun.config import load_config

    if scheduler is not None and backend is not Backend.dask:
        raise NnrunError("--scheduler is the address of a dask scheduler: it needs "
                         "--backend dask")
    spec = load_config(config, set_ or [])
    if dry_run:
        _print_dry_run(spec)
        return
    from nnrun.driver import run_sweep

    outcome = run_sweep(spec, out=out, jobs=jobs, backend=backend.value, scheduler=scheduler,
                        resume=resume, fail_fast=fail_fast, max_failures=max_failures)
    code = _report_sweep(outcome)
    if code != EXIT_OK:
        raise typer.Exit(code)


def _report_sweep(outcome: SweepOutcome) -> int:
    """Say how a sweep ended (the counts on stdout, what went wrong on stderr); its exit code."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.counts.items()))
    done = sum(outcome.counts.values())
    print(f"{outcome.folder}: {done} of {outcome.n_trials} trials finished ({counts or 'none'})"
          + (f", {outcome.resumed} of them from an earlier run" if outcome.resumed else ""))
    if outcome.interrupted:
        _err(f"interrupted: the {done} finished trials are saved in {outcome.folder}; run the "
             f"same command again to resume")
        return EXIT_INTERRUPTED
    if outcome.stopped_on_failure:
        _err("stopped after a failed trial (--fail-fast / --max-failures)")
    if outcome.failed:
        _err(f"{outcome.failed} trial(s) failed: see trials/<id>/result.json in "
             f"{outcome.folder}")
        return EXIT_FAILED
    return EXIT_FAILED if outcome.stopped_on_failure else EXIT_OK


def _print_dry_run(spec: SweepSpec) -> None:
    from nnrun.search import describe_search, describe_trials, expand

    if spec.method == "bayes":  # no trials until TPE proposes them, while the sweep runs
        print(f"{spec.name}: {describe_search(spec, [])} (bayes); the trials are not known "
              f"before the sweep runs")
        return
    trials = expand(spec)
    rows = describe_trials(trials, list(spec.parameters))
    _print_rows(rows, title=f"{spec.name}: {len(trials)} trials ({spec.method})")


def _print_rows(rows: list[dict[str, Any]], title: str) -> None:
    from nnrun.views.tables import plain_table
    from nnrun.vocabulary import format_value

    print(title)
    if rows:
        columns = list(rows[0].keys())
        print(plain_table(columns, [[format_value(row.get(c)) for c in columns] for row in rows],
                          rule=False))


@app.command()
@user_errors
def show(
    results: Annotated[Path, typer.Argument(help="A results folder, e.g. results/quickstart.")],
    top: Annotated[int | None, typer.Option(min=1, help="Show only the best N "
                                            "configurations.")] = None,
    format_: Annotated[Format, typer.Option("--format", help="table (terminal), csv or "
                                            "markdown.")] = Format.table,
) -> None:
    """Print the leaderboard: configurations ranked by the sweep's metric, mean ± std over
    repeats.

    Example: nnrun show results/quickstart --top 5
    """
    from nnrun.views.leaderboard import leaderboard

    board = leaderboard(results, top=top)
    if format_ is Format.csv:
        print(board.to_csv(), end="")
    elif format_ is Format.markdown:
        print(board.to_markdown(), end="")
    else:
        board.print_table()


@app.command()
@user_errors
def plot(
    results: Annotated[list[Path], typer.Argument(
        help="A results folder, a folder of several, or several results folders to compare.")],
    out: Annotated[Path | None, typer.Option(help="Where the PNG files, report.md and "
                                             "report.html go (default: RESULTS/plots); with "
                                             "several sweeps, one subfolder each and one "
                                             "report.html comparing them.")] = None,
) -> None:
    """Draw learning curves, hyperparameter effects, gradient norms per layer and decision
    regions, and write report.md and report.html (interactive, offline) beside them.

    Example: nnrun plot results/quickstart; nnrun plot results/a results/b --out compare
    """
    from nnrun.views.plots import plot_results

    written = plot_results(results, out, log=_err)
    for path in written:
        print(path)


@app.command()
@user_errors
def check(
    results: Annotated[Path, typer.Argument(help="A finished sweep's results folder.")],
    baseline: Annotated[Path, typer.Option(help="The baseline file (YAML or JSON) to hold "
                                           "the sweep against.")],
    tolerance: Annotated[list[str] | None, typer.Option(
        help="Allowed worsening: 0.01 (absolute, every metric), val_loss=5% (relative, one "
             "metric), val_accuracy=0.02. Repeatable; overrides the baseline's.")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="A metric to check (repeatable; default: the sweep's metric and "
                         "val_loss).")] = None,
    update: Annotated[bool, typer.Option("--update", help="Write or refresh the baseline from "
                                         "this sweep instead of checking.")] = False,
    summary: Annotated[Path | None, typer.Option(help="Also write a markdown summary here, "
                                                 "e.g. $GITHUB_STEP_SUMMARY.")] = None,
) -> None:
    """Hold a sweep against a stored baseline; exit 1 on a regression, for CI.

    Example: nnrun check results/ci --baseline experiments/baselines/ci.yaml
    """
    from nnrun.check import check as run_check

    code = run_check(results, baseline, tolerances=tolerance or [], metrics=metric or None,
                     update=update, summary=summary)
    raise typer.Exit(code)


@app.command()
@user_errors
def validate(
    config: Annotated[Path, typer.Argument(help="The sweep's YAML file.")],
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE",
                                                   help="Override a key, as for "
                                                   "sweep.")] = None,
) -> None:
    """Check a config file and report the number of trials; exit 0 when valid, 2 when not.

    It makes every check that nnrun sweep makes before training, loading each data set the
    sweep uses (a missing file, bad data, too few samples), and checks that each network
    fits in this machine's memory.

    Example: nnrun validate experiments/optimizers.yaml
    """
    from nnrun.config import load_config
    from nnrun.driver.preflight import preflight
    from nnrun.search import ADAPTIVE, describe_search

    spec = load_config(config, set_ or [])
    trials = preflight(spec).trials
    if spec.method in ADAPTIVE:
        print(f"{config}: valid; {describe_search(spec, trials)} ({spec.name})")
        return
    print(f"{config}: valid; {len(trials)} trial{'s' if len(trials) != 1 else ''} "
          f"({spec.method}, {spec.name})")


@app.command()
@user_errors
def gradcheck(
    config: Annotated[Path, typer.Argument(help="The sweep's YAML file.")],
    samples: Annotated[int, typer.Option(help="Samples in the batch that is checked.")] = 16,
    threshold: Annotated[float, typer.Option(help="Largest relative error allowed.",
                                             min=0.0)] = 1e-6,
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE",
                                                   help="Override a key, as for "
                                                   "sweep.")] = None,
) -> None:
    """Check backpropagation against central finite differences, in float64, for each distinct
    architecture / activation / loss of a sweep; exit 1 above the threshold.

    Example: nnrun gradcheck experiments/activations-losses.yaml
    """
    from nnrun.driver import run_gradcheck

    rows = run_gradcheck(config, samples=samples, overrides=set_ or [])
    shown = [{**row, "max_rel_error": f"{row['max_rel_error']:.2e}"} for row in rows]
    _print_rows(shown, title=f"{config}: backpropagation vs central differences (float64)")
    worst = max(row["max_rel_error"] for row in rows)
    verdict = "ok" if worst <= threshold else "FAILED"
    print(f"worst relative error {worst:.3e} (threshold {threshold:.0e}): {verdict}")
    if worst > threshold:
        raise typer.Exit(EXIT_FAILED)


def main() -> None:
    """The console script's entry point."""
    # matplotlib (imported by plots and by the mnist1d package) must never look for a display.
    os.environ.setdefault("MPLBACKEND", "Agg")
    app()

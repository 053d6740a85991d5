"""The commands of a sweep: `nnrun sweep | show | plot | check | validate | gradcheck`."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nnrun.cli._app import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Backend,
    Format,
    _err,
    app,
    user_errors,
)
from nnrun.errors import NnrunError

if TYPE_CHECKING:
    from nnrun.config import SweepSpec
    from nnrun.driver import SweepOutcome
    from nnrun.driver.budget import Budget


# long: typer declares each option in the signature, and the sweep has fourteen of them
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
                                         "or train this sweep's trials again (the trials of "
                                         "other configurations there are kept).")] = True,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first failed "
                                            "trial.")] = False,
    max_failures: Annotated[int | None, typer.Option(min=1, help="Stop after this many "
                                                     "failed trials.")] = None,
    max_trials: Annotated[int | None, typer.Option(min=1, help="Start at most this many "
                                                   "trials in this run (default: "
                                                   "sweep.max_trials).")] = None,
    timeout: Annotated[str | None, typer.Option(metavar="DURATION", help="Start no trial "
                                                "after this long, e.g. 90s, 10m, 1h "
                                                "(default: sweep.timeout).")] = None,
    optuna_journal: Annotated[bool | None, typer.Option(
        "--optuna-journal/--no-optuna-journal", help="Keep RESULTS/<name>/optuna.journal as "
        "trials finish, for `optuna-dashboard results/<name>/optuna.journal` (default: the "
        "file's sweep.optuna_journal, off).")] = None,
) -> None:
    """Train every configuration of a sweep in parallel and write the results.

    Example: nnrun sweep experiments/quickstart.yaml --jobs 2 --set train.epochs=50

    Exit code 0 when every trial finished, 1 when a trial failed, 2 for a bad config or data
    file or a results folder that cannot be written, 130 / 143 / 129 when Ctrl-C / SIGTERM /
    SIGHUP stopped it. Running the same command again resumes: finished trials are kept. A
    budget (--max-trials, --timeout) that ends the sweep early exits 0, saying so.
    """
    from nnrun.config import load_config
    from nnrun.driver.budget import sweep_budget
    from nnrun.driver.sweep import SweepInterrupted, check_options, run_sweep

    check_options(jobs, backend.value, scheduler)  # --dry-run too: it says what would run
    spec = load_config(config, set_ or [])
    _say_notes(spec)
    budget = sweep_budget(spec.raw["sweep"], max_trials, timeout)
    if dry_run:
        _print_dry_run(spec, budget)
        return

    try:
        outcome = run_sweep(spec, out=out, jobs=jobs, backend=backend.value,
                            scheduler=scheduler, resume=resume, fail_fast=fail_fast,
                            max_failures=max_failures, budget=budget,
                            optuna_journal=optuna_journal)
    except SweepInterrupted as stop:
        by = "" if stop.signum == signal.SIGINT else f" by {signal.Signals(stop.signum).name}"
        _err(f"interrupted{by} before the first trial: nothing was trained")
        raise typer.Exit(128 + stop.signum) from None
    code = _report_sweep(outcome)
    if code != EXIT_OK:
        raise typer.Exit(code)


def _say_notes(spec: SweepSpec) -> None:
    """What --set did to the sweep (a swept key it fixed), on stderr."""
    for note in spec.notes:
        _err(note)


def _report_sweep(outcome: SweepOutcome) -> int:
    """Say how a sweep ended (the counts on stdout, what went wrong on stderr); its exit code."""
    counts = ", ".join(f"{n} {status}" for status, n in sorted(outcome.counts.items()))
    done = sum(outcome.counts.values())
    print(f"{outcome.folder}: {done} of {outcome.n_trials} trials finished ({counts or 'none'})"
          + (f", {outcome.resumed} of them from an earlier run" if outcome.resumed else ""))
    if outcome.budget_spent and not outcome.interrupted:
        print(f"budget: {outcome.budget_spent}, which ended the sweep before its last trial; "
              f"run the same command again to go on")
    if outcome.write_error:
        _err(f"error: {outcome.write_error}; the sweep stopped there. The {done} finished "
             f"trials are saved in {outcome.folder}; make room or fix the folder, then run the "
             f"same command again to resume")
        return EXIT_USAGE
    if outcome.interrupted:
        by = f" by {signal.Signals(outcome.signal).name}" if outcome.signal else ""
        if outcome.complete:  # the signal came as the sweep was writing its last files
            _err(f"interrupted{by} after the last trial: all {done} trials are saved in "
                 f"{outcome.folder}, with the summary")
        else:
            _err(f"interrupted{by}: the {done} finished trials are saved in {outcome.folder}; "
                 f"run the same command again to resume")
        # as a shell reports a process killed by the signal: 130 Ctrl-C, 143 SIGTERM, 129 SIGHUP
        return 128 + outcome.signal if outcome.signal else EXIT_INTERRUPTED
    if outcome.stopped_on_failure:
        _err("stopped after a failed trial (--fail-fast / --max-failures)")
    if outcome.failed:
        _err(f"{outcome.failed} trial(s) failed: see trials/<id>/result.json in "
             f"{outcome.folder}")
        return EXIT_FAILED
    return EXIT_FAILED if outcome.stopped_on_failure else EXIT_OK


def _print_dry_run(spec: SweepSpec, budget: Budget) -> None:
    """The trials of a sweep, in the order of summary.csv, which is the order they start in on
    one worker or with a budget (several workers without one start the longest first): with a
    trial budget (--max-trials, sweep.max_trials) only the first N, saying how many there are
    in all."""
    from nnrun.search import describe_search, describe_trials, expand

    limit = budget.max_trials
    if spec.method == "bayes":  # no trials until TPE proposes them, while the sweep runs
        started = "" if limit is None else (f"; {budget.max_trials_from} {limit}: at most "
                                            f"{limit} of them start in this run")
        print(f"{spec.name}: {describe_search(spec, [])} (bayes){started}; the trials are not "
              f"known before the sweep runs")
        return
    trials = expand(spec)
    title = f"{spec.name}: {len(trials)} trial{'' if len(trials) == 1 else 's'} ({spec.method})"
    if limit is not None and limit < len(trials):
        # grid, random and halving start their trials in this order (halving: its first rung)
        title = (f"{spec.name}: the first {limit} of {len(trials)} trials ({spec.method}), "
                 f"those {budget.max_trials_from} {limit} starts (a run that resumes starts "
                 f"the first {limit} not finished yet)")
        trials = trials[:limit]
    _print_rows(describe_trials(trials, list(spec.parameters)), title=title)


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
    trial: Annotated[str | None, typer.Option(help="Show one trial instead: its config, final "
                                              "metrics and files (an id from the trials "
                                              "column, or best), in --format.")] = None,
    pareto: Annotated[bool, typer.Option("--pareto", help="Show only the configurations on "
                                         "the Pareto front of the sweep's metrics (none "
                                         "better in one without being worse in another).")
                      ] = False,
) -> None:
    """Print the leaderboard: configurations ranked by the sweep's metric, mean ± std over
    repeats, with each configuration's trial ids. With several metrics (metric: [val_accuracy,
    n_parameters]) the non-dominated configurations come first, marked * in the pareto column.

    Example: nnrun show results/quickstart --top 5; nnrun show results/quickstart --trial best;
    nnrun show results/pareto --pareto
    """
    if trial is not None:
        from nnrun.views.trial import trial_text

        # --top and --pareto choose configurations of the leaderboard; --trial is one trial
        given = [name for name, value in (("--top", top is not None), ("--pareto", pareto))
                 if value]
        if given:
            raise NnrunError(f"{' and '.join(given)} {'chooses' if len(given) == 1 else 'choose'}"
                             f" rows of the leaderboard; --trial shows one trial: give one or "
                             f"the other")
        print(trial_text(results, trial, format_.value), end="")
        return
    from nnrun.views.leaderboard import leaderboard

    board = leaderboard(results, top=top, pareto_only=pareto)
    if board.which:
        _err(f"{results}: {board.which}")
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
        help="Allowed worsening: 0.01 or 5% (absolute or relative; every metric, those the "
             "baseline file gives a tolerance included), val_loss=5% (one metric). "
             "Repeatable; beats the baseline file's tolerances.")] = None,
    metric: Annotated[list[str] | None, typer.Option(
        "--metric", help="A metric to check (repeatable; default: each of the sweep's "
                         "metrics, train_seconds only when asked for, and val_loss).")] = None,
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
    _say_notes(spec)
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

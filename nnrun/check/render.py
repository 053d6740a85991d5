"""A check's report as text: plain (a CI log), rich (a terminal), markdown (a CI job's summary
page, such as GitHub's $GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from nnrun.check.compare import FAILING_STATUSES, STATUSES, MetricComparison, Report, Row
from nnrun.errors import NnrunError
from nnrun.views.tables import markdown_cell, markdown_table, plain_table

_STYLES = {"ok": "", "improved": "green", "regressed": "bold red", "missing": "bold red",
           "new": "cyan", "failed": "bold red"}
UNFINISHED = "the sweep has not finished"


def print_report(report: Report, parameters: list[str], out: TextIO) -> None:
    """The table, the tolerances, each problem and the verdict: rich in a terminal, plain
    text elsewhere."""
    if _is_terminal(out):
        _print_rich(report, parameters, out)
        return
    rows = [_cells(row, parameters, "->") for row in report.rows]
    print(_title(report), file=out)
    print(plain_table(_headers(report, parameters), rows), file=out)
    if report.unfinished:
        print(f"note: {UNFINISHED}", file=out)
    print(_tolerance_line(report), file=out)
    for line in report.front:
        print(line, file=out)
    for line in _problems(report):
        print(line, file=out)
    print(_verdict(report), file=out)


def _print_rich(report: Report, parameters: list[str], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out, highlight=False)
    table = Table(title=_title(report), title_justify="left")
    for header in _headers(report, parameters):
        # Numbers stay on one line; only the note may wrap.
        table.add_column(header, no_wrap=header != "note")
    for row in report.rows:
        table.add_row(*_cells(row, parameters, "→"), style=_STYLES[row.status] or None)
    console.print(table)
    if report.unfinished:
        console.print(f"[yellow]note: {UNFINISHED}[/yellow]")
    console.print(_tolerance_line(report))
    for line in report.front:
        console.print(line, markup=False)
    for line in _problems(report):
        console.print(line, style="red", markup=False)
    console.print(_verdict(report), style="bold green" if report.passed else "bold red",
                  markup=False)


def markdown(report: Report, parameters: list[str]) -> str:
    """The summary for a CI job's page: a headline with the verdict, the counts, the table."""
    counts = report.counts()
    failing = sum(counts[s] for s in FAILING_STATUSES)
    if report.passed:
        headline = f"## ✅ nnrun check passed: {len(report.rows)} configurations"
    else:
        headline = f"## ❌ nnrun check failed: {failing} of {len(report.rows)} configurations"
    lines = [headline, "",
             f"`{report.results}` against baseline `{report.baseline}`: " + ", ".join(
                 f"{counts[s]} {s}" for s in STATUSES if counts[s]) + ".", "",
             "Tolerances: " + ", ".join(f"`{m}` {t}" for m, t in report.tolerances.items())
             + " (absolute, or % of the baseline value).", ""]
    if report.unfinished:
        lines += [f"> **Note:** {UNFINISHED}.", ""]
    rows = [_markdown_cells(row, parameters) for row in report.rows]
    lines += markdown_table(_headers(report, parameters), rows)
    if report.front:
        lines += ["", *(f"- {markdown_cell(line)}" for line in report.front)]
    problems = _problems(report)
    if problems:
        lines += ["", *(f"- {markdown_cell(p)}" for p in problems)]
    return "\n".join(lines) + "\n"


def _markdown_cells(row: Row, parameters: list[str]) -> list[str]:
    """A row's cells, its status and each regressed metric in bold where the row fails."""
    cells = _cells(row, parameters, "→")
    if row.status in FAILING_STATUSES:
        status = len(parameters)
        cells[status] = f"**{cells[status]}**"
        for offset, comparison in enumerate(row.metrics):
            if comparison.verdict == "regressed":
                cells[status + 2 + offset] = f"**{cells[status + 2 + offset]}**"
    return cells


def append_summary(path: Path, text: str) -> None:
    """Add ``text`` to the summary file (a CI job's page collects every step's)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise NnrunError(f"{path}: cannot write the summary: {error}") from None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _cell(comparison: MetricComparison, arrow: str) -> str:
    if comparison.baseline is None and comparison.run is None:
        return "-"
    if comparison.baseline is None:
        return f"new {_fmt(comparison.run)}"
    if comparison.run is None:
        return f"{_fmt(comparison.baseline)} {arrow} -"
    if comparison.delta == 0:
        return f"{_fmt(comparison.run)} (=)"
    return (f"{_fmt(comparison.baseline)} {arrow} {_fmt(comparison.run)} "
            f"({comparison.delta:+.3g})")


def _title(report: Report) -> str:
    return f"nnrun check {report.results} against {report.baseline}"


def _headers(report: Report, parameters: list[str]) -> list[str]:
    return [*parameters, "status", "trials", *report.metrics, "note"]


def _cells(row: Row, parameters: list[str], arrow: str) -> list[str]:
    return [*(row.params[p] for p in parameters), row.status, row.trials,
            *(_cell(c, arrow) for c in row.metrics), row.note]


def _verdict(report: Report) -> str:
    counts = report.counts()
    parts = ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
    word = "PASSED" if report.passed else "FAILED"
    return f"{word}: {parts or 'no configurations'}"


def _problems(report: Report) -> list[str]:
    lines = []
    for row in report.rows:
        if row.status not in FAILING_STATUSES:
            continue
        label = ", ".join(f"{k}={v}" for k, v in row.params.items()) or "(the only configuration)"
        if row.status != "regressed":
            lines.append(f"{row.status}: {label}: {row.note}")
            continue
        lines += [f"regressed: {label}: {c.metric} {_fmt(c.baseline)} -> {_fmt(c.run)} "
                  f"(tolerance {c.tolerance})" for c in row.metrics if c.verdict == "regressed"]
    return lines


def _tolerance_line(report: Report) -> str:
    return "tolerances: " + ", ".join(f"{m} {t}" for m, t in report.tolerances.items())


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False

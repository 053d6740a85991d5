"""report.md: a sweep in one page of markdown that renders as written on a code hosting site.

Name, date and run time, trial counts by status (and what is missing), with several objectives
the configurations of the Pareto front, the top-10 leaderboard, each picture with one sentence
under it, and the config as loaded.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nnrun.views.sweep import SweepResults
from nnrun.views.tables import format_duration, markdown_table
from nnrun.vocabulary import FAILED, OK, STATUSES

LEADERBOARD_ROWS = 10


@dataclass
class Picture:
    """One PNG written, with the sentence the report puts under it."""

    path: Path
    title: str
    caption: str


def write_report(sweep: SweepResults, pictures: list[Picture], out: Path) -> Path:
    """Write ``out/report.md``, linking the pictures relative to it; returns its path."""
    from nnrun.results.files import atomic_write_text

    path = Path(out) / "report.md"
    atomic_write_text(path, render_report(sweep, pictures, Path(out)))
    return path


def render_report(sweep: SweepResults, pictures: list[Picture], out: Path) -> str:
    lines = [f"# Sweep report: {sweep.name}", ""]
    lines += _overview(sweep)
    lines += _status(sweep)
    lines += _pareto_front(sweep)
    lines += _leaderboard(sweep)
    if pictures:
        lines += ["## Pictures", ""]
        for picture in pictures:
            link = Path(os.path.relpath(picture.path, out)).as_posix()
            lines += [f"### {picture.title}", "", f"![{picture.title}]({_url(link)})", "",
                      picture.caption, ""]
    lines += _configuration(sweep)
    return "\n".join(lines).rstrip() + "\n"


def _overview(sweep: SweepResults) -> list[str]:
    meta = sweep.meta
    started, finished = _time(meta.get("started_at")), _time(meta.get("finished_at"))
    method = meta.get("method") or "grid"
    swept = ", ".join(f"`{p}`" for p in sweep.parameters) or "nothing (a single configuration)"
    rows = [
        ("Search", f"{method} over {swept}"),
        _objectives_row(sweep),
        ("Task", sweep.task),
        ("Started", _format_time(started) if started else "unknown"),
    ]
    if finished and started:
        rows.append(("Finished", f"{_format_time(finished)} (run time "
                                 f"{format_duration((finished - started).total_seconds())})"))
    else:
        rows.append(("Finished", "not yet: the sweep is still running or was interrupted"))
    compute = sweep.summary["wall_s"].sum() if "wall_s" in sweep.summary.columns else 0.0
    if compute and math.isfinite(compute):
        rows.append(("Compute", f"{format_duration(float(compute))} summed over trials"))
    rows.append(("nnrun", str(meta.get("nnrun_version") or "unknown")))
    if meta.get("config_path"):  # its name only: a local path must not leak into CI artifacts
        rows.append(("Config file", f"`{Path(str(meta['config_path'])).name}`"))
    if sweep.others:
        rows.append(("Other trials", f"{sweep.others} trial folders of other sweeps in "
                     "`trials/` (kept for reuse, not in this report)"))
    return markdown_table(["", ""], [(f"**{k}**", v) for k, v in rows]) + [""]


def _objectives_row(sweep: SweepResults) -> tuple[str, str]:
    if len(sweep.objectives) < 2:
        return ("Metric", f"`{sweep.metric}`, {sweep.goal} ({sweep.goal_words()})")
    return ("Objectives", ", ".join(f"`{metric}` ({goal})" for metric, goal in sweep.objectives)
            + ": a Pareto front")


def _pareto_front(sweep: SweepResults) -> list[str]:
    """The configurations no other dominates (nnrun.results.pareto), by the first metric."""
    if len(sweep.objectives) < 2:
        return []
    front = sweep.front()
    title = "## Pareto front"
    if not len(front):
        return [title, "", "No configuration has a value of every objective yet.", ""]
    on_front = front[front["pareto"]]
    metrics = [metric for metric, _ in sweep.objectives]
    rows = [[row["config"], *(_metric(m, row[m]) for m in metrics), str(len(row["trials"]))]
            for _, row in on_front.iterrows()]
    goals = ", ".join(f"`{m}` {'higher' if g == 'maximize' else 'lower'}"
                      for m, g in sweep.objectives)
    return [title, "", f"{len(on_front)} of {len(front)} configurations are non-dominated: no "
            f"other is at least as good in every objective and better in one ({goals} is "
            f"better; means over repeats; ties are all on the front).", "",
            *markdown_table(["configuration", *(f"`{m}`" for m in metrics), "trials"], rows,
                            [False, *([True] * len(metrics)), True]), ""]


def _status(sweep: SweepResults) -> list[str]:
    counts = sweep.summary["status"].value_counts()
    names = list(STATUSES) + [s for s in counts.index if s not in STATUSES]
    header = [*names, "not finished", "total"]
    total = len(sweep.summary) + len(sweep.unfinished)
    values = [int(counts.get(s, 0)) for s in names] + [len(sweep.unfinished), total]
    lines = ["## Trials", "", *markdown_table(header, [[str(v) for v in values]], right=True),
             ""]
    if sweep.unfinished:
        shown = ", ".join(f"`{t}`" for t in sweep.unfinished[:10])
        more = f" and {len(sweep.unfinished) - 10} more" if len(sweep.unfinished) > 10 else ""
        lines += [f"Not finished yet (no result): {shown}{more}. The pictures show the trials "
                  "that have finished.", ""]
    if sweep.no_metrics:
        shown = ", ".join(f"`{t}`" for t in sweep.no_metrics[:10])
        lines += [f"Finished without a metrics.csv, so missing from the curves: {shown}.", ""]
    failed = sweep.summary[sweep.summary["status"] == FAILED]
    if len(failed):
        lines += ["Failed trials:", ""]
        for trial in failed["trial"].head(10):
            error = _error(sweep, trial).replace("`", "'")
            lines.append(f"- `{trial}`: `{error}`")
        if len(failed) > 10:
            lines.append(f"- and {len(failed) - 10} more")
        lines.append("")
    return lines


def _error(sweep: SweepResults, trial: str) -> str:
    record = sweep.record(trial)
    if record is None:
        return "no result.json"
    error = str(record.error or "no error text").strip().splitlines()
    return error[0][:200] if error else "no error text"


def _leaderboard(sweep: SweepResults) -> list[str]:
    ranked = sweep.ranked().head(LEADERBOARD_ROWS)
    title = (f"## Leaderboard: top {min(LEADERBOARD_ROWS, len(ranked))} trials by "
             f"`{sweep.metric}` ({sweep.goal_words()})")
    if not len(ranked):
        return [title, "", f"No trial has a `{sweep.metric}` yet.", ""]
    first = [metric for metric, _ in sweep.objectives] or [sweep.metric]
    metrics = first + [m for m in ("val_accuracy", "val_loss", "test_accuracy", "test_loss",
                                   "train_loss") if m in ranked.columns and m not in first]
    status = ["status"] if (ranked["status"] != OK).any() else []
    columns = ["rank", "trial", *status, *sweep.parameters, "seed", *metrics, "epochs_run",
               "wall_s"]
    columns = [c for c in columns if c in ("rank",) or c in ranked.columns]
    headers = [f"`{c}`" if c in sweep.parameters else c for c in columns]
    right = [c not in ("trial", *sweep.parameters) for c in columns]
    rows = [[_leaderboard_cell(column, rank, row, metrics) for column in columns]
            for rank, (_, row) in enumerate(ranked.iterrows(), start=1)]
    return [title, "", *markdown_table(headers, rows, right), ""]


def _leaderboard_cell(column: str, rank: int, row: Any, metrics: list[str]) -> str:
    if column == "rank":
        return str(rank)
    if column == "trial":
        return f"`{row['trial']}`"
    if column in metrics:
        return _metric(column, row[column])
    if column == "wall_s":
        return _number(row[column], 3)
    return str(_plain(row[column]))


def _configuration(sweep: SweepResults) -> list[str]:
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style, except that a list of plain values stays on one line: [32, 32]."""

    def represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
        flow = all(not isinstance(v, dict | list) for v in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)

    Dumper.add_representer(list, represent_list)
    text = yaml.dump(sweep.config, Dumper=Dumper, sort_keys=False,
                     default_flow_style=False).rstrip()
    return ["## Configuration", "", "```yaml", text or "{}", "```", ""]


# --------------------------------------------------------------------------- formatting


def _url(link: str) -> str:
    return link.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _plain(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return int(value) if value.is_integer() and abs(value) < 1e15 else f"{value:.4g}"
    return value


def _metric(name: str, value: Any) -> str:
    """Accuracies to four decimals (0.9950, 1.0000), parameter counts whole, seconds to three
    decimals, losses to four significant digits."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(number):
        return "-"
    if name == "n_parameters":
        return f"{number:.0f}"
    if name == "train_seconds":
        return f"{number:.3f}"
    return f"{number:.4f}" if name.endswith("accuracy") else f"{number:.4g}"


def _number(value: Any, digits: int) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    return f"{number:.{digits}g}" if math.isfinite(number) else "-"


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _format_time(moment: datetime) -> str:
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + zone

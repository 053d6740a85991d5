"""report.html: one or several sweeps in one self-contained page that works offline.

Brushable parallel coordinates (a brush filters the leaderboard and the curves), with several
objectives the Pareto front, the leaderboard as a sortable, filterable table with trial ids,
learning curves with hover and highlight, parameter effects, per-layer gradient norms and the
decision regions (as the PNG `nnrun plot` drew). Charts by plotly (the ``html`` extra), its
JavaScript inlined, so the file makes no request to any address; the data from the one reader
(:mod:`nnrun.views.sweep`).
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from nnrun.errors import NnrunError
from nnrun.views.sweep import SweepResults

FILE_NAME = "report.html"


def plotly_available() -> bool:
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def write_html_report(sweeps: list[SweepResults], out: Path,
                      regions: dict[str, Path] | None = None) -> Path:
    """Write ``out/report.html`` for ``sweeps`` (side by side when there are several);
    ``regions`` maps a sweep's name to its decision_regions.png, embedded as an image."""
    from nnrun.results.files import atomic_write_text

    path = Path(out) / FILE_NAME
    atomic_write_text(path, render_html_report(sweeps, regions or {}))
    return path


def render_html_report(sweeps: list[SweepResults], regions: dict[str, Path]) -> str:
    from plotly.offline import get_plotlyjs

    from nnrun.views.html import _figures
    from nnrun.views.html._data import sweep_data
    from nnrun.views.html._page import leaderboard, page

    if not sweeps:
        raise NnrunError("no sweep to report on")
    data = [sweep_data(sweep) for sweep in sweeps]
    figures: dict[str, dict] = {}
    parts = [f"<h1>{html.escape(_title(data))}</h1>", _overview(data)]
    parts.append("<h2>Parallel coordinates</h2><p class='note'>Drag along an axis to brush: "
                 "the leaderboard and the curves keep the trials inside every brush. Click an "
                 "axis's brush to clear it.</p>")
    for index, sweep in enumerate(data):
        figure = _figures.parallel_coordinates(sweep)
        if figure is None:
            parts.append(f"<p class='note'>{html.escape(sweep['name'])}: fewer than two "
                         "trials with a metric, or nothing swept.</p>")
            continue
        figures[f"parcoords-{index}"] = figure
        title = f"<h3>{html.escape(sweep['name'])}</h3>" if len(data) > 1 else ""
        parts.append(f"{title}<div id='parcoords-{index}' class='chart parcoords' "
                     f"data-sweep='{html.escape(sweep['name'])}'></div>")
    parts += _pareto(data, figures)
    parts.append("<h2>Leaderboard</h2><p><input id='filter' type='search' "
                 "placeholder='filter: words that every row shown contains (relu 0.01)'> "
                 "<span id='shown' class='note'></span></p><p class='note'>Click a column "
                 "to sort, a row to highlight its trial.</p>"
                 f"<div class='wrap'>{leaderboard(data)}</div>")
    parts.append("<h2>Learning curves</h2><p class='note'>The best five trials of each sweep "
                 "in colour. Hover for a trial's values; click to highlight it. "
                 "<span id='hovered'></span></p>")
    for kind in ("loss", "accuracy"):
        figure = _figures.learning_curves(data, kind)
        if figure is not None:
            figures[f"curves-{kind}"] = figure
            parts.append(f"<div id='curves-{kind}' class='chart curves'></div>")
    effects = _figures.parameter_effects(data)
    if effects is not None:
        figures["effects"] = effects
        parts.append("<h2>Parameter effects</h2><div id='effects' class='chart'></div>")
    best = next((t for s in data for t in s["trials"] if t["grad_norms"]), None)
    gradients = _figures.gradient_norms(best, data)
    if gradients is not None:
        figures["gradients"] = gradients
        parts.append("<h2>Gradient norm per layer</h2><p class='note'>Of the best trial; click "
                     "a curve or a row for another.</p><div id='gradients' class='chart'></div>")
    parts += _regions(regions)
    return page(_title(data), "\n".join(parts), {"sweeps": data}, figures, get_plotlyjs())


def _pareto(data: list[dict], figures: dict[str, dict]) -> list[str]:
    """A Pareto chart for each sweep of several objectives (none without one)."""
    from nnrun.views.html import _figures

    parts = []
    for index, sweep in enumerate(data):
        figure = _figures.pareto_front(sweep)
        if figure is None:
            continue
        figures[f"pareto-{index}"] = figure
        front = sum(1 for point in sweep["front"] if point["rank"] == 0)
        objectives = ", ".join(f"{o['metric']} ({o['goal']})" for o in sweep["objectives"])
        parts.append(f"<p class='note'>{html.escape(sweep['name'])}: {objectives}; "
                     f"{front} of {len(sweep['front'])} configurations on the Pareto front "
                     "(in colour): no other is as good in every metric and better in one. "
                     "Each at the mean of its repeats; click one to highlight its best "
                     "trial.</p>"
                     f"<div id='pareto-{index}' class='chart pareto'></div>")
    return ["<h2>Pareto front</h2>", *parts] if parts else []


def _title(data: list[dict]) -> str:
    return "Sweep report: " + ", ".join(sweep["name"] for sweep in data)


def _overview(data: list[dict]) -> str:
    lines = ["<ul>"]
    for sweep in data:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(sweep["counts"].items()))
        waiting = (f"; {sweep['unfinished']} not finished yet (still running or stopped)"
                   if sweep["unfinished"] else "")
        lines.append(f"<li><b>{html.escape(sweep['name'])}</b>: {len(sweep['trials'])} trials "
                     f"({html.escape(counts or 'none yet')}){html.escape(waiting)}; ranked by "
                     f"<code>{html.escape(sweep['metric'])}</code> ({sweep['goal']})</li>")
    return "\n".join(lines) + "</ul>"


def _regions(regions: dict[str, Path]) -> list[str]:
    images = [(name, path) for name, path in regions.items() if Path(path).is_file()]
    if not images:
        return []
    parts = ["<h2>Decision regions</h2><div class='regions'>"]
    for name, path in images:
        encoded = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        parts.append(f"<p class='note'>{html.escape(name)}</p>"
                     f"<img alt='decision regions of {html.escape(name)}' "
                     f"src='data:image/png;base64,{encoded}'>")
    return [*parts, "</div>"]

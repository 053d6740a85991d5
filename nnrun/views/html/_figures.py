"""report.html's charts as plotly figures, built from the data of ``_data`` (plotly draws
them; nothing here draws by hand). Each returns a plain dict (plotly's JSON), which the page
hands to ``Plotly.newPlot``.

- parallel coordinates: plotly's parcoords, one a sweep (its own parameters), brushable;
- Pareto front: with several objectives, a point a configuration, as pareto_front.png;
- learning curves: a line a trial (its id as the trace's name, its sweep as its meta, for
  the glue to fill in, filter and highlight), the sweeps side by side on a shared y axis;
- parameter effects: the metric against each parameter, a dot a trial, a colour a sweep;
- gradient norms: the axes for a line a layer of one trial, which the glue draws (the best
  trial's, then the trial picked), on one axis that holds every trial's.

The per-epoch values are in the page's data once (``_data``): a curve's trace holds its style,
its hover text and which trial it is, and the glue puts the trial's epochs and values in before
plotly draws (they were a copy of the data, half of a large sweep's page).

A log axis is labelled at 1, 2 and 5 × 10^k, or at the powers of ten (``log_axis``), as the
PNGs are, never at each of plotly's minor ticks.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnrun.views.plots._draw import OKABE_ITO

FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12}


def _layout(fig: go.Figure, **changes: Any) -> dict[str, Any]:
    changes.setdefault("margin", {"l": 60, "r": 30, "t": 40, "b": 50})
    fig.update_layout(template="plotly_white", font=FONT, **changes)
    return fig.to_plotly_json()


def sweep_colour(index: int) -> str:
    return OKABE_ITO[index % len(OKABE_ITO)]


def parallel_coordinates(sweep: dict[str, Any]) -> dict[str, Any] | None:
    """Parcoords over the swept parameters and the metric, a line a scored trial."""
    trials = [t for t in sweep["trials"] if t["score"] is not None]
    if not sweep["parameters"] or len(trials) < 2:
        return None
    dimensions = [_dimension(parameter, trials) for parameter in sweep["parameters"]]
    dimensions.append({"label": sweep["metric"], "values": [t["score"] for t in trials]})
    scale = "Viridis" if sweep["goal"] == "maximize" else "Viridis_r"
    fig = go.Figure(go.Parcoords(
        dimensions=dimensions, customdata=[t["id"] for t in trials],
        line={"color": [t["score"] for t in trials], "colorscale": scale, "showscale": True,
              "colorbar": {"title": {"text": sweep["metric"]}}},
        labelangle=0, labelside="bottom"))
    fig.update_layout(meta={"trials": [t["id"] for t in trials]})
    return _layout(fig, height=420, margin={"l": 70, "r": 40, "t": 30, "b": 60})


def _dimension(parameter: dict[str, Any], trials: list[dict[str, Any]]) -> dict[str, Any]:
    """One axis: numbers as they are (log10 for a log-scaled parameter, labelled with the
    values), categories at 0, 1, 2, ... labelled with their names."""
    key = parameter["key"]
    values = [t["params"].get(key) for t in trials]
    if parameter["numeric"]:
        if parameter["log"]:
            logs = [math.log10(v) if isinstance(v, int | float) and v > 0 else None
                    for v in values]
            finite = [v for v in logs if v is not None]
            ticks = list(range(math.floor(min(finite)), math.ceil(max(finite)) + 1))
            return {"label": f"{parameter['name']} (log)", "values": logs,
                    "tickvals": ticks, "ticktext": [f"{10.0 ** k:g}" for k in ticks]}
        return {"label": parameter["name"], "values": values}
    levels = parameter["levels"] or sorted({str(v) for v in values})
    where = {level: i for i, level in enumerate(levels)}
    return {"label": parameter["name"], "values": [where.get(str(v)) for v in values],
            "tickvals": list(range(len(levels))), "ticktext": levels,
            "range": [-0.3, len(levels) - 0.7]}


def _log_range(positive: list[float]) -> tuple[float, float]:
    """A log axis's bounds for these sorted positive values, as the PNG's: a diverged curve
    leaves through the top rather than squash the others."""
    top = min(positive[-1], 3 * positive[int(0.9 * (len(positive) - 1))])
    return positive[0] / 1.3, top * 1.3


def log_axis(low: float, high: float) -> dict[str, Any]:
    """A log axis from ``low`` to ``high`` labelled as the PNGs are: at 1, 2 and 5 × 10^k over
    fewer than three decades, else at the powers of ten (every second, third, ... past ten),
    the other ticks unlabelled. plotly's own choice labels every minor tick (2, 3, 4, ... 9)
    of a range of a few decades, which clutters the axis."""
    first, last = math.log10(low), math.log10(high)
    if last - first < 3:
        ticks = [m * 10.0 ** k for k in range(math.floor(first), math.ceil(last) + 1)
                 for m in (1, 2, 5)]
    else:
        step = max(1, math.ceil((last - first) / 10))
        ticks = [10.0 ** k for k in range(math.ceil(first), math.floor(last) + 1, step)]
    ticks = [tick for tick in ticks if low <= tick <= high]
    axis: dict[str, Any] = {"range": [first, last], "minor": {"dtick": "D1", "showgrid": True}}
    if len(ticks) >= 2:  # else plotly's own labels, which within a decade are plain numbers
        axis.update(tickmode="array", tickvals=ticks, ticktext=[_tick_text(t) for t in ticks])
    return axis


def _tick_text(tick: float) -> str:
    """0.001, 0.02, 5000 as they are; 10^-5 and 2×10^6 past them."""
    if 1e-4 <= tick < 1e6:
        return f"{tick:g}"
    mantissa, exponent = f"{tick:.0e}".split("e")
    power = f"10<sup>{int(exponent)}</sup>"
    return power if mantissa == "1" else f"{mantissa}×{power}"


def learning_curves(sweeps: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    """Validation ``kind`` (loss or accuracy) per epoch, a line a trial, a panel a sweep on a
    shared y axis; hover gives the trial, the epoch, its values and parameters."""
    column = f"val_{kind}"
    shown = [s for s in sweeps if any(column in t["curves"] for t in s["trials"])]
    if not shown:
        return None
    fig = make_subplots(rows=1, cols=len(shown), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[s["name"] for s in shown] if len(shown) > 1 else None)
    values: list[float] = []
    traces: list[dict[str, Any]] = []
    for col, sweep in enumerate(shown, start=1):
        panel = []
        for rank, trial in enumerate(t for t in sweep["trials"] if column in t["curves"]):
            panel.append(_curve(trial, column, kind, rank, col))
            values += [v for v in trial["curves"][column] if v is not None]
        traces += reversed(panel)  # plotly draws in order: the best five last, on top
        fig.update_xaxes(title_text="epoch", row=1, col=col)
    positive = sorted(v for v in values if v > 0)
    log = kind == "loss" and positive and positive[-1] / positive[0] > 30
    fig.update_yaxes(type="log" if log else "linear", row=1, col=1,
                     title_text=f"validation {kind}" + (" (log scale)" if log else ""),
                     **(log_axis(*_log_range(positive)) if log else {}))
    figure = _layout(fig, height=430, hovermode="closest", showlegend=False)
    figure["data"] = traces
    figure["curves"] = {"y": column, "customdata": f"train_{kind}"}  # what the glue fills in
    return figure


def _curve(trial: dict[str, Any], column: str, kind: str, rank: int,
           col: int) -> dict[str, Any]:
    """One trial's line, as plotly's JSON without its values (the glue fills in x, y and, for
    the hover, the training curve as customdata, from the data): a plain dict, since plotly's
    validation of a Scatter object costs milliseconds a trace (seconds for 500 trials)."""
    settings = "<br>".join(f"{key}={value}" for key, value in trial["labels"].items())
    best = rank < 5
    axis = "" if col == 1 else str(col)
    return {
        "type": "scatter", "mode": "lines", "name": trial["id"], "meta": trial["sweep"],
        "xaxis": f"x{axis}", "yaxis": f"y{axis}",
        "line": {"width": 2 if best else 1, "color": sweep_colour(rank) if best else "#B8B8B8"},
        "opacity": 1.0 if best else 0.6,
        "hovertemplate": (f"trial %{{fullData.name}}<br>epoch %{{x}}<br>{column} %{{y:.4g}}"
                          f"<br>train_{kind} %{{customdata:.4g}}<br>{settings}"
                          "<extra></extra>"),
    }


def parameter_effects(sweeps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The metric against each swept parameter (the union over the sweeps), a dot a trial,
    a colour a sweep: sweeps that share a parameter share its panel."""
    keys: dict[str, dict[str, Any]] = {}
    for sweep in sweeps:
        for parameter in sweep["parameters"]:
            keys.setdefault(parameter["key"], parameter)
    if not keys:
        return None
    columns = min(len(keys), 3)
    rows = math.ceil(len(keys) / columns)
    fig = make_subplots(rows=rows, cols=columns, shared_yaxes=True, vertical_spacing=0.18,
                        subplot_titles=[p["name"] for p in keys.values()])
    for index, (key, parameter) in enumerate(keys.items()):
        row, col = index // columns + 1, index % columns + 1
        for s, sweep in enumerate(sweeps):
            trials = [t for t in sweep["trials"] if t["score"] is not None and key in t["params"]]
            if not trials:
                continue
            fig.add_trace(go.Scatter(
                x=[t["labels"][key] if not parameter["numeric"] else t["params"][key]
                   for t in trials],
                y=[t["score"] for t in trials], mode="markers", name=sweep["name"],
                legendgroup=sweep["name"], showlegend=index == 0,
                marker={"color": sweep_colour(s), "size": 7, "opacity": 0.7},
                customdata=[t["id"] for t in trials],
                hovertemplate=(f"trial %{{customdata}}<br>{parameter['name']}=%{{x}}<br>"
                               f"{sweep['metric']} %{{y:.4g}}<extra>{sweep['name']}</extra>")),
                row=row, col=col)
        if parameter["numeric"] and parameter["log"]:
            fig.update_xaxes(type="log", row=row, col=col)
        elif not parameter["numeric"]:
            fig.update_xaxes(type="category", categoryorder="array",
                             categoryarray=parameter["levels"], row=row, col=col)
    fig.update_yaxes(title_text=sweeps[0]["metric"], col=1)
    return _layout(fig, height=320 * rows + 60, hovermode="closest",
                   legend={"orientation": "h", "y": -0.15})


def gradient_norms(trial: dict[str, Any] | None,
                   sweeps: list[dict[str, Any]]) -> dict[str, Any] | None:
    """‖∂C/∂W^l‖ per epoch, a line a layer, of one trial, on a log axis that holds every
    trial's but a diverged one's (the glue swaps in the trial picked, on the same axis)."""
    if trial is None or not trial["grad_norms"]:
        return None
    positive = [v for s in sweeps for t in s["trials"] if t["status"] != "diverged"
                for norms in t["grad_norms"] for v in norms if v is not None and v > 0]
    fig = go.Figure()
    fig.update_yaxes(type="log", title_text="gradient norm ‖∂C/∂W<sup>l</sup>‖ (log)",
                     **(log_axis(min(positive) / 1.3, max(positive) * 1.3) if positive
                        else {}))
    fig.update_xaxes(title_text="epoch")
    figure = _layout(fig, height=380)
    figure["trial"] = {"sweep": trial["sweep"], "id": trial["id"]}  # whose lines the glue draws
    return figure


PARETO_METRICS = 4  # as pareto_front.png: the pairs of the first four objectives, six panels
FRONT_COLOUR, DOMINATED_COLOUR = OKABE_ITO[0], "#B8B8B8"


def pareto_front(sweep: dict[str, Any]) -> dict[str, Any] | None:
    """Each configuration of a sweep with several objectives at the means of its repeats, the
    Pareto front in colour (joined by its staircase with two objectives), the dominated ones in
    grey; a panel per pair of objectives, as pareto_front.png. Hover gives the configuration,
    its trials and values; the glue highlights its best trial on a click."""
    points = sweep["front"]
    if len(points) < 2:
        return None
    objectives = sweep["objectives"][:PARETO_METRICS]
    pairs = list(itertools.combinations(range(len(objectives)), 2))
    columns = min(3, len(pairs))
    rows = math.ceil(len(pairs) / columns)
    fig = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.09,
                        vertical_spacing=0.22 if rows > 1 else 0.1)
    for index, (x, y) in enumerate(pairs):
        row, col = index // columns + 1, index % columns + 1
        for on_front in (False, True):
            group = [p for p in points if (p["rank"] == 0) == on_front]
            if group:
                fig.add_trace(_pareto_points(group, objectives, x, y, on_front, index == 0),
                              row=row, col=col)
        if len(objectives) == 2:
            fig.add_trace(_staircase([p for p in points if p["rank"] == 0], objectives),
                          row=row, col=col)
        fig.update_xaxes(row=row, col=col, **_objective_axis(objectives[x], points, x))
        fig.update_yaxes(row=row, col=col, **_objective_axis(objectives[y], points, y))
    return _layout(fig, height=400 * rows + 40, hovermode="closest",
                   legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                   margin={"l": 70, "r": 30, "t": 40, "b": 60})


def _objective_axis(objective: dict[str, Any], points: list[dict[str, Any]],
                    index: int) -> dict[str, Any]:
    """An objective's axis: its label and which way is better; log over two decades or more
    (n_parameters, mostly), as pareto_front.png."""
    values = [p["values"][index] for p in points if p["values"][index] is not None]
    better = "higher" if objective["goal"] == "maximize" else "lower"
    axis: dict[str, Any] = {"title_text": f"{objective['label']}<br>{better} is better",
                            "automargin": True}
    if values and min(values) > 0 and max(values) / min(values) >= 100:
        axis.update(type="log", **log_axis(min(values) / 1.5, max(values) * 1.5))
    return axis


def _pareto_points(points: list[dict[str, Any]], objectives: list[dict[str, Any]], x: int,
                   y: int, on_front: bool, legend: bool) -> go.Scatter:
    values = "".join(f"<br>{o['metric']} %{{customdata[{2 + i}]:.4g}}"
                     for i, o in enumerate(objectives))
    return go.Scatter(
        x=[p["values"][x] for p in points], y=[p["values"][y] for p in points],
        mode="markers", name="Pareto front" if on_front else "dominated",
        legendgroup="front" if on_front else "dominated", showlegend=legend,
        marker={"color": FRONT_COLOUR if on_front else DOMINATED_COLOUR,
                "size": 10 if on_front else 8, "line": {"width": 1, "color": "white"}},
        customdata=[[p["trials"][0], p["config"], *p["values"]] for p in points],
        hovertext=[" ".join(p["trials"]) for p in points],
        hovertemplate=("%{customdata[1]}" + values + "<br>trials %{hovertext}<extra>"
                       + ("Pareto front" if on_front else "dominated") + "</extra>"))


def _staircase(front: list[dict[str, Any]], objectives: list[dict[str, Any]]) -> go.Scatter:
    """The front's attainment line, the edge of what it dominates, as pareto_front.png's: from
    the best x to the worst, each point's y held until the next one's x."""
    reverse = objectives[0]["goal"] == "maximize"
    ordered = sorted(front, key=lambda p: p["values"][0], reverse=reverse)
    return go.Scatter(x=[p["values"][0] for p in ordered], y=[p["values"][1] for p in ordered],
                      mode="lines", line={"shape": "hv", "color": FRONT_COLOUR, "width": 1},
                      opacity=0.7, hoverinfo="skip", showlegend=False)

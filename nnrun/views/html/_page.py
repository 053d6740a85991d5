"""report.html's page: the leaderboard table, the places of the charts, plotly.js inlined
(the file works offline, opened from disk) and the small glue that links them: the filter and
the brush hide rows and curves, a hover or a click highlights a trial."""

from __future__ import annotations

import html
import json
from typing import Any

from nnrun.views.html._data import METRIC_COLUMNS

STYLE = """
body { font-family: system-ui, -apple-system, Segoe UI, Roboto, sans-serif; margin: 1.5em auto;
       max-width: 1400px; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.note { color: #555; font-size: 0.9em; }
.chart { width: 100%; min-height: 300px; }
#filter { width: 28em; padding: 0.3em; font-size: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin-top: 0.5em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; user-select: none; }
th.sorted-asc::after { content: " \\25B2"; } th.sorted-desc::after { content: " \\25BC"; }
td.text { text-align: left; } code { font-size: 0.95em; }
tr.picked td { background: #fff3c4; }
tr:hover td { background: #eef5fb; cursor: pointer; }
.wrap { max-height: 32em; overflow: auto; }
.regions img { max-width: 100%; border: 1px solid #ddd; margin: 0.3em 0; }
"""

GLUE = r"""
(function () {
  const data = JSON.parse(document.getElementById("nnrun-data").textContent);
  const figures = JSON.parse(document.getElementById("nnrun-figures").textContent);
  const byId = {};
  const trials = {};       // sweep name -> trial id -> trial
  data.sweeps.forEach(s => {
    trials[s.name] = {};
    s.trials.forEach(t => { byId[t.id] = t; trials[s.name][t.id] = t; });
  });
  const rows = Array.from(document.querySelectorAll("#leaderboard tbody tr"));
  const brushed = {};      // sweep name -> set of trial ids inside the brush (absent: all)
  let picked = null;

  // The per-epoch values are in the data once: a curve's trace names its trial (name) and
  // sweep (meta), and takes its epochs and values from there.
  function fillCurves(fig) {
    fig.data.forEach(trace => {
      const t = trials[trace.meta][trace.name];
      trace.x = t.epochs;
      trace.y = t.curves[fig.curves.y];
      trace.customdata = t.curves[fig.curves.customdata] || t.epochs.map(() => null);
    });
  }
  Object.entries(figures).forEach(([id, fig]) => {
    if (fig.curves) fillCurves(fig);
    const div = document.getElementById(id);
    Plotly.newPlot(div, fig.data, fig.layout, {responsive: true, displaylogo: false});
    if (fig.trial) showGradients(trials[fig.trial.sweep][fig.trial.id]);
  });

  function passesBrush(id) {
    const t = byId[id];
    return !brushed[t.sweep] || brushed[t.sweep].has(id);
  }
  function passesFilter(row, terms) {
    const text = row.dataset.text;
    return terms.every(term => text.includes(term));
  }
  function apply() {
    const terms = document.getElementById("filter").value.toLowerCase().split(/\s+/)
      .filter(Boolean);
    const shown = new Set();
    rows.forEach(row => {
      const keep = passesFilter(row, terms) && passesBrush(row.dataset.trial);
      row.style.display = keep ? "" : "none";
      if (keep) shown.add(row.dataset.trial);
    });
    document.getElementById("shown").textContent = shown.size + " of " + rows.length +
      " trials shown";
    document.querySelectorAll(".curves").forEach(div => {
      if (!div.data) return;
      const visible = div.data.map(trace => shown.has(trace.name) ? true : false);
      Plotly.restyle(div, {visible: visible});
    });
  }
  function highlight(id) {
    picked = id;
    rows.forEach(row => row.classList.toggle("picked", row.dataset.trial === id));
    document.querySelectorAll(".curves").forEach(div => {
      if (!div.data) return;
      const widths = div.data.map(trace => trace.name === id ? 4 : trace.line.width0);
      Plotly.restyle(div, {"line.width": widths});
    });
    showGradients(byId[id]);
  }
  function showGradients(t) {  // a line a layer, on the axes of the figure
    const div = document.getElementById("gradients");
    if (!div || !t || !t.grad_norms.length) return;
    const depth = t.grad_norms.length;
    const traces = t.grad_norms.map((norms, i) => ({
      x: t.epochs, y: norms, mode: "lines", type: "scatter",
      name: "layer " + (i + 1) + (i === 0 ? " (input side)" : i === depth - 1 ? " (output)" : ""),
      hovertemplate: "epoch %{x}<br>norm %{y:.3g}<extra>%{fullData.name}</extra>",
    }));
    const layout = Object.assign({}, div.layout,
      {title: {text: "trial " + t.id + " (" + t.config + ")", font: {size: 13}}});
    Plotly.react(div, traces, layout);
  }

  document.querySelectorAll(".curves").forEach(div => {
    if (!div.data) return;
    div.data.forEach(trace => { trace.line.width0 = trace.line.width; });
    div.on("plotly_hover", ev => {
      const id = ev.points[0].data.name;
      document.getElementById("hovered").textContent = "trial " + id + ": " + byId[id].config;
    });
    div.on("plotly_click", ev => highlight(ev.points[0].data.name));
  });
  document.querySelectorAll(".pareto").forEach(div => {
    div.on("plotly_click", ev => {
      const point = ev.points[0];
      if (point.customdata) highlight(point.customdata[0]);  // the configuration's best trial
    });
  });
  document.querySelectorAll(".parcoords").forEach(div => {
    if (!div.data) return;
    const sweep = div.dataset.sweep;
    div.on("plotly_restyle", () => {
      const dims = div.data[0].dimensions;
      const ids = div.data[0].customdata;
      const inside = new Set();
      ids.forEach((id, i) => {
        const ok = dims.every(d => {
          let ranges = d.constraintrange;
          if (!ranges || !ranges.length) return true;
          if (!Array.isArray(ranges[0])) ranges = [ranges];
          const v = d.values[i];
          return ranges.some(r => v >= r[0] && v <= r[1]);
        });
        if (ok) inside.add(id);
      });
      const any = dims.some(d => d.constraintrange && d.constraintrange.length);
      if (any) { brushed[sweep] = inside; } else { delete brushed[sweep]; }
      apply();
    });
  });
  document.getElementById("filter").addEventListener("input", apply);
  rows.forEach(row => row.addEventListener("click", () => highlight(row.dataset.trial)));
  document.querySelectorAll("#leaderboard th").forEach((th, column) => {
    th.addEventListener("click", () => {
      const ascending = !th.classList.contains("sorted-asc");
      document.querySelectorAll("#leaderboard th").forEach(h =>
        h.classList.remove("sorted-asc", "sorted-desc"));
      th.classList.add(ascending ? "sorted-asc" : "sorted-desc");
      const key = row => row.children[column].dataset.sort;
      const numeric = rows.every(row => key(row) === "" || !isNaN(parseFloat(key(row))));
      const sorted = rows.slice().sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === "" || y === "") return (x === "") - (y === "");
        const order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      const body = document.querySelector("#leaderboard tbody");
      sorted.forEach(row => body.appendChild(row));
    });
  });
  apply();
  document.body.dataset.ready = "yes";
})();
"""


def leaderboard(sweeps: list[dict[str, Any]]) -> str:
    """The table of every trial of every sweep: sweep, rank, trial id, status, parameters,
    metrics, epochs; each cell keeps its raw value to sort by."""
    several = len(sweeps) > 1
    keys = list(dict.fromkeys(p["key"] for s in sweeps for p in s["parameters"]))
    names = {p["key"]: p["name"] for s in sweeps for p in s["parameters"]}
    metrics = list(dict.fromkeys(m for s in sweeps for t in s["trials"] for m in t["metrics"]
                                 if m in (*(o["metric"] for o in s["objectives"]),
                                          *METRIC_COLUMNS)))
    header = (["sweep"] if several else []) + ["rank", "trial", "status", *[names[k] for k in keys],
                                               *metrics, "epochs"]
    lines = ["<table id='leaderboard'><thead><tr>"
             + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>"]
    for sweep in sweeps:
        for trial in sweep["trials"]:
            cells = ([_cell(sweep["name"], text=True)] if several else []) + [
                _cell(trial["rank"]), _cell(trial["id"], text=True, code=True),
                _cell(trial["status"], text=True),
                *[_cell(trial["params"].get(k), text=True, shown=trial["labels"].get(k))
                  for k in keys],
                *[_cell(trial["metrics"].get(m)) for m in metrics], _cell(trial["epochs_run"])]
            text = " ".join([sweep["name"], trial["id"], trial["status"], trial["config"]])
            lines.append(f"<tr data-trial='{html.escape(trial['id'])}' "
                         f"data-text='{html.escape(text.lower())}'>{''.join(cells)}</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _cell(value: Any, text: bool = False, code: bool = False, shown: str | None = None) -> str:
    raw = "" if value is None else str(value)
    display = html.escape(shown if shown is not None else raw if raw else "-")
    if code:
        display = f"<code>{display}</code>"
    css = " class='text'" if text else ""
    if isinstance(value, float) and not text:
        display = f"{value:.4g}"
    return f"<td{css} data-sort='{html.escape(raw)}'>{display}</td>"


def page(title: str, body: str, data: dict[str, Any], figures: dict[str, Any],
         plotly_js: str) -> str:
    """The whole file: plotly.js, the data and the figures inlined, no address to fetch."""
    def script_json(value: Any) -> str:
        return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")

    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
            f"<script>{plotly_js}</script></head><body>\n{body}\n"
            f"<script type='application/json' id='nnrun-data'>{script_json(data)}</script>\n"
            f"<script type='application/json' id='nnrun-figures'>{script_json(figures)}"
            f"</script>\n<script>{GLUE}</script>\n</body></html>\n")

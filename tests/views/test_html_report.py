"""report.html, read as a parser reads it: self-contained (no script, style or image fetched
from anywhere), every trial of every sweep in its data and its leaderboard, and `nnrun plot A B
--out DIR` comparing sweeps in one page."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import helpers.results as fx
import pandas as pd
import pytest
from helpers.cli import invoke

pytest.importorskip("plotly", reason="report.html needs plotly (pip install 'nnrun[html]')")


class _Page(HTMLParser):
    """The external references, the leaderboard's rows and the inlined JSON of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.rows: list[str] = []
        self.json: dict[str, str] = {}
        self.scripts = 0
        self._json_id: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            value = attributes.get(name)
            if value and not value.startswith(("data:", "#")):
                self.references.append(f"<{tag} {name}={value}>")
        if tag == "script":
            self.scripts += 1
            if attributes.get("type") == "application/json":
                self._json_id = attributes.get("id")
        if tag == "tr" and "data-trial" in attributes:
            self.rows.append(str(attributes["data-trial"]))

    def handle_data(self, data: str) -> None:
        if self._json_id:
            self.json[self._json_id] = self.json.get(self._json_id, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._json_id = None


def text_between(text: str, start: str, end: str) -> str:
    return text[text.index(start):text.index(end, text.index(start))]


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("html")
    return {"grid": fx.grid_classification(base / "activations"),
            "random": fx.random_regression(base / "lr-search"),
            "partial": fx.partial(base / "running")}


def test_one_sweep_report_is_self_contained_and_lists_every_trial(sweeps, cli):
    result = invoke(cli, "plot", sweeps["grid"])
    assert result.exit_code == 0, result.output
    path = sweeps["grid"] / "plots" / "report.html"
    assert str(path) in result.stdout.splitlines()
    page = parse(path)
    assert page.references == []  # no script, style, image or link from any address
    summary = pd.read_csv(sweeps["grid"] / "summary.csv")
    assert sorted(page.rows) == sorted(summary["trial"])
    data = json.loads(page.json["nnrun-data"])
    (sweep,) = data["sweeps"]
    assert [t["id"] for t in sweep["trials"][:3]] == list(
        summary.sort_values(["val_accuracy", "trial"], ascending=[False, True])["trial"][:3])
    figures = json.loads(page.json["nnrun-figures"])
    assert {"parcoords-0", "curves-loss", "curves-accuracy", "effects",
            "gradients"} <= set(figures)
    assert figures["parcoords-0"]["data"][0]["type"] == "parcoords"
    assert len(figures["curves-loss"]["data"]) == len(summary)  # a curve a trial
    assert "Plotly.newPlot" in path.read_text()  # the library inlined, not fetched


def test_each_curve_is_stored_once(sweeps, cli):
    """The per-epoch values are in the page's data alone: a curve's trace names its trial
    and sweep, and the glue takes its values from the data (tests/views/test_html_browser)."""
    result = invoke(cli, "plot", sweeps["grid"])
    assert result.exit_code == 0, result.output
    path = sweeps["grid"] / "plots" / "report.html"
    page = parse(path)
    (sweep,) = json.loads(page.json["nnrun-data"])["sweeps"]
    figures = json.loads(page.json["nnrun-figures"])
    for kind in ("loss", "accuracy"):
        traces = figures[f"curves-{kind}"]["data"]
        assert figures[f"curves-{kind}"]["curves"] == {"y": f"val_{kind}",
                                                       "customdata": f"train_{kind}"}
        assert {t["name"] for t in traces} == {t["id"] for t in sweep["trials"]}
        assert {t["meta"] for t in traces} == {sweep["name"]}
        assert not any({"x", "y", "customdata"} & set(trace) for trace in traces)
        # the best five in colour, drawn last (on top of the grey rest), the best the very last
        assert [t["name"] for t in traces[-5:]] == [t["id"] for t in sweep["trials"][4::-1]]
        assert {t["line"]["color"] for t in traces[:-5]} == {"#B8B8B8"}
    assert figures["gradients"]["data"] == []
    assert figures["gradients"]["trial"] == {"sweep": sweep["name"],
                                             "id": sweep["trials"][0]["id"]}
    text = path.read_text()  # the losses are noisy, so no two trials' curves are the same
    for trial in sweep["trials"]:
        for values in (trial["curves"]["val_loss"], trial["curves"]["train_loss"]):
            assert text.count(json.dumps(values, separators=(",", ":"))) == 1


def test_a_running_partly_failed_sweep_has_its_report(sweeps, cli):
    result = invoke(cli, "plot", sweeps["partial"])
    assert result.exit_code == 0, result.output
    page = parse(sweeps["partial"] / "plots" / "report.html")
    data = json.loads(page.json["nnrun-data"])
    (sweep,) = data["sweeps"]
    statuses = {t["id"]: t["status"] for t in sweep["trials"]}
    assert statuses["pfailedyyyyy"] == "failed" and statuses["p3yyyyyyyyyy"] == "ok"
    assert sweep["unfinished"] == 2
    assert len(page.rows) == 6  # five in summary.csv and the one finished since
    assert "2 not finished yet" in (sweeps["partial"] / "plots" / "report.html").read_text()


def test_several_sweeps_in_one_report(sweeps, cli, tmp_path):
    out = tmp_path / "compare"
    result = invoke(cli, "plot", sweeps["grid"], sweeps["random"], "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "activations" / "learning_curves.png").is_file()
    assert (out / "lr-search" / "report.md").is_file()
    page = parse(out / "report.html")
    data = json.loads(page.json["nnrun-data"])
    assert [s["name"] for s in data["sweeps"]] == ["activations", "lr-search"]
    expected = sum(len(pd.read_csv(f / "summary.csv")) for f in (sweeps["grid"],
                                                                  sweeps["random"]))
    assert len(page.rows) == expected
    figures = json.loads(page.json["nnrun-figures"])
    assert {"parcoords-0", "parcoords-1"} <= set(figures)
    # the loss curves side by side, one panel a sweep, on a shared y axis
    layout = figures["curves-loss"]["layout"]
    assert layout["yaxis2"]["matches"] == "y"
    sweep_of = {t["id"]: s["name"] for s in data["sweeps"] for t in s["trials"]}
    assert all(trace["meta"] == sweep_of[trace["name"]]
               for trace in figures["curves-loss"]["data"])
    assert [a["text"] for a in layout["annotations"]] == ["activations", "lr-search"]


def test_two_sweeps_of_one_name_are_refused(sweeps, cli, tmp_path):
    result = invoke(cli, "plot", sweeps["grid"], sweeps["grid"], "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "the same folder name" in result.stderr


def test_a_copied_sweep_folder_keeps_its_name_and_is_refused_beside_the_original(
        sweeps, cli, tmp_path):
    import shutil

    copy = tmp_path / "copy-of-the-grid"
    shutil.copytree(sweeps["grid"], copy)  # its sweep.json still names the original
    result = invoke(cli, "plot", sweeps["grid"], copy, "--out", tmp_path / "x")
    assert result.exit_code == 2, result.output
    assert "the same sweep.json name" in result.stderr
    assert not (tmp_path / "x").exists()  # refused before anything is drawn


def test_a_log_axis_is_labelled_at_1_2_5_or_at_the_powers_of_ten():
    """Not at every minor tick (2, 3, 4, ... 9 between 0.01 and 0.1), as plotly's own choice
    for a range of a few decades is."""
    from nnrun.views.html._figures import log_axis

    assert log_axis(0.008, 1.2)["ticktext"] == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]
    assert log_axis(3e-6, 2.0)["ticktext"] == ["10<sup>-5</sup>", "0.0001", "0.001", "0.01",
                                               "0.1", "1"]
    assert log_axis(7, 20000)["tickvals"] == [10, 100, 1000, 10000]
    wide = log_axis(1e-13, 10)  # past ten decades, every second one
    assert wide["tickvals"] == [10.0 ** k for k in range(-13, 2, 2)]
    assert "tickvals" not in log_axis(0.3, 0.45)  # within a decade: plotly's plain numbers
    assert log_axis(0.008, 1.2)["minor"] == {"dtick": "D1", "showgrid": True}


def test_the_log_loss_and_gradient_axes_of_a_report_have_those_labels(tmp_path):
    from nnrun.views.plots import plot_results

    folder = fx.falling_losses(tmp_path / "falling")
    plot_results(folder)
    page = parse(folder / "plots" / "report.html")
    figures, data = json.loads(page.json["nnrun-figures"]), json.loads(page.json["nnrun-data"])
    loss = figures["curves-loss"]["layout"]["yaxis"]
    gradients = figures["gradients"]["layout"]["yaxis"]
    assert loss["type"] == "log" and gradients["type"] == "log"
    assert loss["ticktext"] == ["0.005", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1"]
    # every trial's gradient norms fit the one axis the glue keeps when another is picked
    norms = [v for t in data["sweeps"][0]["trials"] for layer in t["grad_norms"] for v in layer]
    low, high = (10 ** bound for bound in gradients["range"])
    assert low < min(norms) and max(norms) < high
    assert gradients["tickvals"][0] >= low and gradients["tickvals"][-1] <= high


def test_a_sweep_of_two_objectives_has_its_pareto_front(tmp_path):
    from nnrun.views.plots import plot_results

    folder = fx.pareto_grid(tmp_path / "pareto")
    plot_results(folder)
    path = folder / "plots" / "report.html"
    page = parse(path)
    (sweep,) = json.loads(page.json["nnrun-data"])["sweeps"]
    assert [o["metric"] for o in sweep["objectives"]] == ["val_accuracy", "n_parameters"]
    front = [p["config"] for p in sweep["front"] if p["rank"] == 0]
    assert front == ["hidden=[8]", "hidden=[2]", "hidden=[1]"]  # as nnrun show lists it
    figure = json.loads(page.json["nnrun-figures"])["pareto-0"]
    dominated, on_front, staircase = figure["data"]
    assert (dominated["name"], on_front["name"]) == ("dominated", "Pareto front")
    assert [c[1] for c in on_front["customdata"]] == front
    assert len(dominated["x"]) == 2 and on_front["marker"]["color"] != dominated["marker"]["color"]
    # each point's best trial, for the glue to highlight on a click
    assert on_front["customdata"][0][0] == "w08r0abcdef"
    assert staircase["line"]["shape"] == "hv" and staircase["x"] == sorted(on_front["x"],
                                                                          reverse=True)
    assert figure["layout"]["xaxis"]["title"]["text"] == ("val_accuracy (fraction correct)"
                                                          "<br>higher is better")
    assert figure["layout"]["yaxis"]["title"]["text"].endswith("<br>lower is better")
    header = text_between(path.read_text(), "<table id='leaderboard'><thead>", "</thead>")
    assert "<th>val_accuracy</th><th>n_parameters</th>" in header  # a column an objective
    text = path.read_text()
    assert "<h2>Pareto front</h2>" in text and "3 of 5 configurations on the Pareto front" in text


def test_three_objectives_have_a_panel_a_pair_and_one_objective_none(tmp_path, sweeps):
    from nnrun.views.plots import plot_results

    folder = fx.pareto_grid(tmp_path / "p3", metric=["val_accuracy", "n_parameters",
                                                      "train_seconds"],
                            goal=["maximize", "minimize", "minimize"])
    plot_results(folder)
    figure = json.loads(parse(folder / "plots" / "report.html").json["nnrun-figures"])[
        "pareto-0"]
    assert {"xaxis", "xaxis2", "xaxis3"} <= set(figure["layout"]) and "xaxis4" not in \
        figure["layout"]
    assert all(trace["mode"] == "markers" for trace in figure["data"])  # no staircase
    assert len(figure["data"]) == 6  # front and dominated in each of the three panels
    plot_results(sweeps["grid"])
    one = parse(sweeps["grid"] / "plots" / "report.html")
    assert not any(key.startswith("pareto") for key in json.loads(one.json["nnrun-figures"]))
    assert "Pareto front" not in (sweeps["grid"] / "plots" / "report.html").read_text()

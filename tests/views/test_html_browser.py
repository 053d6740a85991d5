"""report.html in a real browser (headless chromium through selenium): every chart drawn, no
request outside file:, the filter and a brush on the parallel coordinates hide the right rows,
hovering a curve shows that trial, and the page is not blank. Skipped, with the reason, where
there is no chromium (.ci/run installs it)."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import helpers.results as fx
import pandas as pd
import pytest
from helpers.browser import chromium, missing_browser, open_report

pytest.importorskip("plotly", reason="report.html needs plotly (pip install 'nnrun[html]')")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(missing_browser() is not None,
                                 reason=f"no browser: {missing_browser()}")]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    from nnrun.views.plots import plot_results

    folder = fx.grid_classification(tmp_path_factory.mktemp("browser") / "activations")
    plot_results(folder)
    return folder / "plots" / "report.html", pd.read_csv(folder / "summary.csv")


@pytest.fixture(scope="module")
def page(report):
    with chromium() as driver:
        open_report(driver, report[0])
        yield driver


def shown_rows(driver) -> list[str]:
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#leaderboard tbody tr'))"
        ".filter(r => r.style.display !== 'none').map(r => r.dataset.trial)")


def test_every_chart_is_drawn(page):
    charts = page.execute_script("""
        return Array.from(document.querySelectorAll('.chart')).map(div => ({
            id: div.id, traces: (div._fullData || []).length,
            svg: div.querySelectorAll('.main-svg').length,
            canvas: div.querySelectorAll('canvas').length,
            marks: div.querySelectorAll('path.js-line, .scatterlayer .trace, .point').length}))""")
    ids = {chart["id"] for chart in charts}
    assert {"parcoords-0", "curves-loss", "curves-accuracy", "effects", "gradients"} <= ids
    for chart in charts:
        assert chart["traces"] > 0 and chart["svg"] > 0, chart
        if chart["id"].startswith("parcoords"):
            assert chart["canvas"] > 0, chart  # parcoords draws its lines with WebGL
        else:
            assert chart["marks"] > 0, chart


def test_the_curves_are_drawn_from_the_data(page, report):
    """Each curve's epochs and values, which the page stores once (in its data), are the ones
    plotly drew: a line a trial, its validation curve up, its training curve in the hover."""
    drawn = page.execute_script("""
        const data = JSON.parse(document.getElementById('nnrun-data').textContent);
        const byId = {};
        data.sweeps[0].trials.forEach(t => { byId[t.id] = t; });
        return ['loss', 'accuracy'].map(kind => {
            const div = document.getElementById('curves-' + kind);
            return div._fullData.map(trace => {
                const t = byId[trace.name];
                return {x: JSON.stringify(trace.x) === JSON.stringify(t.epochs),
                        y: JSON.stringify(trace.y) === JSON.stringify(t.curves['val_' + kind]),
                        train: JSON.stringify(trace.customdata)
                               === JSON.stringify(t.curves['train_' + kind]),
                        points: trace.y.length};
            });
        });""")
    for curves in drawn:
        assert len(curves) == len(report[1])
        assert all(c["x"] and c["y"] and c["train"] and c["points"] == 20 for c in curves)
    gradients = page.execute_script(
        "const div = document.getElementById('gradients');"
        "return div._fullData.map(t => t.y.length)")
    assert gradients == [20, 20, 20]  # the best trial's three layers, drawn by the glue


def test_no_request_outside_file(page):
    names = page.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name))")
    assert names and all(name.startswith(("file:", "data:", "blob:")) for name in names), names


def test_typing_in_the_filter_hides_the_right_rows(page, report):
    from selenium.webdriver.common.by import By

    summary = report[1]
    field = page.find_element(By.ID, "filter")
    field.clear()
    field.send_keys("relu")
    expected = set(summary.loc[summary["model.activation"] == "relu", "trial"])
    assert set(shown_rows(page)) == expected
    field.send_keys(" mse")  # every word must be in the row
    expected = set(summary.loc[(summary["model.activation"] == "relu")
                               & (summary["loss"] == "mse"), "trial"])
    assert set(shown_rows(page)) == expected and len(expected) == 2
    page.execute_script("const f = document.getElementById('filter'); f.value = '';"
                        "f.dispatchEvent(new Event('input'));")
    assert len(shown_rows(page)) == len(summary)


def test_a_brush_on_the_parallel_coordinates_filters_the_table(page, report):
    """Drag along the activation axis over its top value (relu): only relu's rows stay, and
    only their curves."""
    from selenium.webdriver.common.action_chains import ActionChains

    summary = report[1]
    box = page.execute_script("""
        const div = document.getElementById('parcoords-0');
        div.scrollIntoView();
        const rect = div.querySelectorAll('.axis-brush .background')[0].getBoundingClientRect();
        const outer = div.getBoundingClientRect();
        return {x: rect.x, y: rect.y, w: rect.width, h: rect.height,
                cx: outer.x + outer.width / 2, cy: outer.y + outer.height / 2};""")
    div = page.find_element("id", "parcoords-0")
    start = (box["x"] + box["w"] / 2, box["y"] + 0.02 * box["h"])
    end = (start[0], box["y"] + 0.2 * box["h"])

    def offset(x: float, y: float) -> tuple[int, int]:  # from the chart's centre
        return int(x - box["cx"]), int(y - box["cy"])

    chain = ActionChains(page)
    chain.move_to_element_with_offset(div, *offset(*start)).click_and_hold()
    for step in range(1, 6):
        y = start[1] + (end[1] - start[1]) * step / 5
        chain.move_to_element_with_offset(div, *offset(start[0], y))
    chain.release().perform()
    expected = set(summary.loc[summary["model.activation"] == "relu", "trial"])
    assert set(shown_rows(page)) == expected
    visible = page.execute_script(
        "const div = document.getElementById('curves-loss');"
        "return div.data.filter(t => t.visible !== false).map(t => t.name)")
    assert set(visible) == expected


def test_hovering_a_curve_shows_that_trials_values(page, report):
    """The mouse over the best trial's validation loss at epoch 10: the hover label names it
    and gives its value there."""
    from selenium.webdriver.common.action_chains import ActionChains

    target = page.execute_script("""
        const div = document.getElementById('curves-loss');
        div.scrollIntoView();
        const trace = div.data.findIndex(t => t.visible !== false);
        const t = div.data[trace], i = t.x.indexOf(10);
        const xa = div._fullLayout.xaxis, ya = div._fullLayout.yaxis;
        const rect = div.getBoundingClientRect();
        return {id: t.name, value: t.y[i], train: t.customdata[i],
                x: rect.x + xa._offset + xa.c2p(t.x[i]), y: rect.y + ya._offset + ya.c2p(t.y[i]),
                cx: rect.x + rect.width / 2, cy: rect.y + rect.height / 2};""")
    div = page.find_element("id", "curves-loss")
    ActionChains(page).move_to_element_with_offset(
        div, int(target["x"] - target["cx"]), int(target["y"] - target["cy"])).perform()
    label = page.execute_script(
        "return Array.from(document.querySelectorAll('#curves-loss .hovertext'))"
        ".map(e => e.textContent).join(' ')")
    assert f"trial {target['id']}" in label
    assert "epoch 10" in label and f"{target['value']:.4g}" in label
    assert f"train_loss {target['train']:.4g}" in label
    assert target["id"] in page.find_element("id", "hovered").text


def test_a_screenshot_is_not_blank(page, tmp_path):
    from PIL import Image

    page.execute_script("window.scrollTo(0, 0)")
    image = Image.open(io.BytesIO(page.get_screenshot_as_png())).convert("RGB")
    image.save(tmp_path / "report-html.png")  # to look at: pytest --basetemp=DIR
    small = image.resize((200, 140))
    pixels = [small.getpixel((x, y)) for x in range(small.width) for y in range(small.height)]
    # a blank or unstyled page has a handful of colours; charts have hundreds, some saturated
    coloured = sum(1 for r, g, b in pixels if max(r, g, b) - min(r, g, b) > 40)
    assert len(set(pixels)) > 200 and coloured > 0.005 * len(pixels)


@pytest.fixture(scope="module")
def log_page(tmp_path_factory):
    """A report whose losses fall over 2.5 decades: log axes for the losses and the gradients."""
    from nnrun.views.plots import plot_results

    folder = fx.falling_losses(tmp_path_factory.mktemp("browser") / "falling")
    plot_results(folder)
    with chromium() as driver:
        open_report(driver, folder / "plots" / "report.html")
        yield driver


def y_tick_labels(driver, chart: str) -> list[dict]:
    """The y tick labels plotly drew in a chart: their text and their box on the page."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#' + arguments[0] + ' .ytick text'))
            .map(e => { const r = e.getBoundingClientRect();
                        return {text: e.textContent, top: r.top, bottom: r.bottom}; });""",
                                 chart)


@pytest.mark.parametrize("chart", ["curves-loss", "gradients"])
def test_a_log_axis_labels_1_2_5_not_every_minor_tick(log_page, chart, tmp_path):
    """plotly labels every minor tick of a range of a few decades (9, 0.01, 2, 3, ... 9, 0.1,
    2, ...): the report labels 0.01, 0.02, 0.05, 0.1 only, each inside the axis, none touching
    the next."""
    element = log_page.find_element("id", chart)
    log_page.execute_script("arguments[0].scrollIntoView()", element)
    element.screenshot(str(tmp_path / f"{chart}.png"))  # to look at: pytest --basetemp=DIR
    low, high = (10 ** bound for bound in log_page.execute_script(
        "return document.getElementById(arguments[0])._fullLayout.yaxis.range", chart))
    labels = y_tick_labels(log_page, chart)
    values = [float(label["text"]) for label in labels]
    assert len(values) >= 4
    assert all(low <= v <= high for v in values), (values, low, high)
    assert {f"{v:.0e}"[0] for v in values} <= {"1", "2", "5"}, values
    boxes = sorted((label["top"], label["bottom"]) for label in labels)
    assert all(above[1] <= below[0] for above, below in itertools.pairwise(boxes)), boxes


def test_the_gradient_axis_stays_when_another_trial_is_picked(log_page):
    before = [label["text"] for label in y_tick_labels(log_page, "gradients")]
    row = log_page.find_elements("css selector", "#leaderboard tbody tr")[-1]
    log_page.execute_script("arguments[0].scrollIntoView()", row)
    row.click()
    title = log_page.execute_script(
        "return document.getElementById('gradients')._fullLayout.title.text")
    assert row.get_attribute("data-trial") in title
    assert [label["text"] for label in y_tick_labels(log_page, "gradients")] == before


@pytest.fixture(scope="module")
def pareto_page(tmp_path_factory):
    """One report of two sweeps: two objectives (val_accuracy up, n_parameters down), and
    three (train_seconds down as well)."""
    from nnrun.views.plots import plot_results

    base = tmp_path_factory.mktemp("browser")
    two = fx.pareto_grid(base / "pareto")
    three = fx.pareto_grid(base / "pareto3", metric=["val_accuracy", "n_parameters",
                                                     "train_seconds"],
                           goal=["maximize", "minimize", "minimize"])
    plot_results([two, three], base / "compare")
    with chromium() as driver:
        open_report(driver, base / "compare" / "report.html")
        yield driver


@pytest.mark.parametrize(("chart", "panels"), [("pareto-0", 1), ("pareto-1", 3)])
def test_the_pareto_front_is_drawn_whole(pareto_page, chart, panels, tmp_path):
    """A point a configuration in each panel, and no title, tick label or legend entry cut
    off by the chart's edge or touching another."""
    page = pareto_page
    element = page.find_element("id", chart)
    page.execute_script("arguments[0].scrollIntoView()", element)
    element.screenshot(str(tmp_path / f"{chart}.png"))  # to look at: pytest --basetemp=DIR
    drawn = page.execute_script("""
        const div = document.getElementById(arguments[0]);
        const box = div.getBoundingClientRect();
        const texts = [];
        div.querySelectorAll('text').forEach(e => {  // x2title, y3tick, legendtext, ...
            const own = e.getAttribute('class') || '', parent = e.parentNode.getAttribute('class');
            const kind = /^[xy]\\d*title$/.test(own) ? 'title' : own === 'legendtext' ? 'legend'
                : /^[xy]\\d*tick$/.test(parent || '') ? 'tick' : null;
            const r = e.getBoundingClientRect();
            if (kind && r.width) texts.push({kind: kind, text: e.textContent, left: r.left,
                                             right: r.right, top: r.top, bottom: r.bottom});
        });
        return {points: div.querySelectorAll('.scatterlayer .point').length, texts: texts,
                box: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}};""",
                                 chart)
    assert drawn["points"] == 5 * panels  # a point a configuration
    box = drawn["box"]
    for text in drawn["texts"]:  # nothing cut off by the chart's edge
        assert box["left"] <= text["left"] and text["right"] <= box["right"], text
        assert box["top"] <= text["top"] and text["bottom"] <= box["bottom"], text
    kinds = {kind: [t for t in drawn["texts"] if t["kind"] == kind]
             for kind in ("title", "legend", "tick")}
    assert len(kinds["title"]) == 2 * panels and len(kinds["tick"]) > 6 * panels
    assert {t["text"] for t in kinds["legend"]} == {"Pareto front", "dominated"}
    for index, one in enumerate(drawn["texts"]):
        for other in drawn["texts"][index + 1:]:
            apart = (one["right"] <= other["left"] or other["right"] <= one["left"]
                     or one["bottom"] <= other["top"] or other["bottom"] <= one["top"])
            assert apart, (one, other)


def test_a_click_on_a_pareto_point_highlights_its_best_trial(pareto_page):
    from selenium.webdriver.common.action_chains import ActionChains

    page = pareto_page
    element = page.find_element("id", "pareto-0")
    page.execute_script("arguments[0].scrollIntoView()", element)
    target = page.execute_script("""
        const div = document.getElementById('pareto-0');
        const trace = div._fullData.find(t => t.name === 'Pareto front');
        const xa = div._fullLayout.xaxis, ya = div._fullLayout.yaxis;
        const rect = div.getBoundingClientRect();
        return {trial: trace.customdata[0][0],
                x: rect.x + xa._offset + xa.c2p(trace.x[0]),
                y: rect.y + ya._offset + ya.c2p(trace.y[0]),
                cx: rect.x + rect.width / 2, cy: rect.y + rect.height / 2};""")
    ActionChains(page).move_to_element_with_offset(
        element, int(target["x"] - target["cx"]), int(target["y"] - target["cy"])).click() \
        .perform()
    picked = page.execute_script(
        "return Array.from(document.querySelectorAll('#leaderboard tr.picked'))"
        ".map(r => r.dataset.trial)")
    # the two sweeps of this report share their trial ids: the trial's row in each
    assert set(picked) == {target["trial"]} == {"w08r0abcdef"}

"""Chart specs of ui.charts checked the way Vega reads them: no layer without data.

A layer whose data is empty, or whose encoded numbers and dates are all missing, gives Vega no
extent for its scales: the browser console shows "Infinite extent for field ..." warnings (seen
on the Scenarios page, issue 11, item 9). ``empty_layers`` finds such layers in a spec.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ui import charts

MONTHS = pd.period_range("2024-01", periods=3, freq="M", name="month")


def _rows(spec: dict, data: dict | None) -> list[dict] | None:
    """The rows a (sub)spec draws: inline values, a named dataset of the top spec, or None when
    its data is not in the spec (given apart, e.g. ``st.vega_lite_chart(rows, spec)``)."""
    if data is None:
        return None
    if "values" in data:
        return list(data["values"])
    rows = spec.get("datasets", {}).get(data.get("name"))
    if isinstance(rows, pd.DataFrame):
        return rows.to_dict("records")
    return None if rows is None else list(rows)


def _fields(layer: dict) -> list[str]:
    """The quantitative and temporal fields a layer's positions are drawn from."""
    out = []
    for channel in ("x", "y", "x2", "y2"):
        enc = layer.get("encoding", {}).get(channel)
        if not isinstance(enc, dict) or "field" not in enc:
            continue
        if channel in ("x2", "y2") or enc.get("type") in ("quantitative", "temporal"):
            out.append(enc["field"])
    return out


def empty_layers(spec: dict) -> list[str]:
    """Each layer (or the single chart) drawn from no data or from positions all missing, as
    ``"<mark>: <why>"``."""
    problems = []

    def visit(node: dict, inherited: dict | None):
        data = node.get("data", inherited)
        if "layer" in node:
            for sub in node["layer"]:
                visit(sub, data)
            return
        mark = node.get("mark")
        mark = mark.get("type") if isinstance(mark, dict) else mark
        rows = _rows(spec, data)
        if rows is None or not rows:
            problems.append(f"{mark}: no data" if rows is None else f"{mark}: empty data")
            return
        for field in _fields(node):
            values = [r.get(field) for r in rows]
            if all(v is None or (isinstance(v, float) and np.isnan(v)) for v in values):
                problems.append(f"{mark}: {field} all missing")

    visit(spec, None)
    return problems


def curves(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=MONTHS)


# --- the Scenarios page's what-if chart -----------------------------------------------------------


def test_the_scenario_chart_given_its_data_apart_is_drawn_empty_first():
    """What the page drew (its spec cached without data, the rows given to Streamlit apart): the
    chart is embedded with no data, which the browser logged as "Infinite extent" warnings."""
    c = curves(Baseline=[100.0, 101.0, 102.0], **{"Price +8%": [100.0, 106.0, 108.0]})
    full = charts.scenario_chart(c).to_dict()
    assert empty_layers(full) == []
    bare = {k: v for k, v in full.items() if k not in ("data", "datasets")}
    assert empty_layers(bare) == ["line: no data"]
    # The spec with its rows inside (named), as the page should hand it to Streamlit.
    spec = charts.scenario_spec_with_data(bare, c)
    assert empty_layers(spec) == []
    pd.testing.assert_frame_equal(spec["datasets"][spec["data"]["name"]],
                                  charts.scenario_chart_data(c))
    assert {k: v for k, v in spec.items() if k not in ("data", "datasets")} == bare
    # Another set of curves into the same cached spec: only the rows change.
    other = curves(Baseline=[100.0, 99.0, 98.0], **{"Price +8%": [100.0, 103.0, 104.0]})
    again = charts.scenario_spec_with_data(spec, other)
    assert again["datasets"][charts.SCENARIO_DATA]["value"].tolist()[:3] == [100.0, 103.0, 104.0]
    assert spec["datasets"][charts.SCENARIO_DATA]["value"].tolist()[:3] == [100.0, 106.0, 108.0]


# --- forecast, backtest and retention charts (Scenarios page) ----------------------------------


def test_the_forecast_chart_draws_no_empty_band():
    history = pd.DataFrame({"mrr": [100.0, 110.0]}, index=MONTHS[:2])
    projection = pd.DataFrame({"mrr": [120.0], "mrr_low": [115.0], "mrr_high": [126.0]},
                              index=MONTHS[2:])
    spec = charts.forecast_chart(history, projection).to_dict()
    assert empty_layers(spec) == []
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line"]
    no_band = projection.assign(mrr_low=np.nan, mrr_high=np.nan)
    spec = charts.forecast_chart(history, no_band).to_dict()
    assert empty_layers(spec) == []
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line"]
    # No history at all: the projection alone.
    spec = charts.forecast_chart(history.iloc[:0], projection).to_dict()
    assert empty_layers(spec) == []


def test_the_backtest_chart_has_data_with_or_without_history():
    table = pd.DataFrame({"actual_mrr": [105.0], "forecast_mrr": [103.0], "error": [-2.0],
                          "pct_error": [-0.019]}, index=MONTHS[2:])
    before = pd.Series([100.0], index=MONTHS[1:2], name="mrr")
    for history in (before, None, before.iloc[:0]):
        assert empty_layers(charts.backtest_chart(table, history).to_dict()) == []


def test_the_retention_chart_draws_no_empty_layer():
    fit = pd.DataFrame({"segment": ["All"] * 3, "age": [0, 1, 2], "observed": [1.0, 0.8, None],
                        "fitted": [1.0, 0.79, 0.66]})
    cohorts = pd.DataFrame([[1.0, 0.8]], columns=pd.RangeIndex(2, name="age"),
                           index=pd.PeriodIndex(["2024-01"], freq="M", name="cohort"))
    spec = charts.retention_fit_chart(fit, cohorts).to_dict()
    assert empty_layers(spec) == [] and len(spec["layer"]) == 3
    # Cohorts with no survival figure, no observed point (a fit shown beyond the data).
    unknown = cohorts * np.nan
    spec = charts.retention_fit_chart(fit.assign(observed=np.nan), unknown).to_dict()
    assert empty_layers(spec) == []
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line"]


@pytest.mark.parametrize("metric", ["mrr", "customers"])
def test_every_scenarios_chart_of_the_sample_has_data(metric):
    """The forecast, backtest and scenario charts on the sample's own figures."""
    import mrrkit
    from mrrkit.models.forecast import backtest, forecast

    mv = mrrkit.movements(mrrkit.load_sample())
    projection = forecast(mv, months=24, n_boot=20)
    history = mrrkit.monthly(mv).iloc[-12:]
    assert empty_layers(charts.forecast_chart(history, projection, metric).to_dict()) == []
    bt = backtest(mv, horizon=12, method="sbg")
    before = mrrkit.monthly(mv)["mrr"].loc[bt.origin - 11: bt.origin]
    assert empty_layers(charts.backtest_chart(bt.table, before).to_dict()) == []
    c = pd.DataFrame({"Baseline": projection[metric], "Price +8%": projection[metric] * 1.05})
    bare = {k: v for k, v in charts.scenario_chart(c, metric).to_dict().items()
            if k not in ("data", "datasets")}
    assert empty_layers(charts.scenario_spec_with_data(bare, c)) == []


# --- in a real browser ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_in_a_browser_the_scenario_chart_with_its_rows_inside_logs_no_warning(tmp_path):
    """Served by ``streamlit run`` to Debian's chromium: the spec with its rows inside draws
    its lines with no console warning; the rows given apart (how the page drew it) log "Infinite
    extent" for the month and value fields (Streamlit runs the chart once empty first)."""
    import subprocess
    import sys

    from tests._browser import (CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, playwright,
                                stop_server, wait_healthy)

    sync_playwright = playwright()
    port, log = free_port(), tmp_path / "streamlit.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "tests/apps/scenario_chart.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        wait_healthy(port, server, log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                logged = {}
                for mode in ("inside", "apart"):
                    page = browser.new_page()
                    messages = logged[mode] = []
                    page.on("console", lambda m, out=messages: out.append((m.type, m.text)))
                    page.goto(f"http://127.0.0.1:{port}/?mode={mode}")
                    page.get_by_text("drawn").wait_for(timeout=30_000)
                    page.locator(".vega-embed canvas, .vega-embed svg").first.wait_for(
                        timeout=30_000)
                    page.wait_for_timeout(500)
                    page.close()
            finally:
                browser.close()
    finally:
        stop_server(server)
    assert [m for m in logged["inside"] if m[0] in ("warning", "error")] == []
    apart = {text for kind, text in logged["apart"] if "Infinite extent" in text}
    assert apart == {'WARN Infinite extent for field "yearmonth_month": [Infinity, -Infinity]',
                     'WARN Infinite extent for field "value": [Infinity, -Infinity]'}


# --- cohort heatmap labels (Cohorts page) --------------------------------------------------------


def _heatmap_rows(value: str, cells: list[float]) -> dict:
    tab = pd.DataFrame([cells], columns=pd.RangeIndex(len(cells), name="age"),
                       index=pd.PeriodIndex(["2024-01"], freq="M", name="cohort"))
    spec = charts.cohort_heatmap(tab, value).to_dict()
    label = spec["layer"][1]["encoding"]["color"]
    assert label == {"condition": {"test": "datum.dark", "value": "#ffffff"}, "value": "#212529"}
    return {r["value"]: r["dark"] for r in spec["datasets"][spec["data"]["name"]]}


def test_heatmap_labels_are_white_on_dark_cells_and_dark_on_light_ones():
    """Issue 11, item 9: black labels on deep red and deep green cells. The colour scale's
    position of each value says which text reads better (WCAG contrast)."""
    # Revenue retention: red at 0, yellow at 100% (the scale's middle), green at the top.
    assert _heatmap_rows("mrr", [0.05, 0.5, 1.0, 1.4, 2.0]) == {
        0.05: True, 0.5: False, 1.0: False, 1.4: False, 2.0: True}
    # Logo retention: 0 to 100%, yellow at 50%.
    assert _heatmap_rows("customers", [0.05, 0.5, 0.97]) == {0.05: True, 0.5: False, 0.97: True}
    # ARPA: light blue to dark blue over the values shown.
    assert _heatmap_rows("arpa", [10.0, 50.0, 90.0]) == {10.0: False, 50.0: False, 90.0: True}


def test_the_scale_position_follows_vega_lites_domain_mid():
    from ui.charts.base import _scale_position

    assert _scale_position([0, 0.5, 1.0, 1.5, 2.0], [0, 2.0], mid=1.0).tolist() == [
        0, 0.25, 0.5, 0.75, 1.0]
    assert _scale_position([10, 20], [10, 30]).tolist() == [0, 0.5]


# --- segment interval chart (Segments page) --------------------------------------------------------


def test_the_segment_chart_names_its_dashed_line_and_keeps_its_labels_apart():
    names = ["Professional services and consulting firms", "E-commerce", "Logistics"]
    tab = pd.DataFrame({"churn_rate": [0.1, 0.3, 0.2], "churn_low": [0.05, 0.2, 0.1],
                        "churn_high": [0.2, 0.4, 0.3], "start_customers": [50, 40, 30]},
                       index=pd.Index(names, name="industry"))
    spec = charts.segment_rate_chart(tab, "churn_rate", rest=0.18).to_dict()
    assert empty_layers(spec) == []
    bars, _, line = spec["layer"]
    assert bars["encoding"]["y"]["axis"] == {"labelLimit": 200, "labelOverlap": False}
    x_axis = bars["encoding"]["x"]["axis"]
    assert x_axis["labelOverlap"] == "greedy" and x_axis["format"] == "%"
    dash = line["encoding"]["strokeDash"]
    assert dash["scale"] == {"domain": ["All selected customers"], "range": [[4, 4]]}
    assert dash["legend"]["symbolType"] == "stroke"
    assert [tip["title"] for tip in line["encoding"]["tooltip"]] == ["Segment", "Customer churn"]
    # No overall rate: no line, no legend for it, no empty layer.
    spec = charts.segment_rate_chart(tab, "churn_rate", rest=float("nan")).to_dict()
    assert len(spec["layer"]) == 2 and empty_layers(spec) == []


def test_the_segments_page_explains_the_dashed_line():
    from tests._pages import chart_data, open_page
    from ui.format import number_format

    at = open_page("pages/3_Segments.py")
    assert not at.exception
    shown = chart_data(at, 0)
    overall = next(frame for frame in shown.values() if "rest" in frame.columns)
    expected = number_format("en", "EUR").pct(overall["rest"].iloc[0])
    assert overall["line"].tolist() == ["All selected customers"]
    assert any(c.value.startswith("Each dot is a segment's rate")
               and f"the dashed line is all the selected customers together ({expected})" in c.value
               for c in at.caption)

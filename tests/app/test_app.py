"""The home page (Overview) and the frame every page shares: KPIs as mrrkit computes them, filters,
language, URL state and its fallbacks."""

from __future__ import annotations

import json

import mrrkit
import pandas as pd
import pytest

from tests._pages import (
    HOME,
    assert_clean,
    chart_data,
    open_page,
    sample,
    segment,
    shown_text,
    specs,
    tooltips,
)
from ui.format import number_format
from ui.shell import month_label
from ui.i18n import text

EN = number_format("en", "EUR")


@pytest.fixture(scope="module")
def home():
    return open_page()


def _metrics(at):
    return {m.label: m for m in at.metric}


def test_home_renders_without_error(home):
    assert_clean(home)
    assert [t.value for t in home.title] == ["MRR overview"]


def _badge(kind, now, before, vs, lower_is_better=False, nf=EN):
    """The markdown of a tile's change line, computed here from mrrkit's figures."""
    delta = now - before
    text = {"money": nf.money, "count": nf.count}.get(kind, None)
    if kind == "pct":
        text = nf.pts(delta)
    elif kind == "ratio":
        text = nf.ratio(delta, signed=True)
    else:
        text = text(delta, signed=True)
        # No % from 0, across zero, or beyond +-1,000% (ui.format.pct_change).
        if before and (now >= 0) == (before >= 0) and abs(delta / before) <= 10:
            text += f" ({nf.pct(delta / abs(before), signed=True)})"
    good = delta < 0 if lower_is_better else delta > 0
    color = "gray" if delta == 0 else ("green" if good else "red")
    arrow = "trending_flat" if delta == 0 else ("arrow_upward" if delta > 0 else "arrow_downward")
    return f":{color}-badge[:material/{arrow}: {text}] vs {vs}"


def _as_shown(summary):
    """mrrkit's KPIs with the MRR rounded to whole units as its tile shows it and ARR = 12 x
    that MRR (the Overview's ARR is exactly 12 x the MRR it shows)."""
    from ui.format import shown

    out = summary.copy()
    columns = ["value", "previous_month", "year_ago"]
    out.loc["mrr", columns] = [shown(x) for x in summary.loc["mrr", columns]]
    out.loc["arr", columns] = [12 * x for x in out.loc["mrr", columns]]
    return out


def test_every_kpi_tile_with_mrrkit_values_and_both_changes(home):
    _, mv, _ = sample()
    summary = _as_shown(mrrkit.kpis(mv))
    shown = _metrics(home)
    t = text("en")
    assert list(shown) == [t(f"kpi.{k}") for k in mrrkit.KPI_NAMES]
    assert shown["MRR"].value == EN.money(summary.at["mrr", "value"])
    assert shown["Customers"].value == EN.count(summary.at["customers", "value"])
    assert shown["NRR (12 months)"].value == EN.pct(summary.at["nrr_12m", "value"])
    assert shown["Quick ratio"].value == EN.ratio(summary.at["quick_ratio", "value"])
    assert shown["LTV"].value == EN.money(summary.at["ltv", "value"])
    # In each tile, in order: the change vs the previous month, then vs 12 months earlier.
    captions = [c.value for c in home.caption][1:1 + 2 * len(summary)]
    for i, (name, row) in enumerate(summary.iterrows()):
        lower = name in ("customer_churn_rate", "gross_mrr_churn_rate")
        assert captions[2 * i] == _badge(row["format"], row["value"], row["previous_month"],
                                         "Sep 2026", lower), name
        assert captions[2 * i + 1] == _badge(row["format"], row["value"], row["year_ago"],
                                             "Oct 2025", lower), name
    # Churn going down is good news: green.
    churn = summary.loc["customer_churn_rate"]
    assert (churn["value"] < churn["year_ago"]) == captions[13].startswith(":green-badge")


def _tiles(at) -> dict[str, tuple[str, str, str]]:
    """Each KPI tile: its figure, then its change vs the previous month and vs a year earlier."""
    captions = [c.value for c in at.caption][1:]
    return {m.label: (m.value, captions[2 * i], captions[2 * i + 1])
            for i, m in enumerate(at.metric)}


def _overview_of(lines: pd.DataFrame, params: dict):
    from streamlit.testing.v1 import AppTest

    from tests._pages import ROOT, TIMEOUT
    from ui.data import Source, lines_digest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["source"] = Source("made.csv", f"test:{lines_digest(lines)}", lines, "EUR")
    at.query_params.update(params)
    return at.run()


def test_arr_is_twelve_times_the_mrr_shown_and_no_percentage_across_zero():
    """Issue 11, item 9: MRR 1,000.40 showed "€1,000" next to an ARR of "€12,005"; net new MRR
    going from -100 to +50 showed "+€150 (+150.0%)"."""
    lines = pd.DataFrame({
        "customer_id": ["a", "b", "c"],
        "start": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-11-10"]),
        "end": pd.to_datetime([None, "2025-10-15", None]),
        "mrr": [1000.40, 100.0, 50.0],
    })
    at = _overview_of(lines, {"from": "2025-01", "to": "2025-11"})
    assert_clean(at)
    tiles = _tiles(at)
    mrr, arr, net_new = tiles["MRR"], tiles["ARR"], tiles["Net new MRR"]
    assert (mrr[0], arr[0]) == ("€1,050", "€12,600")  # exact: 1,050.40 and 12,604.80
    assert mrr[1] == ":green-badge[:material/arrow_upward: +€50 (+5.0%)] vs Oct 2025"
    assert arr[1] == ":green-badge[:material/arrow_upward: +€600 (+5.0%)] vs Oct 2025"
    # Net new MRR: -100 in October, +50 in November: the change, and no percentage.
    assert net_new[0] == "€50"
    assert net_new[1] == ":green-badge[:material/arrow_upward: +€150] vs Oct 2025"
    assert mrr[2] == arr[2] == "– vs Nov 2024"  # no figure a year earlier


def test_no_percentage_from_a_tiny_earlier_figure():
    # One customer paying 1 becomes 12 customers paying 100: +1,199 MRR is no "+119,900%",
    # beyond +1,000% (ui.format.MAX_PCT_CHANGE) the change is said in amounts only.
    lines = pd.DataFrame({
        "customer_id": ["a"] + [f"n{i}" for i in range(12)],
        "start": pd.to_datetime(["2025-01-01"] + ["2025-11-03"] * 12),
        "end": pd.to_datetime(["2025-11-03"] + [None] * 12),
        "mrr": [1.0] + [100.0] * 12,
    })
    tiles = _tiles(_overview_of(lines, {"from": "2025-01", "to": "2025-11"}))
    assert tiles["MRR"][1] == ":green-badge[:material/arrow_upward: +€1,199] vs Oct 2025"
    assert tiles["Customers"][1] == ":green-badge[:material/arrow_upward: +11] vs Oct 2025"  # x12


def test_charts_have_tooltips_and_locale(home):
    charts = specs(home)
    assert len(charts) == 2
    movement, mrr = charts
    assert [layer["mark"]["type"] for layer in movement["layer"]] == ["bar", "line"]
    assert tooltips(movement) == [["Month", "Movement", "MRR"], ["Month", "Net new MRR"]]
    assert tooltips(mrr) == [["Month", "MRR", "Customers"]]
    assert movement["config"]["locale"]["number"]["currency"] == ["€", ""]
    # The bars cover the reporting period: the last 12 months by default.
    bars = chart_data(home, 0)[movement["layer"][0]["data"]["name"]]
    assert bars["month"].nunique() == 12
    # Bars and the net line share each month's band (the line runs through the bars' middle).
    for layer in movement["layer"]:
        assert layer["encoding"]["x"]["type"] == "ordinal"
        assert layer["encoding"]["x"]["timeUnit"] == "yearmonth"


def test_default_url_carries_the_period(home):
    _, mv, _ = sample()
    last = mrrkit.monthly(mv).index[-1]
    assert home.query_params == {"from": str(last - 11), "to": str(last)}
    assert home.sidebar.code[0].value == f"?from={last - 11}&to={last}"


def test_sidebar_lists_the_pages_and_every_segment_dimension(home):
    labels = [link.label for link in home.sidebar.get("page_link")]
    assert labels[:5] == ["Overview", "Movements", "Cohorts", "Segments", "Customers"]
    keys = {m.key for m in home.sidebar.multiselect}
    for dim in ("industry", "company_size", "channel", "churn_reason", "country", "plan"):
        assert f"w:f.{dim}" in keys
    assert "w:f.quantity" not in keys  # a measure with dozens of values, not a segment


@pytest.fixture(scope="module")
def filtered():
    at = open_page()
    at.multiselect(key="w:f.industry").set_value(["Software"]).run()
    at.multiselect(key="w:f.company_size").set_value(["1-10", "11-50"]).run()
    return at


def test_filters_change_the_numbers_as_mrrkit_says(filtered):
    assert_clean(filtered)
    part = segment({"industry": ["Software"], "company_size": ["1-10", "11-50"]})
    summary = mrrkit.kpis(part)
    shown = _metrics(filtered)
    assert shown["MRR"].value == EN.money(summary.at["mrr", "value"])
    assert shown["Customers"].value == EN.count(summary.at["customers", "value"])
    assert shown["GRR (12 months)"].value == EN.pct(summary.at["grr_12m", "value"])


def test_filters_go_to_the_url(filtered):
    params = filtered.query_params
    assert params["f.industry"] == "Software"
    assert params["f.company_size"] == ["1-10", "11-50"]
    assert "f.company_size=1-10&f.company_size=11-50" in filtered.sidebar.code[0].value


def test_url_restores_the_view_in_a_new_session():
    params = {"lang": "it", "from": "2025-07", "to": "2026-06", "f.company_size": ["1-10"]}
    at = open_page(params=params)
    assert_clean(at)
    assert at.selectbox(key="w:lang").value == "it"
    assert at.multiselect(key="w:f.company_size").value == ["1-10"]
    assert at.select_slider[0].value == ("2025-07", "2026-06")
    summary = mrrkit.kpis(segment({"company_size": ["1-10"]}), "2026-06")
    it = number_format("it", "EUR")
    shown = _metrics(at)
    assert shown["MRR"].value == it.money(summary.at["mrr", "value"])
    assert shown["Clienti"].value == it.count(summary.at["customers", "value"])
    assert at.title[0].value == "Panoramica del MRR"
    assert at.query_params == {"lang": "it", "from": "2025-07", "to": "2026-06",
                               "f.company_size": "1-10"}
    assert not at.toast


def test_french_labels_and_number_formats():
    at = open_page(params={"lang": "fr"})
    assert_clean(at)
    shown = _metrics(at)
    mrr = shown["MRR"].value
    assert mrr.endswith("\u00a0€") and "\u202f" in mrr  # 351 780 €
    assert shown["Churn clients (mois)"].value.endswith("\u00a0%")
    assert specs(at)[0]["config"]["locale"]["number"]["decimal"] == ","


def test_bad_url_values_fall_back_with_a_notice():
    at = open_page(params={
        "lang": "de", "from": "not-a-month", "f.industry": ["Software", "Nope"],
        "f.no_such_column": "x", "bogus": "1",
    })
    assert_clean(at)
    notices = shown_text(" | ".join(t.value for t in at.toast))
    for bad in ("lang=de", "from=not-a-month", "f.industry=Nope", "f.no_such_column", "bogus"):
        assert bad in notices
    assert at.selectbox(key="w:lang").value == "en"
    assert at.multiselect(key="w:f.industry").value == ["Software"]  # the known value is kept
    _, mv, _ = sample()
    last = mrrkit.monthly(mv).index[-1]
    assert at.select_slider[0].value == (str(last - 11), str(last))
    assert "bogus" not in at.query_params


def test_a_filter_that_leaves_nobody_says_so():
    at = open_page(params={"f.industry": "Software", "f.company_size": "1000+", "f.country": "CH",
                           "f.channel": "partner"})
    assert_clean(at)
    assert at.info or at.metric  # either nothing to show (with a message) or numbers


def test_period_is_clamped_to_the_data():
    at = open_page(params={"from": "2001-01", "to": "2030-12"})
    assert_clean(at)
    _, mv, _ = sample()
    months = mrrkit.monthly(mv).index
    assert at.select_slider[0].value == (str(months[0]), str(months[-1]))
    assert len(at.toast) == 2


def test_an_upload_replaces_the_sample_and_the_sample_stays_one_click_away():
    from streamlit.testing.v1 import AppTest

    from tests._pages import ROOT, TIMEOUT
    from ui.data import Source, lines_digest

    lines, _, _ = sample()
    small = lines[lines["company_size"] == "1000+"]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["source"] = Source("my export", f"test:{lines_digest(small)}", small, "USD")
    at.run()
    assert_clean(at)
    summary = mrrkit.kpis(mrrkit.movements(small))
    assert _metrics(at)["MRR"].value == number_format("en", "USD").money(summary.at["mrr", "value"])
    assert "my export" in at.sidebar.caption[0].value
    at.sidebar.radio[0].set_value("sample").run()
    assert _metrics(at)["MRR"].value == EN.money(mrrkit.kpis(sample()[1]).at["mrr", "value"])


# --- an attribute column found in uploaded data filters every page -------------------------------


def _upload_with_region():
    """The sample's lines with an attribute the app has never heard of, as an upload."""
    lines, _, _ = sample()
    number = lines["customer_id"].str[4:].astype(int)
    region = pd.Series(["north", "south", "east"], dtype="str").iloc[number % 3].to_numpy()
    return lines.assign(region=region)


def _open_upload(path: str, params: dict):
    from streamlit.testing.v1 import AppTest

    from tests._pages import ROOT, TIMEOUT
    from ui.data import Source, lines_digest

    lines = _upload_with_region()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if path != "app.py":
        at.switch_page(path)
    at.session_state["source"] = Source("regions.csv", f"test:{lines_digest(lines)}", lines, "EUR")
    at.query_params.update(params)
    return at.run(), lines


def _region_movements(lines, regions):
    mv = mrrkit.movements(lines)
    attrs = mrrkit.customer_attributes(lines)
    return mrrkit.filter_movements(mv, attrs.index[attrs["region"].isin(regions)])


@pytest.mark.parametrize("path", ["app.py", "pages/1_Movements.py", "pages/2_Cohorts.py",
                                  "pages/3_Segments.py", "pages/4_Customers.py"])
def test_an_uploaded_attribute_filters_every_page(path):
    from mrrkit.views.cohort_tables import cohort_table
    from mrrkit.views.customers import customer_summary
    from mrrkit.views.segments import segment_labels, segment_table
    from tests._pages import table

    at, lines = _open_upload(path, {"f.region": "north"})
    assert_clean(at)
    assert at.multiselect(key="w:f.region").value == ["north"]  # found in the data, offered
    assert at.query_params["f.region"] == "north"
    assert not at.toast
    part = _region_movements(lines, ["north"])
    everyone = mrrkit.movements(lines)
    if path == "app.py":
        value = EN.money(mrrkit.kpis(part).at["mrr", "value"])
        assert _metrics(at)["MRR"].value == value != EN.money(mrrkit.kpis(everyone).at["mrr", "value"])
    elif path.endswith("Movements.py"):
        month = mrrkit.monthly(part).index[-1]
        assert table(at, 0).at[month_label(str(month)), "Churn"] == EN.money(
            mrrkit.monthly(part).at[month, "churn"], signed=True)
    elif path.endswith("Cohorts.py"):
        p = at.query_params
        tab = cohort_table(part, "mrr", "month", part.as_of, p["from"], p["to"])
        assert table(at, 0).iloc[1]["Month 1"] == EN.pct(tab.iloc[0][1])
    elif path.endswith("Segments.py"):
        at.selectbox(key="w:seg.dim").set_value("region").run()
        assert at.query_params["seg.dim"] == "region"
        labels = segment_labels(mrrkit.customer_attributes(lines), ["region"])
        p = at.query_params
        stats = segment_table(part, labels["region"], p["from"], p["to"])
        shown = table(at, 0)
        assert list(shown.index) == ["north"]  # the filter leaves one region
        assert shown.at["north", "MRR"] == EN.money(stats.at["north", "mrr"])
    else:
        shown = at.dataframe[0].value
        assert set(shown["Region"]) == {"north"}
        assert len(shown) == min(250, len(customer_summary(part)))


# --- every page: every table downloadable, every chart an Altair chart with tooltips -----------


@pytest.mark.parametrize(("path", "params"), [
    ("app.py", {}),
    ("pages/1_Movements.py", {}),
    ("pages/1_Movements.py", {"mv.kind": "mrr_end"}),
    ("pages/2_Cohorts.py", {"coh.by": "quarter"}),
    ("pages/3_Segments.py", {}),
    ("pages/4_Customers.py", {"lang": "it"}),
    ("pages/5_Scenarios.py", {"sc.backtest": "1"}),
    ("pages/6_Expansion.py", {"lang": "fr"}),
])
def test_every_table_downloads_and_every_chart_has_tooltips(path, params):
    at = open_page(path, params)
    assert_clean(at)
    buttons = at.get("download_button")
    tables = at.dataframe
    if path != "app.py":
        assert len(tables) >= 2
    assert len(buttons) == 2 * len(tables)  # CSV and Excel under each table
    labels = [b.proto.label for b in buttons]
    assert labels.count("⬇ CSV") == labels.count("⬇ Excel") == len(tables)
    charts = specs(at)
    assert charts
    for spec in charts:
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")  # Altair's
        assert any(t for t in tooltips(spec)), spec.get("layer", spec).__class__
        assert spec["config"]["locale"]["number"]["decimal"] == ("," if params.get("lang") else ".")


ALL_PAGES = ["app.py", "pages/1_Movements.py", "pages/2_Cohorts.py", "pages/3_Segments.py",
             "pages/4_Customers.py", "pages/5_Scenarios.py", "pages/6_Expansion.py"]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_a_filter_leaving_only_churned_customers_renders_every_page(path):
    """Every customer whose churn reason is 'budget' has left by the last month: nothing runs at
    the end of the period, and each page still renders (empty lists are lists, not errors)."""
    lines, mv, labels = sample()
    ids = labels.index[labels["churn_reason"] == "budget"]
    running = lines[lines["customer_id"].isin(ids) & lines["end"].isna()]
    assert len(ids) and running.empty  # the premise: a segment of churned customers only
    at = open_page(path, {"f.churn_reason": "budget"})
    assert_clean(at)
    assert at.multiselect(key="w:f.churn_reason").value == ["budget"]
    # The page says what such a filter shows and where lost MRR is broken down by reason.
    assert [i.value for i in at.info if "Only customers who left" in i.value] == [
        text("en")("sidebar.churn_reason_filter", reasons="budget")]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_bare_lines_without_attributes_render_every_page(path):
    """An upload of only customer_id, start, end, mrr: no segment to pick, no churn reason,
    lines named by their number; every page still says what it can."""
    from streamlit.testing.v1 import AppTest

    from tests._pages import ROOT, TIMEOUT, table
    from ui.data import Source, lines_digest

    lines, _, _ = sample()
    bare = lines[["customer_id", "start", "end", "mrr"]]
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if path != "app.py":
        at.switch_page(path)
    at.session_state["source"] = Source("bare.csv", f"test:{lines_digest(bare)}", bare, "USD")
    at.run()
    assert_clean(at)
    assert not [m for m in at.sidebar.multiselect if m.key.startswith("w:f.")]
    if path.endswith("Segments.py"):
        assert at.info[0].value == "This data has no attribute column to split customers by."
    if path.endswith("Movements.py"):
        shown = table(at, 2)
        assert shown["Lines that changed"].str.startswith("ends Line ").all()
        assert "Churn reason" not in shown.columns
        assert shown["Change"].iloc[0].startswith("-$")


def test_every_page_change_keeps_the_period_filters_and_language():
    """The menu's page changes (issue 11): on the next page the period, the filters and the
    language are the ones chosen, never the defaults. Streamlit keeps a widget's own state per
    page; before the fix the period came back as one month (a crash) or as the last 12 months."""
    at = open_page("app.py", {"from": "2025-06", "to": "2026-03", "f.industry": "Software",
                              "lang": "fr"})
    assert_clean(at)
    for path in [*ALL_PAGES[1:], "pages/0_Data.py", *ALL_PAGES]:
        at.switch_page(HOME if path == "app.py" else path).run()
        assert_clean(at)
        assert at.selectbox(key="w:lang").value == "fr", path
        if path == "pages/0_Data.py":
            continue  # no period or filters there; they come back on the next page
        assert at.select_slider(key="w:from:to").value == ("2025-06", "2026-03"), path
        assert at.multiselect(key="w:f.industry").value == ["Software"], path
        assert at.query_params["from"] == "2025-06" and at.query_params["to"] == "2026-03"


def _quick(at):
    return next(b for b in at.get("button_group") if b.key == "_mrrkit_quick_period")


def test_quick_periods_set_the_period_and_follow_the_fiscal_year():
    """Issue 11, item 10: the periods finance people use, besides the slider. The sample is at
    Oct 31, 2026 (a complete month)."""
    at = open_page("app.py")
    assert_clean(at)
    assert _quick(at).value == "last_12"  # the default period is the last 12 months: shown
    _quick(at).set_value("ytd").run()
    assert_clean(at)
    assert at.select_slider(key="w:from:to").value == ("2026-01", "2026-10")
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-01", "2026-10")
    assert _quick(at).value == "ytd"
    _quick(at).set_value("last_quarter").run()
    assert at.select_slider(key="w:from:to").value == ("2026-07", "2026-09")
    at.selectbox(key="w:fy").set_value(4).run()  # a fiscal year from April
    assert at.query_params["fy"] == "4"
    _quick(at).set_value("last_fiscal_year").run()
    assert at.select_slider(key="w:from:to").value == ("2025-04", "2026-03")
    _quick(at).set_value("ytd").run()
    assert at.select_slider(key="w:from:to").value == ("2026-04", "2026-10")
    # The slider moved by hand to a period no button names: none is highlighted.
    at.select_slider(key="w:from:to").set_value(("2024-02", "2024-05")).run()
    assert _quick(at).value is None


@pytest.mark.parametrize("period, button", [
    (("2025-03", "2026-06"), None),  # no button names it: none highlighted, not the default's
    (("2026-05", "2026-10"), "last_6"),
    (("2010-01", "2026-10"), None),  # clamped to the data's first month: not a button's either
])
def test_a_links_period_highlights_its_quick_period_from_the_first_run(period, button):
    # Found clicking a shared link: its first run highlighted "12 months" whatever the link's
    # period (the buttons are drawn above the slider, which had not read the link yet).
    at = open_page("app.py", {"from": period[0], "to": period[1]})
    assert_clean(at)
    assert _quick(at).value == button
    at.run()  # (and on the next run)
    assert _quick(at).value == button


def test_a_period_link_outside_the_data_is_clamped_and_says_so():
    at = open_page("app.py", {"from": "2010-01", "to": "2026-03"})
    assert_clean(at)
    assert at.select_slider(key="w:from:to").value[0] == "2022-11"  # the sample's first month
    assert [t.proto.body for t in at.toast] == [
        "Link value from=2010\\-01 is outside the data: showing 2022\\-11 instead."]


def test_link_values_in_notices_are_never_markdown():
    """Issue 12: a crafted link put an image and a phishing link inside the app's own toast."""
    evil = "![t](http://attacker/p.png) [Session expired](http://attacker)"
    at = open_page("pages/3_Segments.py", {"lang": evil, "seg.dim": evil, evil: "1"})
    assert_clean(at)
    bodies = [t.proto.body for t in at.toast]
    assert len(bodies) == 3, bodies
    for body in bodies:
        assert "](" not in body and "![" not in body, body
        assert "\\!\\[t\\]\\(http\u2060\\:\\/\\/attacker\\/p\\.png\\)" in body


def _chart_fields_missing(chart) -> list[str]:
    """Fields a chart's layers encode that their data does not have (or has only empty): a
    mark drawn at nothing (the Scenarios page's retention curve had no ``age``, its points and
    line were never drawn and no test saw it)."""
    import pyarrow as pa

    spec = json.loads(chart.proto.spec)
    frames = {d.name: pa.ipc.open_stream(d.data.data).read_all() for d in chart.proto.datasets}
    missing = []
    for i, layer in enumerate(spec.get("layer", [spec])):
        name = (layer.get("data") or spec.get("data") or {}).get("name")
        if name not in frames:
            continue
        table = frames[name]
        made = {a for step in layer.get("transform", []) + spec.get("transform", [])
                for a in ([step["as"]] if isinstance(step.get("as"), str) else step.get("as", []))}
        for channel, enc in layer.get("encoding", {}).items():
            for item in enc if isinstance(enc, list) else [enc]:
                field = item.get("field") if isinstance(item, dict) else None
                if not field or field in made or item.get("aggregate") == "count":
                    continue
                if field not in table.column_names:
                    missing.append(f"layer {i} {channel}: no {field!r}")
                elif len(table) and table.column(field).null_count == len(table):
                    missing.append(f"layer {i} {channel}: {field!r} all empty")
    return missing


@pytest.mark.parametrize("path, params", [
    ("app.py", {}), ("pages/1_Movements.py", {}), ("pages/2_Cohorts.py", {}),
    ("pages/3_Segments.py", {}), ("pages/4_Customers.py", {}), ("pages/5_Scenarios.py", {}),
    ("pages/5_Scenarios.py", {"sc.ret_dim": "company_size"}), ("pages/6_Expansion.py", {}),
])
def test_every_chart_layer_has_the_fields_it_draws(path, params):
    at = open_page(path, params)
    assert_clean(at)
    charts = at.get("vega_lite_chart")
    assert charts
    for chart in charts:
        assert not _chart_fields_missing(chart), json.loads(chart.proto.spec).get("title")


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_follows_the_definitions_chosen_and_says_so(path):
    """Issue 15: a deep link with ``defs=fincome`` opens any page under Fincome's definitions
    (month snapshots): the caption under the title names them, the figures are mrrkit's under
    them, and the choice stays in the address."""
    at = open_page(path, {"defs": "fincome", "from": "2025-11", "to": "2026-10"})
    assert_clean(at)
    assert at.selectbox(key="w:defs").value == "fincome"
    assert "Figures under the Fincome definitions" in [c.value for c in at.caption]
    assert at.query_params["defs"] == "fincome"
    if path == "app.py":
        lines, _, _ = sample()
        as_of = at.date_input(key="w:asof").value
        expected = mrrkit.kpis(mrrkit.movements(lines, as_of=as_of, definitions="fincome"),
                               "2026-10")
        tiles = _metrics(at)
        assert tiles["MRR"].value == EN.money(round(expected.loc["mrr", "value"]), 0)


def test_switching_the_definitions_changes_the_figures_and_back():
    at = open_page("pages/1_Movements.py", {"from": "2025-11", "to": "2026-10"})
    assert_clean(at)
    assert not [c for c in at.caption if c.value.startswith("Figures under")]
    before = [m.value for m in at.metric]
    at.selectbox(key="w:defs").set_value("maxio").run()
    assert_clean(at)
    assert at.query_params["defs"] == "maxio"
    assert "Figures under the Maxio definitions" in [c.value for c in at.caption]
    at.selectbox(key="w:defs").set_value("mrrkit").run()
    assert_clean(at)
    assert [m.value for m in at.metric] == before
    assert "defs" not in at.query_params


def test_what_changes_under_other_definitions_and_who():
    """Issue 15: the Overview says what the chosen definitions change over the last 12 months
    (mrrkit's figures against theirs, as mrrkit.compare_definitions computes them) and how many
    customers they classify otherwise; one click lists those customers on the Customers page."""
    at = open_page("app.py", {"defs": "maxio", "from": "2025-11", "to": "2026-10"})
    assert_clean(at)
    [expander] = [e for e in at.main.expander if e.label == "What changes under the Maxio definitions"]
    shown = expander.dataframe[0].value
    lines, _, _ = sample()
    as_of = at.date_input(key="w:asof").value
    own = mrrkit.movements(lines, as_of=as_of)
    other = mrrkit.movements(lines, as_of=as_of, definitions="maxio")
    expected = mrrkit.compare_definitions((own, other), None, "2026-10")
    theirs = dict(zip(shown["Figure"], shown["Under them"]))
    assert theirs["MRR at the month's end"] == EN.money(expected.loc["mrr", "other"], 0)
    assert theirs["NRR over the 12 months"] == EN.pct(expected.loc["nrr_12m", "other"], 1)
    assert theirs["GRR over the 12 months"] == EN.pct(expected.loc["grr_12m", "other"], 1)
    # The difference is that of the figures as shown.
    nrr = shown.set_index("Figure").loc["NRR over the 12 months"]
    as_shown = round(expected.loc["nrr_12m", "other"], 3) - round(expected.loc["nrr_12m", "mrrkit"], 3)
    assert nrr["Difference"] == EN.pts(as_shown, 1)
    changed = mrrkit.reclassified_customers((own, other), None, "2025-11", "2026-10")
    assert f"{len(changed)} customers' movements of these 12 months are classified otherwise" in (
        " ".join(c.value for c in at.caption))
    # The link (a page link: tested in Chromium, tests/e2e/test_journey.py) opens this.
    at = open_page("pages/4_Customers.py", {"defs": "maxio", "from": "2025-11", "to": "2026-10",
                                            "cus.diff": "changed"})
    assert_clean(at)
    listed = at.dataframe[0].value
    assert len(listed) == min(len(changed), 250)
    # Under mrrkit's own definitions there is nothing to compare.
    plain = open_page("app.py", {"from": "2025-11", "to": "2026-10"})
    assert not [e for e in plain.main.expander if e.label.startswith("What changes")]


def test_a_switch_set_by_hand_makes_custom_definitions_kept_in_the_link():
    """Issue 15's "advanced" panel: every switch, set as the preset says; one changed by hand is
    in the address (only where it differs from the preset), named under the title, and the
    figures follow; another preset starts the switches again from its own values."""
    at = open_page("app.py", {"defs": "chartmogul", "from": "2025-11", "to": "2026-10"})
    assert_clean(at)
    assert at.selectbox(key="w:d.pauses").value == "keep"  # the preset's
    # "Never" is a choice shown as such (a selectbox would show None as no choice at all).
    assert at.selectbox(key="w:d.reactivation_window").value == "never"
    assert not [k for k in at.query_params if k.startswith("d.")]
    at.selectbox(key="w:d.grain").set_value("month").run()
    assert_clean(at)
    assert at.query_params["d.grain"] == "month"
    # The switch changed by hand from the preset's, and only it, named with the preset.
    [said] = [c.value for c in at.caption if c.value.startswith("Figures under your")]
    assert said == ("Figures under your definitions (from ChartMogul's) · "
                    "Movements: month-end snapshots")
    lines, _, _ = sample()
    as_of = at.date_input(key="w:asof").value
    own = mrrkit.Definitions.preset("chartmogul")
    import dataclasses
    custom = dataclasses.replace(own, grain="month")
    expected = mrrkit.kpis(mrrkit.movements(lines, as_of=as_of, definitions=custom), "2026-10")
    assert _metrics(at)["Quick ratio"].value == EN.ratio(expected.loc["quick_ratio", "value"], 2)
    at.selectbox(key="w:defs").set_value("baremetrics").run()
    assert_clean(at)
    assert at.selectbox(key="w:d.grain").value == "event"
    assert at.selectbox(key="w:d.delinquency").value == 30
    assert not [k for k in at.query_params if k.startswith("d.")]

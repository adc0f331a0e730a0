"""Expansion page: every figure is mrrkit.expansion's on the selected customers; the split adds up
to the monthly table's expansion; top plans default to the highest-priced family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.views.expansion import (
    expansion_breakdown,
    expansion_breakdown_by_month,
    expansion_by_cohort,
    expansion_by_segment,
    expansion_summary,
    near_tier_limit,
    top_plan_customers,
)
from tests._pages import ROOT, TIMEOUT, assert_clean, open_page, sample, segment, specs, tooltips
from ui.format import number_format
from ui.shell import month_label

PAGE = "pages/6_Expansion.py"
EN = number_format("en", "EUR")
ENTERPRISE = ["Enterprise annual", "Enterprise monthly"]


@pytest.fixture(scope="module")
def expansion_page():
    return open_page(PAGE)


def _period(at):
    p = at.query_params
    return pd.Period(p["from"], "M"), pd.Period(p["to"], "M")


def test_expansion_over_time_is_mrrkit(expansion_page):
    assert_clean(expansion_page)
    _, mv, _ = sample()
    start, end = _period(expansion_page)
    summary = expansion_summary(mv).loc[start:end]
    table = expansion_page.dataframe[0].value
    assert list(table.index) == [month_label(str(m)) for m in summary.index]
    last = summary.iloc[-1]
    row = table.iloc[-1]
    assert row["Expansion MRR"] == EN.money(last["expansion"])
    assert row["Expansion rate"] == EN.pct(last["expansion_rate"])
    assert row["Expansion growth"] == EN.pct(last["expansion_growth_rate"])
    assert row["Share of net new MRR"] == EN.pct(last["expansion_share_of_net_new"])
    tiles = {m.label: m.value for m in expansion_page.metric}
    assert tiles["Expansion MRR"] == EN.money(last["expansion"])
    assert expansion_page.caption[1].value.startswith(f"Figures for {month_label(str(end))};")
    negative = summary["net_negative_churn"]
    assert tiles["Negative net churn"] == f"{negative.sum()} / {len(summary)}"
    # the flagged months, in the table and in words
    assert list(table["Negative net churn"] == "Yes") == list(negative)
    assert negative.any()  # the sample has some: the message lists them
    flagged = ", ".join(month_label(str(m)) for m in summary.index[negative.to_numpy()])
    assert flagged in expansion_page.success[0].value


def test_charts(expansion_page):
    charts = specs(expansion_page)
    over_time = charts[0]
    assert [layer["mark"]["type"] for layer in over_time["layer"]] == ["bar", "line"]
    assert over_time["resolve"]["scale"]["y"] == "independent"
    assert tooltips(over_time)[0] == ["Month", "Expansion MRR", "Expansion rate",
                                      "Expansion growth", "Negative net churn"]
    assert charts[1]["encoding"]["y"]["axis"]["format"] == "%"
    assert charts[2]["encoding"]["color"]["scale"]["domain"] == [
        "Upsell", "Cross-sell / add-on", "Price increase"]
    assert charts[3]["encoding"]["color"]["scale"]["scheme"] == "greens"
    assert tooltips(charts[4])[0][:2] == ["Segment", "Expansion MRR"]


def test_split_adds_up_to_the_monthly_expansion(expansion_page):
    lines, mv, _ = sample()
    start, end = _period(expansion_page)
    by_month = expansion_breakdown_by_month(expansion_breakdown(lines, data=mv)).loc[start:end]
    totals = expansion_page.dataframe[1].value
    for kind, label in (("upsell", "Upsell"), ("cross_sell", "Cross-sell / add-on"),
                        ("price_increase", "Price increase")):
        assert totals.at[label, "Expansion MRR"] == EN.money(by_month[kind].sum())
    monthly = mrrkit.monthly(mv).loc[start:end]
    assert totals.at["Total", "Expansion MRR"] == EN.money(monthly["expansion"].sum())
    assert np.allclose(by_month["total"].to_numpy(), monthly["expansion"].to_numpy())


def test_by_cohort_and_by_segment(expansion_page):
    lines, mv, _ = sample()
    start, end = _period(expansion_page)
    as_of = min(end.end_time.normalize(), mv.as_of)
    cohorts = expansion_by_cohort(mv, as_of=as_of).loc[start:end]
    table = expansion_page.dataframe[2].value
    assert list(table.index) == [month_label(str(c)) for c in cohorts.index]
    assert table.iloc[0]["1"] == EN.pct(cohorts.iloc[0][1])
    assert table.iloc[0]["Total so far"] == EN.pct(cohorts.iloc[0].sum())

    seg = expansion_by_segment(lines, "plan", data=mv, start=str(start - 1), end=str(end))
    shown = expansion_page.dataframe[3].value
    assert list(shown.index) == list(seg.index)  # largest expansion first
    assert shown.iloc[0]["Expansion MRR"] == EN.money(seg["expansion"].iloc[0])
    assert shown.iloc[0]["Expansion / starting MRR"] == EN.pct(seg["expansion_rate"].iloc[0])
    # Issue 11: expanded customers split by whether they were there at the start, so that no
    # count exceeds 'Customers at start' without saying why.
    assert list(shown.columns) == [
        "Customers at start", "MRR at start", "Expansion MRR", "Expanded, of customers at start",
        "Expanded, joined or back in the period", "Expansion / starting MRR",
        "Share of expansion"]
    for name, row in seg.iterrows():
        assert shown.at[name, "Customers at start"] == EN.count(row["customers"])
        assert shown.at[name, "Expanded, of customers at start"] == EN.count(
            row["expanded_start_customers"])
        assert shown.at[name, "Expanded, joined or back in the period"] == EN.count(
            row["expanded_joined_customers"])
    assert (seg["expanded_start_customers"] <= seg["customers"]).all()
    assert (seg["expanded_joined_customers"] > 0).any()  # the sample has some
    assert tooltips(specs(expansion_page)[4])[0][-2:] == [
        "Expanded, of customers at start", "Expanded, joined or back in the period"]


def test_segment_and_cohort_charts_label_every_band():
    """Issue 11: Industry = Healthcare split by company size drew 5 bars and labelled 3.
    Streamlit's theme sets labelOverlap (hide every other label once two touch) and labelFlush
    on every axis, and the chart's fixed total height left ~17 px a band: the category axes now
    turn both off and give each band its own height."""
    from ui.charts import BAND_STEP

    at = open_page(PAGE, {"f.industry": "Healthcare", "ex.dim": "company_size"})
    assert_clean(at)
    lines, _, _ = sample()
    start, end = _period(at)
    seg = expansion_by_segment(lines, "company_size", data=segment({"industry": ["Healthcare"]}),
                               start=str(start - 1), end=str(end))
    heatmap, bars = specs(at)[3:5]
    assert bars["encoding"]["y"]["sort"] == list(seg.index) and len(seg) == 5
    for spec in (heatmap, bars):
        axis = spec["encoding"]["y"]["axis"]
        assert axis["labelOverlap"] is False and axis["labelFlush"] is False
        assert axis["labelLimit"] >= 240
        assert spec["height"] == {"step": BAND_STEP}  # not a total shared with the axes
    assert BAND_STEP >= 20  # a 12-13 px label and Streamlit's label padding fit in a band


def test_top_plans_default_to_the_enterprise_family(expansion_page):
    lines, _, _ = sample()
    assert expansion_page.multiselect(key="ex.top").value == ENTERPRISE
    top = top_plan_customers(lines, top_plan=ENTERPRISE, as_of="2026-10-31")
    table = expansion_page.dataframe[4].value
    assert len(table) == len(top) > 0
    tiles = {m.label: m.value for m in expansion_page.metric}
    assert tiles["Customers at the top plan"] == EN.count(len(top))
    assert tiles["No room left"] == EN.count(top["no_room"].sum())
    assert table.iloc[0]["MRR"] == EN.money(top["mrr"].iloc[0])
    assert any(c.value == "Paying lines on 2026-10-31. Top plans: Enterprise annual, Enterprise "
               "monthly." for c in expansion_page.caption)
    # mrrkit's own default misses the annual Enterprise plan on the main product
    assert "Platform: Enterprise annual" not in top_plan_customers(lines).attrs["top_plans"]
    # The sample carries usage: the lines near their tier limit are listed, as mrrkit says.
    assert not any("usage_limit" in i.value for i in expansion_page.info)
    near = near_tier_limit(lines, 0.8, as_of="2026-10-31")
    assert len(near) > 100
    assert tiles["Lines near the limit"] == EN.count(len(near))
    assert expansion_page.dataframe[5].value.iloc[0]["Share of the limit"] == EN.pct(
        near["usage_share"].iloc[0])


def test_filters_and_link_choices_change_the_numbers():
    at = open_page(PAGE, {"f.channel": "referral", "ex.dim": "industry", "ex.top": "Pro monthly",
                          "lang": "it"})
    assert_clean(at)
    it = number_format("it", "EUR")
    lines, mv, labels = sample()
    part = segment({"channel": ["referral"]})
    start, end = _period(at)
    summary = expansion_summary(part).loc[start:end]
    assert at.dataframe[0].value.iloc[-1]["MRR di espansione"] == it.money(summary["expansion"].iloc[-1])
    assert summary["expansion"].iloc[-1] != expansion_summary(mv)["expansion"].loc[end]
    seg = expansion_by_segment(lines, "industry", data=part, start=str(start - 1), end=str(end))
    seg = seg[(seg["customers"] > 0) | (seg["expanded_customers"] > 0)]
    assert list(at.dataframe[3].value.index) == list(seg.index)
    ids = labels.index[labels["channel"] == "referral"]
    top = top_plan_customers(lines[lines["customer_id"].isin(ids)], top_plan=["Pro monthly"],
                             as_of="2026-10-31")
    assert at.multiselect(key="ex.top").value == ["Pro monthly"]
    assert len(at.dataframe[4].value) == len(top)


def test_bad_link_values_fall_back():
    at = open_page(PAGE, {"ex.dim": "shoe_size", "ex.top": "Diamond"})
    assert_clean(at)
    assert at.selectbox(key="w:ex.dim").value == "plan"
    assert at.multiselect(key="ex.top").value == []  # the known ones (none) are kept
    assert len(at.toast) == 2


def test_customers_near_their_tier_limit_when_usage_is_known():
    """An upload with usage columns lists the lines near their limit, as mrrkit does."""
    from streamlit.testing.v1 import AppTest

    from ui.data import Source, lines_digest

    lines = sample()[0]
    rng = np.random.default_rng(5)
    limit = np.where(lines["plan"].str.startswith("Enterprise"), 10_000.0, 1_000.0)
    with_usage = lines.assign(usage_limit=limit, usage=np.round(limit * rng.uniform(0, 1, len(lines))))
    source = Source("usage", f"usage:{lines_digest(with_usage)}", with_usage)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["source"] = source
    at.switch_page(PAGE)
    at.run()
    assert_clean(at)
    near = near_tier_limit(with_usage, 0.8, as_of="2026-10-31")
    table = at.dataframe[-1].value
    assert len(table) == len(near) > 0
    assert list(table["Customer"]) == list(near["customer_id"])
    assert table.iloc[0]["Share of the limit"] == EN.pct(near["usage_share"].iloc[0])
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Lines near the limit"] == EN.count(len(near))
    assert tiles["Customers"] == EN.count(near["customer_id"].nunique())
    assert tiles["Their MRR"] == EN.money(near["mrr"].sum())
    # A stricter threshold, from the page's own choice (and in the link).
    at.selectbox(key="w:ex.near").set_value(95).run()
    assert_clean(at)
    strict = near_tier_limit(with_usage, 0.95, as_of="2026-10-31")
    assert 0 < len(strict) < len(near)
    assert len(at.dataframe[-1].value) == len(strict)
    assert at.query_params["ex.near"] == "95"


def test_near_tier_limit_from_an_uploaded_file():
    """Usage columns read from a file (text, as the Data page reads any extra column) work the
    same; so does a link asking for another threshold."""
    import io

    from streamlit.testing.v1 import AppTest

    from mrrkit.io.read import read_export
    from ui.data import Source, lines_digest

    lines = sample()[0]
    rng = np.random.default_rng(8)
    limit = np.where(lines["plan"].str.startswith("Enterprise"), 50.0, 10.0)
    usage = np.round(limit * rng.uniform(0.2, 1.05, len(lines)))
    buffer = io.BytesIO(lines.assign(usage=usage, usage_limit=limit).to_csv(index=False).encode())
    upload = read_export(buffer.getvalue()).lines
    assert upload["usage"].dtype == "str"  # as the Data page hands them over
    source = Source("upload", f"upload:{lines_digest(upload)}", upload)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["source"] = source
    at.switch_page(PAGE)
    at.query_params.update({"ex.near": "100", "lang": "fr"})
    at.run()
    assert_clean(at)
    assert not at.toast
    near = near_tier_limit(upload, 1.0, as_of="2026-10-31")
    assert len(near) > 0 and (near["usage_share"] >= 1).all()
    table = at.dataframe[-1].value
    assert list(table["Client"]) == list(near["customer_id"])
    assert any(number_format("fr", "EUR").pct(1.0, 0) in c.value for c in at.caption)


def test_a_long_list_shows_its_first_thousand_rows_and_downloads_them_all():
    """Every paying line near its limit (more than the screen takes): the first 1,000, fullest
    first, are drawn and a caption says so (the page hands the whole list to the downloads)."""
    from streamlit.testing.v1 import AppTest

    from ui.data import Source, lines_digest

    lines = sample()[0]
    full = lines.assign(usage_limit=100.0,
                        usage=np.linspace(90.0, 99.0, len(lines)).round())  # all near
    source = Source("usage", f"usage:{lines_digest(full)}", full)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.session_state["source"] = source
    at.switch_page(PAGE)
    at.run()
    assert_clean(at)
    near = near_tier_limit(full, 0.8, as_of="2026-10-31")
    assert len(near) > 1_000
    table = at.dataframe[-1].value
    assert list(table["Customer"]) == list(near["customer_id"].head(1_000))
    captions = [c.value for c in at.caption]
    total = EN.count(len(near))
    assert f"The 1,000 fullest lines of {total} are shown; the downloads have them all." in captions
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Lines near the limit"] == EN.count(len(near))  # the tiles count them all

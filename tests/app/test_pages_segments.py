"""Segments page: the comparison table is mrrkit.views.segments.segment_table in words and numbers; the
chart colours each segment by its test; MRR lost by the reason recorded with each churn."""

from __future__ import annotations

import numpy as np
import pytest

import mrrkit
from mrrkit.views.segments import churn_by_reason, churn_reason_by_month, churn_reasons, segment_table
from tests._pages import (
    assert_clean,
    chart_data,
    open_page,
    sample,
    segment,
    shown_text,
    specs,
    table,
    tooltips,
)
from ui.format import number_format
from ui.i18n import text, verdict
from ui.shell import month_label

PAGE = "pages/3_Segments.py"
EN = number_format("en", "EUR")


@pytest.fixture(scope="module")
def segments_page():
    return open_page(PAGE)


def test_table_matches_mrrkit(segments_page):
    assert_clean(segments_page)
    lines, mv, labels = sample()
    p = segments_page.query_params
    stats = segment_table(mv, labels["company_size"], p["from"], p["to"])
    shown = table(segments_page, 0)
    assert list(shown.index) == list(stats.index)
    row = stats.loc["1-10"]
    assert shown.at["1-10", "Customer churn"] == EN.pct(row["churn_rate"])
    assert shown.at["1-10", "Churn 95% CI"] == f"{EN.pct(row['churn_low'])} – {EN.pct(row['churn_high'])}"
    assert shown.at["1-10", "Churn vs the rest"] == verdict(
        "churn", row["churn_vs_rest"], row["churn_p"], text("en"), EN)
    assert shown.at["1-10", "NRR"] == EN.pct(row["nrr"])
    assert shown.at["1-10", "NRR 95% CI"] == f"{EN.pct(row['nrr_low'])} – {EN.pct(row['nrr_high'])}"
    assert shown.at["1-10", "MRR share"] == EN.pct(row["mrr_share"])
    assert shown.at["1-10", "ARPA"] == EN.money(row["arpa"])
    assert shown.at["1-10", "Expansion share"] == EN.pct(row["expansion_share"])
    assert shown.at["1-10", "MRR lost to churn"] == EN.money(row["churned_mrr"])
    # the sample's small companies churn far more than the rest: said in plain words
    assert shown.at["1-10", "Churn vs the rest"].startswith("churns 2.")
    assert "p < 0.0" in shown.at["1-10", "Churn vs the rest"]
    # numbers sort by value
    raw = segments_page.dataframe[0].value
    assert raw["MRR"].dtype == "float64"


def test_rate_chart_coloured_by_the_test(segments_page):
    charts = specs(segments_page)
    assert [layer["mark"]["type"] for layer in charts[0]["layer"]] == ["rule", "point", "rule"]
    assert tooltips(charts[0])[1] == ["Segment", "Customer churn", "95% low", "95% high",
                                      "Customers at start", "vs the rest"]
    points = chart_data(segments_page, 0)[charts[0]["layer"][1]["data"]["name"]].set_index("segment")
    _, mv, labels = sample()
    p = segments_page.query_params
    stats = segment_table(mv, labels["company_size"], p["from"], p["to"])
    for seg, row in stats.iterrows():
        significant = row["churn_p"] < 0.05
        expected = ("no clear difference" if not significant else
                    "worse than the rest" if row["churn_vs_rest"] > 1 else "better than the rest")
        assert points.at[seg, "side"] == expected, seg
    assert points.at["1-10", "side"] == "worse than the rest"
    assert points.at["1000+", "side"] == "better than the rest"


def test_mrr_lost_by_the_reason_recorded_with_each_churn(segments_page):
    lines, mv, labels = sample()
    p = segments_page.query_params
    reasons = churn_reasons(lines, mv)
    lost = churn_by_reason(mv, reasons, p["from"], p["to"], labels["company_size"])
    reasons_table = table(segments_page, 1)
    assert reasons_table.at["1-10", "budget"] == EN.money(lost.at["1-10", "budget"])
    assert reasons_table.at["1-10", "MRR lost"] == EN.money(lost.loc["1-10"].sum())
    # The customer's latest attribute would put some churns under "(none)": not so here.
    assert "(none)" not in reasons_table.columns
    latest = churn_by_reason(mv, mrrkit.customer_attributes(lines)["churn_reason"], p["from"],
                             p["to"], labels["company_size"])
    assert latest.at["1-10", "budget"] != lost.at["1-10", "budget"]
    charts = specs(segments_page)
    assert charts[1]["encoding"]["color"]["field"] == "reason"
    assert charts[2]["mark"]["type"] == "bar"


def test_reasons_by_month_add_up_to_the_monthly_churn(segments_page):
    lines, mv, _ = sample()
    p = segments_page.query_params
    by_month = churn_reason_by_month(mv, churn_reasons(lines, mv), p["from"], p["to"])
    monthly = mrrkit.monthly(mv).loc[p["from"]:p["to"]]
    shown = table(segments_page, 2)
    # Months as the chart and the captions write them (issue 11, item 9), not "2025-11".
    label = {m: month_label(str(m)) for m in monthly.index}
    assert list(shown.index) == list(label.values())
    for month in monthly.index:
        assert shown.at[label[month], "MRR lost"] == EN.money(-monthly.at[month, "churn"])
        assert shown.at[label[month], "budget"] == EN.money(by_month.at[month, "budget"])
    raw = segments_page.dataframe[2].value
    np.testing.assert_allclose(raw["MRR lost"].to_numpy(), -monthly["churn"].to_numpy(), atol=1e-6)


def test_filters_apply():
    at = open_page(PAGE, {"f.channel": "paid ads", "seg.dim": "company_size"})
    assert_clean(at)
    part = segment({"channel": ["paid ads"]})
    _, _, labels = sample()
    p = at.query_params
    stats = segment_table(part, labels["company_size"], p["from"], p["to"])
    shown = table(at, 0)
    assert shown.at["1-10", "Customers"] == EN.count(stats.at["1-10", "customers"])
    assert shown.at["1-10", "Customer churn"] == EN.pct(stats.at["1-10", "churn_rate"])


def test_dimension_and_metric_from_the_url():
    at = open_page(PAGE, {"seg.dim": "channel", "seg.metric": "nrr", "lang": "fr"})
    assert_clean(at)
    assert at.selectbox(key="w:seg.dim").value == "channel"
    assert list(at.dataframe[0].value.index) == ["inbound", "outbound", "paid ads", "partner",
                                                  "referral"]
    assert specs(at)[0]["layer"][0]["encoding"]["x"]["title"] == "NRR"
    assert at.query_params["seg.metric"] == "nrr"
    assert not at.toast


def test_bad_dimension_falls_back():
    at = open_page(PAGE, {"seg.dim": "email", "seg.metric": "ltv"})
    assert_clean(at)
    assert at.selectbox(key="w:seg.dim").value == "company_size"
    assert at.radio(key="w:seg.metric").value == "churn_rate"
    notices = shown_text(" ".join(t.value for t in at.toast))
    assert "seg.dim=email" in notices and "seg.metric=ltv" in notices

"""Segments page: the comparison table is mrrkit.segments.segment_table in words and numbers."""

from __future__ import annotations

import pytest

from mrrkit.segments import churn_by_reason, churn_reasons, segment_table
from tests._pages import assert_clean, open_page, sample, specs, tooltips
from ui.format import number_format
from ui.i18n import text, verdict

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
    shown = segments_page.dataframe[0].value
    assert list(shown.index) == list(stats.index)
    row = stats.loc["1-10"]
    assert shown.at["1-10", "Customer churn"] == EN.pct(row["churn_rate"])
    assert shown.at["1-10", "Churn 95% CI"] == f"{EN.pct(row['churn_low'])} – {EN.pct(row['churn_high'])}"
    assert shown.at["1-10", "Churn vs the rest"] == verdict(
        "churn", row["churn_vs_rest"], row["churn_p"], text("en"), EN)
    assert shown.at["1-10", "NRR"] == EN.pct(row["nrr"])
    assert shown.at["1-10", "MRR share"] == EN.pct(row["mrr_share"])
    # the sample's small companies churn far more than the rest: said in plain words
    assert shown.at["1-10", "Churn vs the rest"].startswith("churns ")
    assert "p < 0.0" in shown.at["1-10", "Churn vs the rest"]


def test_rate_chart_and_reasons(segments_page):
    charts = specs(segments_page)
    assert [layer["mark"]["type"] for layer in charts[0]["layer"]] == ["rule", "point", "rule"]
    assert tooltips(charts[0])[1][:2] == ["Segment", "Customer churn"]
    lines, mv, labels = sample()
    p = segments_page.query_params
    lost = churn_by_reason(mv, churn_reasons(lines, mv), p["from"], p["to"],
                           labels["company_size"])
    reasons_table = segments_page.dataframe[1].value
    assert reasons_table.at["1-10", "MRR lost"] == EN.money(lost.loc["1-10"].sum())
    assert charts[1]["encoding"]["color"]["field"] == "reason"
    assert charts[2]["mark"]["type"] == "bar"


def test_dimension_and_metric_from_the_url():
    at = open_page(PAGE, {"seg.dim": "channel", "seg.metric": "nrr", "lang": "fr"})
    assert_clean(at)
    assert at.selectbox(key="w:seg.dim").value == "channel"
    assert list(at.dataframe[0].value.index) == ["inbound", "outbound", "paid ads", "partner",
                                                  "referral"]
    assert specs(at)[0]["layer"][0]["encoding"]["x"]["title"] == "NRR"
    assert at.query_params["seg.metric"] == "nrr"


def test_bad_dimension_falls_back():
    at = open_page(PAGE, {"seg.dim": "email"})
    assert_clean(at)
    assert at.selectbox(key="w:seg.dim").value == "company_size"
    assert any("seg.dim=email" in t.value for t in at.toast)

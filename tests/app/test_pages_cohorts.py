"""Cohorts page: tables as mrrkit.cohort_views computes them, month or quarter, with the weighted
average row first (table and heatmap); segment curves; filters; URL state and its fallbacks."""

from __future__ import annotations

import pandas as pd
import pytest

from mrrkit.views.cohort_tables import cohort_average, cohort_curves, cohort_table
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

PAGE = "pages/2_Cohorts.py"
EN = number_format("en", "EUR")
FR = number_format("fr", "EUR")


@pytest.fixture(scope="module")
def cohorts_page():
    return open_page(PAGE)


def _expected(mv, value, by, start, end, as_of):
    freq = "M" if by == "month" else "Q"
    s, e = str(pd.Period(start, "M").asfreq(freq)), str(pd.Period(end, "M").asfreq(freq))
    return cohort_table(mv, value, by, as_of, s, e), cohort_average(mv, value, by, as_of, s, e)


def test_revenue_retention_by_month(cohorts_page):
    assert_clean(cohorts_page)
    _, mv, _ = sample()
    params = cohorts_page.query_params
    tab, avg = _expected(mv, "mrr", "month", params["from"], params["to"], mv.as_of)
    shown = table(cohorts_page, 0)
    assert list(shown.index) == ["Weighted average"] + [c.strftime("%b %Y") for c in tab.index]
    assert list(shown.columns[:3]) == ["Customers at start", "Month 0", "Month 1"]
    assert shown.iloc[0]["Month 1"] == EN.pct(avg[1])  # one decimal, as the issue asks
    assert shown.iloc[1]["Month 1"] == EN.pct(tab.iloc[0][1])
    assert shown.iloc[1]["Customers at start"] == EN.count(tab.attrs["size"].iloc[0])
    assert shown.iloc[0]["Customers at start"] == EN.count(tab.attrs["size"].sum())
    # Ages a cohort has not reached yet read as a dash (the grid would draw a null as "None").
    last = shown.iloc[-1]
    assert last["Month 1"] == "–" and tab.iloc[-1].isna().sum() == (last == "–").sum()
    assert not cohorts_page.dataframe[0].value.isna().any().any()


def test_heatmap_like_seed_004_with_the_average_row_first(cohorts_page):
    _, mv, _ = sample()
    params = cohorts_page.query_params
    tab, avg = _expected(mv, "mrr", "month", params["from"], params["to"], mv.as_of)
    heatmap = specs(cohorts_page)[0]
    cells, labels = heatmap["layer"]
    assert labels["mark"]["type"] == "text"
    assert labels["encoding"]["text"]["format"] == ".0%"  # whole percentages, like seed 004
    assert tooltips(heatmap)[0] == ["Cohort", "Age (months)", "Revenue retention"]
    order = heatmap["layer"][0]["encoding"]["y"]["sort"]
    assert order[0] == "Weighted average" and order[1] == tab.index[0].strftime("%b %Y")
    data = chart_data(cohorts_page, 0)
    rows = next(iter(data.values()))
    first = rows[rows["cohort"] == "Weighted average"].set_index("age")["value"]
    pd.testing.assert_series_equal(first, avg.dropna(), check_names=False, check_index_type=False)
    assert len(rows) == tab.notna().sum().sum() + avg.notna().sum()  # every filled cell drawn


def test_curves_compare_segments(cohorts_page):
    curves = specs(cohorts_page)[1]
    assert curves["encoding"]["color"]["field"] == "segment"
    _, mv, labels = sample()
    params = cohorts_page.query_params
    freq = pd.Period(params["from"], "M")
    expected = cohort_curves(mv, labels["company_size"], "mrr", "month", mv.as_of,
                             str(freq), params["to"], ["1-10", "11-50"])
    shown = table(cohorts_page, 1)
    assert list(shown.index)[:2] == ["1-10", "11-50"]
    assert shown.at["1-10", "Month 3"] == EN.pct(expected.at[3, "1-10"])


def test_quarter_logo_retention_from_the_url_with_a_filter():
    at = open_page(PAGE, {"coh.by": "quarter", "coh.value": "customers",
                          "f.plan": ["Pro monthly", "Pro annual"], "from": "2024-01", "to": "2026-10"})
    assert_clean(at)
    assert at.radio(key="w:coh.by").value == "quarter"
    assert at.radio(key="w:coh.value").value == "customers"
    part = segment({"plan": ["Pro monthly", "Pro annual"]})
    assert not at.toast
    tab, avg = _expected(part, "customers", "quarter", "2024-01", "2026-10", part.as_of)
    shown = table(at, 0)
    assert list(shown.index[1:]) == [f"Q{p.quarter} {p.year}" for p in tab.index]
    assert shown.iloc[0]["Quarter 2"] == EN.pct(avg[2])
    assert shown.iloc[3]["Quarter 2"] == EN.pct(tab.iloc[2][2])
    # the filter changes the numbers: everyone's table differs
    _, mv, _ = sample()
    everyone, _ = _expected(mv, "customers", "quarter", "2024-01", "2026-10", mv.as_of)
    assert shown.iloc[3]["Quarter 2"] != EN.pct(everyone.iloc[2][2])


def test_switching_value_updates_url_and_arpa_in_money():
    at = open_page(PAGE)
    at.radio(key="w:coh.value").set_value("arpa").run()
    assert_clean(at)
    assert at.query_params["coh.value"] == "arpa"
    assert table(at, 0).iloc[1]["Month 0"].startswith("€")
    assert specs(at)[0]["layer"][1]["encoding"]["text"]["format"] == "$,.0f"


def test_french_quarters_and_percentages():
    at = open_page(PAGE, {"lang": "fr", "coh.by": "quarter", "from": "2024-01"})
    assert_clean(at)
    shown = table(at, 0)
    assert shown.index[0] == "Moyenne pondérée" and shown.index[1] == "T1 2024"
    assert shown.iloc[1]["Trimestre 0"] == FR.pct(1.0) == "100,0\u00a0%"
    assert specs(at)[0]["config"]["locale"]["number"]["decimal"] == ","


def test_bad_values_fall_back():
    at = open_page(PAGE, {"coh.by": "year", "coh.dim": "shoe_size", "coh.value": "ltv",
                          "coh.values": ["1-10", "nope"]})
    assert_clean(at)
    assert at.radio(key="w:coh.by").value == "month"
    assert at.radio(key="w:coh.value").value == "mrr"
    assert at.selectbox(key="w:coh.dim").value == "company_size"
    notices = shown_text(" | ".join(t.value for t in at.toast))
    for bad in ("coh.by=year", "coh.dim=shoe_size", "coh.value=ltv"):
        assert bad in notices


def test_curves_from_the_url():
    at = open_page(PAGE, {"coh.dim": "channel", "coh.values": ["referral", "paid ads"],
                          "coh.value": "customers"})
    assert_clean(at)
    assert not at.toast
    assert at.selectbox(key="w:coh.dim").value == "channel"
    assert at.multiselect(key="w:coh.values").value == ["paid ads", "referral"]
    _, mv, labels = sample()
    p = at.query_params
    expected = cohort_curves(mv, labels["channel"], "customers", "month", mv.as_of,
                             p["from"], p["to"], ["paid ads", "referral"])
    shown = table(at, 1)
    assert list(shown.index) == ["paid ads", "referral"]
    assert shown.at["referral", "Month 2"] == EN.pct(expected.at[2, "referral"])
    assert at.query_params["coh.values"] == ["paid ads", "referral"]

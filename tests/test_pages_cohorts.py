"""Cohorts page: tables as mrrkit.cohort_views computes them, month or quarter, with the weighted
average row; segment curves; URL state."""

from __future__ import annotations

import pandas as pd
import pytest

from mrrkit.cohort_views import cohort_average, cohort_table
from tests._pages import assert_clean, open_page, sample, segment, specs, tooltips
from ui.format import number_format

PAGE = "pages/2_Cohorts.py"
EN = number_format("en", "EUR")


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
    table, avg = _expected(mv, "mrr", "month", params["from"], params["to"], mv.attrs["as_of"])
    shown = cohorts_page.dataframe[0].value
    assert len(shown) == len(table) + 1  # the average row first
    assert shown.iloc[0]["1"] == EN.pct(avg[1])
    assert shown.iloc[1]["1"] == EN.pct(table.iloc[0][1])
    assert shown.iloc[1]["Customers at start"] == EN.count(table.attrs["size"].iloc[0])
    heatmap = specs(cohorts_page)[0]
    assert heatmap["layer"][1]["encoding"]["text"]["format"] == ".0%"
    assert tooltips(heatmap)[0] == ["Cohort", "Age", "Revenue retention"]


def test_curves_compare_segments(cohorts_page):
    curves = specs(cohorts_page)[1]
    assert curves["encoding"]["color"]["field"] == "segment"
    shown = cohorts_page.dataframe[1].value
    assert list(shown.index)[:2] == ["1-10", "11-50"]


def test_quarter_logo_retention_from_the_url_with_a_filter():
    at = open_page(PAGE, {"coh.by": "quarter", "coh.value": "customers", "f.plan": ["Pro monthly", "Pro annual"],
                          "from": "2024-01", "to": "2026-10"})
    assert_clean(at)
    assert at.radio(key="w:coh.by").value == "quarter"
    part = segment({"plan": ["Pro monthly", "Pro annual"]})
    assert not at.toast
    table, avg = _expected(part, "customers", "quarter", "2024-01", "2026-10", part.attrs["as_of"])
    shown = at.dataframe[0].value
    assert list(shown.index[1:]) == [str(p) for p in table.index]
    assert shown.iloc[0]["2"] == EN.pct(avg[2])
    assert shown.iloc[3]["2"] == EN.pct(table.iloc[2][2])


def test_switching_value_updates_url_and_arpa_in_money():
    at = open_page(PAGE)
    at.radio(key="w:coh.value").set_value("arpa").run()
    assert_clean(at)
    assert at.query_params["coh.value"] == "arpa"
    assert at.dataframe[0].value.iloc[1]["0"].startswith("€")


def test_bad_values_fall_back():
    at = open_page(PAGE, {"coh.by": "year", "coh.dim": "shoe_size"})
    assert_clean(at)
    assert at.radio(key="w:coh.by").value == "month"
    assert at.selectbox(key="w:coh.dim").value == "company_size"
    assert len(at.toast) == 2

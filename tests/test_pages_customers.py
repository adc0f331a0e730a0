"""Customers page: searchable list as mrrkit.customers.customer_summary, one customer's history."""

from __future__ import annotations

import pytest

from mrrkit.customers import customer_summary
from tests._pages import assert_clean, open_page, sample, specs, tooltips

PAGE = "pages/4_Customers.py"


@pytest.fixture(scope="module")
def customers_page():
    return open_page(PAGE)


def test_list_is_the_customer_summary(customers_page):
    assert_clean(customers_page)
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", ascending=False, kind="stable")
    shown = customers_page.dataframe[0].value
    assert len(shown) == 500  # the top 500 by MRR; the caption says how many match
    assert list(shown.index[:20]) == list(summary.index[:20])
    assert shown.iloc[0]["MRR (EUR)"] == pytest.approx(summary["mrr"].iloc[0])
    assert f"{len(summary):,}" in customers_page.caption[0].value


def test_history_of_the_selected_customer(customers_page):
    customer = customers_page.selectbox(key="w:cus.id").value
    _, mv, _ = sample()
    rows = mv[mv["customer_id"] == customer]
    assert len(customers_page.dataframe[1].value) == len(rows)
    chart = specs(customers_page)[0]
    assert chart["layer"][0]["mark"]["interpolate"] == "step-after"
    assert tooltips(chart)[1] == ["Date", "Movement", "Change", "MRR after"]


def test_search_status_and_url():
    at = open_page(PAGE)
    at.text_input(key="w:cus.q").set_value("cus_012").run()
    assert_clean(at)
    shown = at.dataframe[0].value
    assert list(shown.index) != [] and all("cus_012" in c for c in shown.index)
    assert len(shown) == 10  # cus_0120 .. cus_0129
    assert at.query_params["cus.q"] == "cus_012"
    at.radio(key="w:cus.status").set_value("churned").run()
    _, mv, _ = sample()
    summary = customer_summary(mv)
    expected = [c for c in summary.index if "cus_012" in c and summary.at[c, "status"] == "churned"]
    assert sorted(at.dataframe[0].value.index) == sorted(expected)


def test_search_matches_attributes():
    at = open_page(PAGE, {"cus.q": "healthcare", "cus.status": "active"})
    assert_clean(at)
    shown = at.dataframe[0].value
    assert len(shown) > 0 and set(shown["Industry"]) == {"Healthcare"}


def test_deep_link_to_a_customer_outside_the_top_list():
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", kind="stable")
    small = summary.index[0]
    at = open_page(PAGE, {"cus.id": small})
    assert_clean(at)
    assert at.selectbox(key="w:cus.id").value == small
    assert not at.toast
    bad = open_page(PAGE, {"cus.id": "nobody"})
    assert any("cus.id=nobody" in t.value for t in bad.toast)

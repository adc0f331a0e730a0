"""Customers page: searchable list as mrrkit.customers.customer_summary, one customer's MRR
history with the lines behind each movement; filters; URL state and its fallbacks."""

from __future__ import annotations

import pytest

from mrrkit.customers import customer_history, customer_summary
from tests._pages import assert_clean, open_page, sample, segment, specs, table, tooltips
from ui.format import number_format

PAGE = "pages/4_Customers.py"
EN = number_format("en", "EUR")


@pytest.fixture(scope="module")
def customers_page():
    return open_page(PAGE)


def test_list_is_the_customer_summary(customers_page):
    assert_clean(customers_page)
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", ascending=False, kind="stable")
    raw = customers_page.dataframe[0].value
    assert len(raw) == 250  # the top 250 by MRR; the captions say how many match, and that
    assert any(c.value.startswith("Showing the 250 with the highest MRR")  # the download has all
               for c in customers_page.caption)
    assert list(raw.index[:20]) == list(summary.index[:20])
    assert raw.iloc[0]["MRR"] == pytest.approx(summary["mrr"].iloc[0])  # a number: sorts by value
    shown = table(customers_page, 0)
    first = summary.index[0]
    assert shown.at[first, "MRR"] == EN.money(summary.at[first, "mrr"], 2)
    assert shown.at[first, "Lifetime (months)"] == EN.number(summary.at[first, "lifetime_months"], 1)
    assert shown.at[first, "First movement"] == f"{summary.at[first, 'first_movement']:%Y-%m-%d}"
    assert {"Industry", "Company size", "Channel", "Country", "Plan"} <= set(shown.columns)
    # An active customer has no churn reason: a dash, never the grid's grey "None".
    assert shown.at[first, "Churn reason"] == "–" and not raw["Churn reason"].isna().any()
    assert f"{len(summary):,}" in customers_page.caption[0].value


def test_history_of_the_selected_customer(customers_page):
    customer = customers_page.selectbox(key="w:cus.id").value
    lines, mv, _ = sample()
    rows = mv[mv["customer_id"] == customer]
    moves = table(customers_page, 1)
    assert len(moves) == len(rows)
    assert list(moves["Change"]) == [EN.money(a, 2) for a in rows["amount"]]
    assert moves["Lines that changed"].iloc[0].startswith("starts ")  # the first is always new
    assert len(customers_page.dataframe[2].value) == int((lines["customer_id"] == customer).sum())
    chart = specs(customers_page)[0]
    assert chart["layer"][0]["mark"]["interpolate"] == "step-after"
    assert tooltips(chart)[1] == ["Date", "Movement", "Change", "MRR after"]
    history = customer_history(mv, customer)
    assert [m.value for m in customers_page.metric][0] == EN.money(history["mrr"].iloc[-1], 2)


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
    assert at.query_params["cus.status"] == "churned"


def test_search_matches_attributes():
    at = open_page(PAGE, {"cus.q": "healthcare", "cus.status": "active"})
    assert_clean(at)
    shown = at.dataframe[0].value
    assert len(shown) > 0 and set(shown["Industry"]) == {"Healthcare"}
    assert set(table(at, 0)["Status"]) == {"active"}


def test_filters_apply():
    at = open_page(PAGE, {"f.company_size": "1000+"})
    assert_clean(at)
    part = segment({"company_size": ["1000+"]})
    summary = customer_summary(part)
    shown = at.dataframe[0].value
    assert len(shown) == len(summary) < 250
    assert set(shown["Company size"]) == {"1000+"}


def test_deep_link_to_a_customer_outside_the_top_list():
    _, mv, _ = sample()
    summary = customer_summary(mv).sort_values("mrr", kind="stable")
    small = summary.index[0]
    at = open_page(PAGE, {"cus.id": small})
    assert_clean(at)
    assert at.selectbox(key="w:cus.id").value == small
    assert not at.toast
    bad = open_page(PAGE, {"cus.id": "nobody", "cus.status": "lost"})
    assert_clean(bad)
    notices = " ".join(t.value for t in bad.toast)
    assert "cus.id=nobody" in notices and "cus.status=lost" in notices
    assert bad.radio(key="w:cus.status").value == "all"

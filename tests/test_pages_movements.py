"""Movements page: the monthly table, the bridge and the customers behind any figure reconcile with
mrrkit; URL state restores the picks."""

from __future__ import annotations

import pandas as pd
import pytest

import mrrkit
from mrrkit.bridge import mrr_bridge, movements_in
from tests._pages import assert_clean, open_page, sample, segment, specs, tooltips
from ui.format import number_format

PAGE = "pages/1_Movements.py"
EN = number_format("en", "EUR")


@pytest.fixture(scope="module")
def movements_page():
    return open_page(PAGE)


def test_renders(movements_page):
    assert_clean(movements_page)
    assert movements_page.title[0].value == "MRR movements"


def test_monthly_table_is_mrrkit_monthly(movements_page):
    _, mv, _ = sample()
    table = mrrkit.monthly(mv)
    shown = movements_page.dataframe[0].value
    assert list(shown.index) == [str(m) for m in table.index[-12:]]
    last = table.index[-1]
    assert shown.at[str(last), "Churn"] == EN.money(table.at[last, "churn"], signed=True)
    assert shown.at[str(last), "MRR at end"] == EN.money(table.at[last, "mrr"])
    assert shown.at[str(last), "Churns (count)"] == EN.count(table.at[last, "churned_customers"])
    assert shown.at[str(last), "MRR at start"] == EN.money(table.at[last - 1, "mrr"])


def test_bridge_reconciles(movements_page):
    _, mv, _ = sample()
    table = mrrkit.monthly(mv)
    bridge = mrr_bridge(table, table.index[-12], table.index[-1])
    check = next(c.value for c in movements_page.caption if c.value.startswith("Check:"))
    net = bridge.at["end", "amount"] - bridge.at["start", "amount"]
    assert check == (f"Check: {EN.money(bridge.at['start', 'amount'])} {'+' if net >= 0 else '−'} "
                     f"{EN.money(abs(net))} = {EN.money(bridge.at['end', 'amount'])}")
    waterfall = specs(movements_page)[0]
    assert tooltips(waterfall)[0] == ["Step", "MRR", "Customers"]


def test_audit_lists_the_customers_behind_the_figure(movements_page):
    _, mv, _ = sample()
    table = mrrkit.monthly(mv)
    last = table.index[-1]
    rows = movements_in(mv, last, "churn")
    listing = movements_page.dataframe[2].value
    assert len(listing) == table.at[last, "churned_customers"] == len(rows)
    assert sorted(listing.index) == sorted(rows["customer_id"].astype(str))
    caption = next(c.value for c in movements_page.caption if "movements, total" in c.value)
    assert caption.startswith(f"{len(rows)} movements, total {EN.money(rows['amount'].sum())}")
    # the movement chart can be clicked to pick a bar
    chart = specs(movements_page)[1]
    assert chart["params"][0]["name"] == "pick"
    assert chart["params"][0]["select"]["fields"] == ["month", "kind"]


def test_picking_a_kind_updates_list_and_url():
    at = open_page(PAGE)
    at.selectbox(key="w:mv.kind").set_value("new").run()
    assert_clean(at)
    _, mv, _ = sample()
    last = mrrkit.monthly(mv).index[-1]
    assert len(at.dataframe[2].value) == len(movements_in(mv, last, "new"))
    assert at.query_params["mv.kind"] == "new"


def test_url_restores_month_kind_and_filters():
    at = open_page(PAGE, {"mv.month": "2026-03", "mv.kind": "expansion", "f.channel": "referral"})
    assert_clean(at)
    assert at.selectbox(key="w:mv.month").value == "2026-03"
    assert at.selectbox(key="w:mv.kind").value == "expansion"
    part = segment({"channel": ["referral"]})
    rows = movements_in(part, "2026-03", "expansion")
    assert len(at.dataframe[2].value) == len(rows)
    assert not at.toast


def test_bad_kind_falls_back_with_a_notice():
    at = open_page(PAGE, {"mv.kind": "refund", "mv.month": "1999-01"})
    assert_clean(at)
    assert at.selectbox(key="w:mv.kind").value == "churn"
    notices = " ".join(t.value for t in at.toast)
    assert "mv.kind=refund" in notices and "mv.month=1999-01" in notices


def test_customer_audit_trail_and_link_to_customers():
    at = open_page(PAGE)
    customer = at.selectbox(key="w:mv.customer").value
    lines, mv, _ = sample()
    trail = at.dataframe[3].value
    assert len(trail) == int((mv["customer_id"] == customer).sum())
    own = at.dataframe[4].value
    assert len(own) == int((lines["customer_id"] == customer).sum())
    at.button[0].click().run()
    assert_clean(at)
    assert at.selectbox(key="w:cus.id").value == customer
    assert at.title[0].value == "Customers"

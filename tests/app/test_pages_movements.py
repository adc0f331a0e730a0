"""Movements page: the monthly table, the bridge and what is behind any figure reconcile with
mrrkit; URL state restores the picks; bad values fall back. (The chart clicks themselves are
driven in a real browser: tests/e2e/test_browser_movements.py.)"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import mrrkit
from mrrkit.views.bridge import movement_lines, movements_in, mrr_bridge, paying_customers
from mrrkit.views.segments import churn_reasons
from tests._pages import (
    assert_clean,
    open_page,
    sample,
    segment,
    shown_text,
    specs,
    table,
    tooltips,
)
from ui.format import number_format, plain_md
from ui.format import shown as shown_money
from ui.shell import month_label

PAGE = "pages/1_Movements.py"
EN = number_format("en", "EUR")
MONTHLY, BRIDGE, LISTING, TRAIL, LINES = range(5)  # the page's tables, in order


@pytest.fixture(scope="module")
def movements_page():
    return open_page(PAGE)


def _success(at) -> str:
    return " ".join(s.value for s in at.success)


def test_renders(movements_page):
    assert_clean(movements_page)
    assert movements_page.title[0].value == "MRR movements"


def test_monthly_table_is_mrrkit_monthly(movements_page):
    _, mv, _ = sample()
    monthly = mrrkit.monthly(mv)
    shown = table(movements_page, MONTHLY)
    # Months read like the charts' ("Oct 2026"), not "2026-10".
    assert list(shown.index) == [month_label(str(m)) for m in monthly.index[-12:]]
    last = monthly.index[-1]
    row = month_label(str(last))
    assert shown.at[row, "Churn"] == EN.money(monthly.at[last, "churn"], signed=True)
    assert shown.at[row, "MRR at end"] == EN.money(monthly.at[last, "mrr"])
    assert shown.at[row, "Churns (count)"] == EN.count(monthly.at[last, "churned_customers"])
    assert shown.at[row, "MRR at start"] == EN.money(monthly.at[last - 1, "mrr"])
    # Under the text the cells are numbers, so a click on a header sorts by value.
    raw = movements_page.dataframe[MONTHLY].value
    assert raw["Churn"].dtype == "float64"
    # ...the shown figures, each within a unit of mrrkit's, sharing out the rounded change so
    # that every month adds up as shown: start + movements = net new, start + net new = end.
    np.testing.assert_allclose(raw["Churn"].to_numpy(), monthly["churn"].iloc[-12:].to_numpy(),
                               atol=1)
    moves = ["New", "Expansion", "Reactivation", "Contraction", "Churn"]
    assert (raw[moves].sum(axis=1) == raw["Net new MRR"]).all()
    assert (raw["MRR at start"] + raw["Net new MRR"] == raw["MRR at end"]).all()
    assert (raw[["MRR at start", "MRR at end", *moves]] % 1 == 0).all().all()


def test_bridge_reconciles(movements_page):
    _, mv, _ = sample()
    monthly = mrrkit.monthly(mv)
    first, last = monthly.index[-12], monthly.index[-1]
    bridge = mrr_bridge(mv, first, last)
    check = next(c.value for c in movements_page.caption if c.value.startswith("Check:"))
    start, end = shown_money(bridge.at["start", "amount"]), shown_money(bridge.at["end", "amount"])
    net = end - start  # of the figures as shown: the check adds up to the unit
    assert check == (f"Check: {EN.money(start)} {'+' if net >= 0 else '−'} "
                     f"{EN.money(abs(net))} = {EN.money(end)}")
    shown = table(movements_page, BRIDGE)
    steps = ["New", "Expansion", "Reactivation", "Contraction", "Churn"]
    amounts = shown["MRR"].map(lambda text: float(re.sub(r"[^\d.-]", "", text)))
    assert amounts[steps].sum() == net  # the steps shown add up to the change shown
    for label, step in zip(steps, ("new", "expansion", "reactivation", "contraction", "churn")):
        assert abs(amounts[label] - bridge.at[step, "amount"]) < 1
        assert shown.at[label, "MRR"] == EN.money(amounts[label])
    # Customers: distinct customers with such a movement in the period; Movements: how many
    # (issue 11: 1,808 'customers' expanding out of 1,484 at the start were movements).
    assert list(shown.columns) == ["MRR", "Customers", "Movements"]
    for label, step in (("Expansion", "expansion"), ("Churn", "churn")):
        rows = movements_in(mv, first, step, last)
        assert shown.at[label, "Customers"] == EN.count(rows["customer_id"].nunique())
        assert shown.at[label, "Movements"] == EN.count(len(rows))
        if step == "expansion":  # some customers expand more than once: the counts differ
            assert rows["customer_id"].nunique() < len(rows)
    assert shown.at["MRR at start", "Customers"] == EN.count(monthly.at[first - 1, "customers"])
    assert shown.at["MRR at start", "Movements"] == shown.at["MRR at end", "Movements"] == "–"
    assert any(c.value.startswith("Customers: how many different customers")
               for c in movements_page.caption)
    waterfall = specs(movements_page)[0]
    assert tooltips(waterfall)[0] == ["Step", "MRR", "Customers"]
    assert waterfall["params"][0]["name"] == "step"  # a click on a bar picks its figure
    assert waterfall["params"][0]["select"]["fields"] == ["step"]


def test_listing_adds_up_to_the_cell(movements_page):
    lines, mv, _ = sample()
    monthly = mrrkit.monthly(mv)
    last = monthly.index[-1]
    rows = movements_in(mv, last, "churn")
    listing = movements_page.dataframe[LISTING].value
    assert len(listing) == monthly.at[last, "churned_customers"] == len(rows)
    assert sorted(listing.index) == sorted(rows["customer_id"].astype(str))
    assert listing["Change"].sum() == pytest.approx(monthly.at[last, "churn"], abs=1e-6)
    assert (listing["Change"].abs().diff().dropna() <= 0).all()  # the largest first
    assert _success(movements_page) == (
        f"{len(rows)} movements adding up to {EN.money(rows['amount'].sum(), 2)}: the same as the "
        f"table ({EN.money(monthly.at[last, 'churn'], 2)}, {len(rows)} movements) ✓")
    # Each movement with the lines that ended with it, and the reason recorded on them.
    behind = movement_lines(lines, rows)
    first = listing.index[0]
    own = behind[behind["customer_id"] == first]
    shown = table(movements_page, LISTING)
    assert shown.at[first, "Lines that changed"].count("ends ") == len(own)
    assert own["plan"].iloc[0] in shown.at[first, "Lines that changed"]
    reasons = churn_reasons(lines, mv)
    date = listing.at[first, "Date"]
    assert shown.at[first, "Churn reason"] == reasons[(first, pd.Timestamp(date))]
    assert "Industry" in shown.columns and "churn_reason" not in shown.columns


def test_movement_chart_is_clickable_and_shows_the_pick(movements_page):
    chart = specs(movements_page)[1]
    bars = chart["layer"][0]
    param = chart["params"][0]
    assert param["name"] == "pick" and param["select"]["fields"] == ["month_key", "kind"]
    _, mv, _ = sample()
    last = str(mrrkit.monthly(mv).index[-1])
    assert param["value"] == [{"month_key": last, "kind": "churn"}]  # the current choice
    assert "aggregate" not in str(bars["encoding"]["y"])  # one bar per row: clicks carry fields
    assert bars["encoding"]["x"]["type"] == chart["layer"][1]["encoding"]["x"]["type"] == "ordinal"


def test_picking_a_kind_updates_list_and_url():
    at = open_page(PAGE)
    at.selectbox(key="w:mv.kind").set_value("new").run()
    assert_clean(at)
    _, mv, _ = sample()
    last = mrrkit.monthly(mv).index[-1]
    assert len(at.dataframe[LISTING].value) == len(movements_in(mv, last, "new"))
    assert at.query_params["mv.kind"] == "new"
    assert specs(at)[1]["params"][0]["value"] == [{"month_key": str(last), "kind": "new"}]


def test_whole_period_reconciles_the_bridge():
    at = open_page(PAGE, {"mv.month": "period", "mv.kind": "expansion"})
    assert_clean(at)
    _, mv, _ = sample()
    monthly = mrrkit.monthly(mv)
    first, last = monthly.index[-12], monthly.index[-1]
    rows = movements_in(mv, first, "expansion", last)
    bridge = mrr_bridge(mv, first, last)
    assert len(rows) == bridge.at["expansion", "movements"] > 500  # movements, not customers
    assert bridge.at["expansion", "customers"] == rows["customer_id"].nunique() < len(rows)
    assert _success(at).startswith(
        f"{EN.count(len(rows))} movements adding up to {EN.money(rows['amount'].sum(), 2)}")
    assert "✓" in _success(at)
    # On screen the 500 largest (the downloads have all): said so.
    listing = at.dataframe[LISTING].value
    assert len(listing) == 500
    assert listing["Change"].min() >= rows["amount"].nlargest(500).min()
    assert any(c.value == f"The 500 largest of {EN.count(len(rows))} are shown; the downloads "
               "have them all." for c in at.caption)
    waterfall, bars = specs(at)[:2]
    assert waterfall["params"][0]["value"] == [{"step": "expansion"}]
    assert len(bars["params"][0]["value"]) == 12  # every month's expansion bar


@pytest.mark.parametrize("figure", ["mrr_start", "mrr_end"])
def test_levels_list_the_paying_customers(figure):
    at = open_page(PAGE, {"mv.month": "2026-03", "mv.kind": figure})
    assert_clean(at)
    _, mv, _ = sample()
    monthly = mrrkit.monthly(mv)
    month = pd.Period("2026-03", "M") - (1 if figure == "mrr_start" else 0)
    paying = paying_customers(mv, month)
    assert len(paying) == monthly.at[month, "customers"]
    assert _success(at) == (
        f"{EN.count(len(paying))} customers paying {EN.money(paying['mrr'].sum(), 2)} at the end "
        f"of {month.strftime('%b %Y')}: the same as the table (MRR "
        f"{EN.money(monthly.at[month, 'mrr'], 2)}, {EN.count(len(paying))} customers) ✓")
    listing = at.dataframe[LISTING].value  # the 500 largest
    assert list(listing.index) == list(paying["mrr"].sort_values(ascending=False, kind="stable")
                                       .index[:500])


def test_url_restores_month_kind_and_filters():
    at = open_page(PAGE, {"mv.month": "2026-03", "mv.kind": "expansion", "f.channel": "referral"})
    assert_clean(at)
    assert at.selectbox(key="w:mv.month").value == "2026-03"
    assert at.selectbox(key="w:mv.kind").value == "expansion"
    part = segment({"channel": ["referral"]})
    rows = movements_in(part, "2026-03", "expansion")
    assert len(at.dataframe[LISTING].value) == len(rows)
    assert table(at, MONTHLY).at["Mar 2026", "Expansion"] == EN.money(
        mrrkit.monthly(part).at[pd.Period("2026-03", "M"), "expansion"], signed=True)
    assert not at.toast


def test_bad_kind_falls_back_with_a_notice():
    at = open_page(PAGE, {"mv.kind": "refund", "mv.month": "1999-01", "mv.customer": "nobody"})
    assert_clean(at)
    assert at.selectbox(key="w:mv.kind").value == "churn"
    _, mv, _ = sample()
    assert at.selectbox(key="w:mv.month").value == str(mrrkit.monthly(mv).index[-1])
    notices = shown_text(" ".join(t.value for t in at.toast))
    for bad in ("mv.kind=refund", "mv.month=1999-01", "mv.customer=nobody"):
        assert bad in notices


def test_customer_audit_trail_and_link_to_customers():
    at = open_page(PAGE)
    customer = at.selectbox(key="w:mv.customer").value
    lines, mv, _ = sample()
    own_moves = mv[mv["customer_id"] == customer]
    trail = at.dataframe[TRAIL].value
    assert len(trail) == len(own_moves)
    # every movement of the trail names the lines behind it
    assert all(text for text in table(at, TRAIL)["Lines that changed"])
    own = at.dataframe[LINES].value
    assert len(own) == int((lines["customer_id"] == customer).sum())
    at.button[0].click().run()
    assert_clean(at)
    assert at.selectbox(key="w:cus.id").value == customer
    assert at.title[0].value == "Customers"


def test_french_numbers_in_tables():
    at = open_page(PAGE, {"lang": "fr"})
    assert_clean(at)
    shown = table(at, MONTHLY)
    cell = shown.iloc[-1]["MRR à la fin"]
    assert cell.endswith("\u00a0€") and "\u202f" in cell


def test_url_restores_the_customer_of_the_trail():
    _, mv, _ = sample()
    rows = movements_in(mv, "2026-03", "new")
    customer = str(rows["customer_id"].iloc[-1])
    at = open_page(PAGE, {"mv.month": "2026-03", "mv.kind": "new", "mv.customer": customer})
    assert_clean(at)
    assert not at.toast
    assert at.selectbox(key="w:mv.customer").value == customer
    # The id is escaped (text from a file is never Markdown): "cus\\_0123" shows "cus_0123".
    assert any(m.value == f"**Every movement of {plain_md(customer)}**" for m in at.markdown)
    assert at.query_params["mv.customer"] == customer


def test_switching_language_rewrites_the_lines_text():
    at = open_page(PAGE)
    assert table(at, LISTING)["Lines that changed"].iloc[0].startswith("ends ")
    assert table(at, TRAIL)["Lines that changed"].iloc[0].startswith("starts ")
    at.selectbox(key="w:lang").set_value("fr").run()
    assert_clean(at)
    assert table(at, LISTING)["Lignes modifiées"].iloc[0].startswith("fin ")
    assert table(at, TRAIL)["Lignes modifiées"].iloc[0].startswith("début ")

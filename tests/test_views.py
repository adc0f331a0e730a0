"""The MRR bridge, the movements behind a figure and the customer list, against mrrkit.monthly and
brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit.bridge import BRIDGE_STEPS, movements_in, mrr_bridge
from mrrkit.customers import DAYS_PER_MONTH, customer_history, customer_summary
from tests._synthetic import simulate_lines


@pytest.fixture(scope="module")
def book():
    lines, _ = simulate_lines(months=24, new_per_month=10, seed=9)
    mv = mrrkit.movements(lines)
    return lines, mv, mrrkit.monthly(mv)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_bridge_adds_up_exactly(book, data):
    _, _, table = book
    months = list(table.index)
    i = data.draw(st.integers(0, len(months) - 1))
    j = data.draw(st.integers(i, len(months) - 1))
    bridge = mrr_bridge(table, months[i], months[j])
    total = bridge.at["start", "amount"] + bridge.loc[list(BRIDGE_STEPS), "amount"].sum()
    assert total == pytest.approx(bridge.at["end", "amount"], abs=1e-6)
    assert bridge.at["end", "amount"] == table.at[months[j], "mrr"]
    assert bridge.at["churn", "customers"] == table.loc[months[i]:months[j], "churned_customers"].sum()


def test_bridge_refuses_outside_periods(book):
    _, _, table = book
    with pytest.raises(ValueError, match="outside the data"):
        mrr_bridge(table, "2001-01", "2001-02")
    with pytest.raises(ValueError, match="before start"):
        mrr_bridge(table, table.index[5], table.index[2])


@pytest.mark.parametrize("kind", mrrkit.KINDS)
def test_movements_in_reconcile_every_monthly_cell(book, kind):
    _, mv, table = book
    count = {"new": "new_customers", "expansion": "expanded_customers",
             "contraction": "contracted_customers", "churn": "churned_customers",
             "reactivation": "reactivated_customers"}[kind]
    for month in table.index[::3]:
        rows = movements_in(mv, month, kind)
        assert rows["amount"].sum() == pytest.approx(table.at[month, kind], abs=1e-6)
        assert len(rows) == table.at[month, count]
        assert (rows["kind"] == kind).all()


def test_customer_summary_against_brute_force(book):
    lines, mv, _ = book
    summary = customer_summary(mv, mrrkit.customer_attributes(lines))
    as_of = mv.attrs["as_of"]
    for cid in summary.index[::17]:
        own = lines[lines["customer_id"] == cid]
        live = (own["start"] <= as_of) & (own["end"].isna() | (own["end"] > as_of))
        assert summary.at[cid, "mrr"] == pytest.approx(own.loc[live, "mrr"].sum())
        rows = mv[mv["customer_id"] == cid]
        assert summary.at[cid, "first_movement"] == rows["date"].min()
        assert summary.at[cid, "last_movement"] == rows["date"].max()
        end = as_of if summary.at[cid, "status"] == "active" else rows["date"].max()
        assert summary.at[cid, "lifetime_months"] == pytest.approx(
            (end - rows["date"].min()).days / DAYS_PER_MONTH)
        assert summary.at[cid, "plan"] == own.sort_values("start")["plan"].iloc[-1]
    assert (summary["status"] == "active").sum() == mrrkit.monthly(mv)["customers"].iloc[-1]


def test_customer_history_steps(book):
    _, mv, _ = book
    cid = str(mv["customer_id"].iloc[0])
    history = customer_history(mv, cid)
    rows = mv[mv["customer_id"] == cid]
    assert history["mrr"].iloc[:-1].tolist() == rows["mrr_after"].tolist()
    assert history["date"].iloc[-1] == mv.attrs["as_of"]
    assert np.isnan(history["amount"].iloc[-1])

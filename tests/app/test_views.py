"""The MRR bridge, the movements behind a figure and the customer list, against mrrkit.monthly and
brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mrrkit
from mrrkit.views.bridge import BRIDGE_STEPS, movement_lines, movements_in, mrr_bridge, paying_customers
from mrrkit.views.customers import DAYS_PER_MONTH, customer_history, customer_summary
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
    _, mv, _ = book
    bridge = mrr_bridge(mv, months[i], months[j])  # movements: customers are counted distinct
    total = bridge.at["start", "amount"] + bridge.loc[list(BRIDGE_STEPS), "amount"].sum()
    assert total == pytest.approx(bridge.at["end", "amount"], abs=1e-6)
    assert bridge.at["end", "amount"] == pytest.approx(table.at[months[j], "mrr"], abs=1e-6)
    # The movements counted are the monthly table's; the customers, those of them distinct.
    churns = table.loc[months[i]:months[j], "churned_customers"].sum()
    assert bridge.at["churn", "movements"] == churns >= bridge.at["churn", "customers"]


def test_bridge_refuses_outside_periods(book):
    _, mv, table = book
    with pytest.raises(ValueError, match="outside the data"):
        mrr_bridge(mv, "2001-01", "2001-02")
    with pytest.raises(ValueError, match="before start"):
        mrr_bridge(mv, table.index[5], table.index[2])


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
    as_of = mv.as_of
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
    assert history["date"].iloc[-1] == mv.as_of
    assert np.isnan(history["amount"].iloc[-1])


def _mrr_on(lines: pd.DataFrame, day) -> pd.Series:
    live = (lines["start"] <= day) & (lines["end"].isna() | (lines["end"] > day))
    return lines[live].groupby("customer_id")["mrr"].sum()


def test_paying_customers_are_the_levels_of_the_monthly_table(book):
    lines, mv, table = book
    as_of = mv.as_of
    for month in list(table.index[::5]) + [table.index[-1]]:
        paying = paying_customers(mv, month)
        assert paying["mrr"].sum() == pytest.approx(table.at[month, "mrr"], abs=1e-6)
        assert len(paying) == table.at[month, "customers"]
        day = min(month.end_time.normalize(), as_of)
        brute = _mrr_on(lines, day)
        brute = brute[brute > 1e-6]
        assert list(paying.index) == sorted(brute.index)
        np.testing.assert_allclose(paying["mrr"].to_numpy(), brute.sort_index().to_numpy())
    assert paying_customers(mv, table.index[0] - 1).empty  # before the data: nobody


@st.composite
def switch_lines(draw):
    """Lines with same-day switches, zero-length and tiny lines, several lines per customer."""
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        start = 3 * draw(st.integers(0, 10))
        length = draw(st.sampled_from([None, 0, 3, 6, 9, 30]))
        if rows and draw(st.booleans()):  # starts the day the previous line ends (a switch)
            prev = rows[-1]
            if prev["end"] is not None:
                start = (prev["end"] - pd.Timestamp("2024-01-01")).days
        rows.append({
            "customer_id": draw(st.sampled_from(["a", "b"])) if not rows or draw(st.booleans())
            else rows[-1]["customer_id"],
            "start": pd.Timestamp("2024-01-01") + pd.Timedelta(days=start),
            "end": None if length is None else
            pd.Timestamp("2024-01-01") + pd.Timedelta(days=start + length),
            "mrr": draw(st.sampled_from([0.0, 1e-7, 5.0, 10.0, 12.5])),
            "plan": draw(st.sampled_from(["basic", "pro"])),
        })
    lines = pd.DataFrame(rows)
    lines["end"] = pd.to_datetime(lines["end"])
    return lines


@settings(max_examples=200, deadline=None)
@given(switch_lines())
def test_movement_lines_add_up_to_each_movement(lines):
    mv = mrrkit.movements(lines)
    behind = movement_lines(lines, mv)
    # Every line listed starts or ends on its movement's day, for that customer.
    own = lines.iloc[behind["line"].to_numpy()]
    assert (own["customer_id"].to_numpy() == behind["customer_id"].to_numpy()).all()
    day = np.where(behind["event"] == "start", own["start"], own["end"])
    assert (pd.to_datetime(day) == behind["date"].to_numpy()).all()
    # ... and their changes add up to the movement, exactly.
    keys = list(zip(mv["customer_id"].astype(str), mv["date"]))
    sums = behind.groupby(["customer_id", "date"])["change"].sum()
    for key, amount in zip(keys, mv["amount"]):
        assert sums.get(key, 0.0) == pytest.approx(amount, abs=1e-9)
    # Brute force: every billed line starting or ending on a movement day is listed once.
    expected = set()
    for i, row in enumerate(lines.itertuples()):
        if row.mrr <= 1e-6 or (pd.notna(row.end) and row.end == row.start):
            continue
        for event, d in (("start", row.start), ("end", row.end)):
            if pd.notna(d) and (row.customer_id, d) in set(keys):
                expected.add((row.customer_id, d, event, i))
    got = set(zip(behind["customer_id"], behind["date"], behind["event"], behind["line"]))
    assert got == expected
    assert len(got) == len(behind)


def test_movement_lines_on_a_month_of_the_sample():
    lines = mrrkit.load_sample()
    mv = mrrkit.movements(lines)
    rows = movements_in(mv, "2026-10", "churn")
    behind = movement_lines(lines, rows)
    assert set(behind["customer_id"]) == set(rows["customer_id"].astype(str))
    assert (behind["event"] == "end").all()  # a churn only ends lines
    assert behind["change"].sum() == pytest.approx(rows["amount"].sum(), abs=1e-6)
    assert {"plan", "product", "churn_reason"} <= set(behind.columns)
    # Passing only those customers' lines gives the same lines.
    some = lines[lines["customer_id"].isin(set(rows["customer_id"].astype(str)))]
    again = movement_lines(some, rows)
    assert again["change"].tolist() == behind["change"].tolist()
    assert (some.index[again["line"]] == lines.index[behind["line"]]).all()
